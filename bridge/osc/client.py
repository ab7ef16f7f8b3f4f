"""A small blocking OSC client for soundalike: the `soundalike osc` command, the tests and the bench.

It binds its own UDP port (replies come back to it), numbers requests, and collects replies until
the request's closing message (``done``, ``error`` or ``pong``) with the same id.
"""

from __future__ import annotations

import itertools
import socket
import time
from dataclasses import dataclass, field
from typing import Any

from pythonosc.osc_packet import OscPacket, ParseError

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.wire import encode

Message = tuple[str, tuple[Any, ...]]


class ClientTimeout(TimeoutError):
    pass


@dataclass
class Response:
    id: int
    messages: list[Message] = field(default_factory=list)

    @property
    def error(self) -> str | None:
        return next((args[1] for address, args in self.messages if address == p.ERROR), None)

    @property
    def hits(self) -> list[tuple[int, str, float]]:
        """(rank, path, score) from ``/result`` messages."""
        return [(args[1], args[2], args[3]) for address, args in self.messages if address == p.RESULT]

    @property
    def paths(self) -> list[str]:
        """Paths from ``/results`` list messages (joined when split), else from ``/result``."""
        listed = [path for address, args in self.messages if address == p.RESULTS for path in args[1:]]
        return listed or [path for _, path, _ in self.hits]

    @property
    def count(self) -> int | None:
        return next((args[1] for address, args in self.messages if address == p.DONE), None)

    def of(self, address: str) -> list[tuple[Any, ...]]:
        return [args[1:] for a, args in self.messages if a == address]


class OscClient:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 9000,
        listen_port: int = 0,
        timeout: float = 5.0,
        listen_host: str = "127.0.0.1",
    ):
        self.server = (host, port)
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET6 if ":" in listen_host else socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 2**20)
        except OSError:
            pass
        self.sock.bind((listen_host, listen_port))
        self._ids = itertools.count(1)
        self.stray: list[Message] = []  # push events and late replies seen while waiting

    @property
    def port(self) -> int:
        return self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> OscClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def next_id(self) -> int:
        return next(self._ids)

    def send(self, address: str, *args: Any) -> None:
        self.sock.sendto(encode(address, args), self.server)

    def send_raw(self, data: bytes) -> None:
        self.sock.sendto(data, self.server)

    def receive(self, timeout: float | None = None) -> list[Message]:
        """The messages of the next datagram (empty when it is not OSC); ClientTimeout when none came."""
        self.sock.settimeout(self.timeout if timeout is None else timeout)
        try:
            data, _ = self.sock.recvfrom(65535)
        except TimeoutError:
            raise ClientTimeout(f"no reply from {self.server[0]}:{self.server[1]}") from None
        try:
            return [(m.message.address, tuple(m.message.params)) for m in OscPacket(data).messages]
        except (ParseError, UnicodeDecodeError):
            return []

    def request(self, address: str, *args: Any) -> Response:
        """Send ``address *args id`` and wait for its closing reply (all optional args must be given)."""
        request_id = self.next_id()
        self.send(address, *args, request_id)
        return self.wait(request_id)

    def wait(self, request_id: int, timeout: float | None = None) -> Response:
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        response = Response(request_id)
        while True:
            for address, args in self.receive(max(0.001, deadline - time.monotonic())):
                if args and args[0] == request_id and address.startswith(p.PREFIX) and "/event/" not in address:
                    response.messages.append((address, args))
                    if address in p.TERMINAL:
                        return response
                else:
                    self.stray.append((address, args))

    # --- one method per address --------------------------------------------------------------
    def similar(self, path: str, k: int = 10) -> Response:
        return self.request(f"{p.PREFIX}/similar", path, k)

    def search(self, text: str, k: int = 10) -> Response:
        return self.request(f"{p.PREFIX}/search", text, k)

    def tags(self, path: str) -> Response:
        return self.request(f"{p.PREFIX}/tags", path)

    def random(self, tag: str = "") -> Response:
        return self.request(f"{p.PREFIX}/random", tag)

    def status(self) -> dict[str, Any]:
        return dict(self.request(f"{p.PREFIX}/status").of(p.STATUS))

    def ping(self) -> Response:
        return self.request(f"{p.PREFIX}/ping")

    def backends(self) -> Response:
        return self.request(f"{p.PREFIX}/backends")

    def set(self, key: str, value: Any) -> Response:
        return self.request(f"{p.PREFIX}/set", key, value)

    def subscribe(self, port: int = 0) -> Response:
        return self.request(f"{p.PREFIX}/subscribe", port)

    def unsubscribe(self, port: int = 0) -> Response:
        return self.request(f"{p.PREFIX}/unsubscribe", port)
