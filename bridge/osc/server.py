"""The OSC transport: the port's UDP sockets, a thread that receives and a thread that serves.

The receiving thread only drains the sockets (on Linux several share the port and are read in
turns, so one flooding sender cannot drown the others: :mod:`soundalike.bridge.osc.sockets`; datagrams up to
64 KiB, not python-osc's 8 KiB default), refuses senders the access policy rejects, parses and
queues requests, and answers bad packets at once. The serving thread runs the dispatch table,
taking clients in turns (each client's requests in arrival order, :mod:`soundalike.bridge.osc.fair_queue`), sends
the replies, and between requests sends queued push events to subscribers. Nothing is dropped
without being counted; anything with a known reply address gets an error reply.
"""

from __future__ import annotations

import logging
import select
import selectors
import socket
import threading
from collections.abc import Callable

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.access import AccessPolicy
from soundalike.bridge.osc.counters import Counters
from soundalike.bridge.osc.drops import DropWatch
from soundalike.bridge.osc.fair_queue import FairQueue, QueueFull
from soundalike.bridge.osc.handlers import Handler, dispatch
from soundalike.bridge.osc.protocol import BadRequest, Reply, Request
from soundalike.bridge.osc.push import Push
from soundalike.bridge.osc.sockets import open_sockets, report_unreachable, unreachable_peers
from soundalike.bridge.osc.wire import ReplyTooLarge, encode_checked
from soundalike.engine.config import BridgeSettings

log = logging.getLogger(__name__)

Client = tuple[str, int]
Activity = Callable[[Client, str, str, bool], None]
MAX_DATAGRAM = 65535
READS_PER_TURN = 32  # datagrams read from one socket before looking at the next
TOTAL_QUEUED = 8  # all clients together may have this many times queue_size requests waiting


class OscServer:
    def __init__(
        self,
        table: dict[str, Handler],
        push: Push,
        settings: BridgeSettings,
        reply_port_of: Callable[[Client], int] = lambda client: 0,
        counters: Counters | None = None,
        activity: Activity = lambda *a: None,
    ):
        """``activity(client, address, summary, ok)`` hears of every request answered, good or bad.
        (FAISS's per-thread OpenMP count is set by ``VectorIndex.search`` on whichever thread searches.)"""
        self.table, self.push, self.settings = table, push, settings
        self.activity = activity
        self.reply_port_of = reply_port_of
        self.counters = counters or Counters()
        self.access = AccessPolicy(settings)
        self._queue = FairQueue(settings.queue_size, TOTAL_QUEUED * settings.queue_size)
        self.drops = DropWatch()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()
        self._logged: set[tuple[str, str]] = set()  # (where, exception type) whose traceback is in the log

    @property
    def address(self) -> Client:
        """(host, port) actually bound; the port is real even when the config asked for 0."""
        if not self._sockets:
            raise RuntimeError("the OSC server is not started")
        return self._sockets[0].getsockname()[:2]

    @property
    def running(self) -> bool:
        return bool(self._sockets)

    @property
    def threads_alive(self) -> bool:
        """Whether the receiving and serving threads both still run (they are meant never to stop)."""
        return bool(self._threads) and all(thread.is_alive() for thread in self._threads)

    def wake(self) -> None:
        """Have the serving thread look at push events now (called from engine threads)."""
        self._queue.signal()

    def start(self) -> None:
        self._sockets = open_sockets(self.settings.osc_host, self.settings.osc_port)
        for sock in self._sockets:  # the port's sockets share one port: the kernel picks which hears of it
            report_unreachable(sock)
        self.drops.own_baseline(self.address[1])
        self._stopping.clear()
        self._threads = [
            threading.Thread(target=self._receive_loop, name="osc-receive", daemon=True),
            threading.Thread(target=self._serve_loop, name="osc-serve", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        log.info("OSC server listening on %s:%d", *self.address)

    def stop(self) -> None:
        if not self._sockets:
            return
        self._stopping.set()
        self._queue.signal()
        for thread in self._threads:
            thread.join(timeout=5)
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    def queued(self) -> int:
        return len(self._queue)

    # --- receiving ---------------------------------------------------------------------------
    def _receive_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            for sock in self._sockets:
                selector.register(sock, selectors.EVENT_READ)
            while not self._stopping.is_set():
                try:
                    ready = selector.select(timeout=0.2)
                except Exception as e:  # noqa: BLE001 - the loop must outlive anything
                    self._survived("select", e)
                    self._stopping.wait(0.05)
                    continue
                for key, _ in ready:
                    self._drain(key.fileobj)

    def _drain(self, sock) -> None:
        """Up to READS_PER_TURN datagrams from one socket, then the next socket gets its turn."""
        self._forget_unreachable(sock)
        for _ in range(READS_PER_TURN):
            try:
                data, sender = sock.recvfrom(MAX_DATAGRAM)
            except BlockingIOError:
                return
            except ConnectionRefusedError:  # a port we sent to is closed: see who, then read on
                self._forget_unreachable(sock)
                continue
            except OSError as e:  # e.g. an ICMP error surfacing on some systems: keep serving
                if not self._stopping.is_set():
                    log.debug("receive failed: %s", e)
                return
            try:
                self._on_datagram(data, (sender[0], sender[1]))
            except Exception as e:  # noqa: BLE001 - one packet never stops the receiving thread
                self._survived("a packet", e, (sender[0], sender[1]))

    def _forget_unreachable(self, sock) -> None:
        """Drop the subscribers the kernel reported as gone (their port is closed)."""
        for client in unreachable_peers(sock):
            if self.push.drop_gone(client):
                self.counters.add("unreachable")
                log.info("subscriber %s:%d dropped: its port is closed", *client)

    def _on_datagram(self, data: bytes, sender: Client) -> None:
        self.counters.add("packets")
        if not self.access.allows(sender[0]):
            self.counters.add("refused")
            log.info("refused a packet from %s:%d (not in [bridge] allow)", *sender)
            return
        for item in p.parse_packet(data, sender):
            if isinstance(item, BadRequest):
                self._reject(item, sender)
                continue
            try:
                self._queue.put(sender, item)
            except QueueFull:
                self.counters.add("queue_full")
                self._send(
                    self.reply_target(sender),
                    p.error(item.id, f"busy: {self.settings.queue_size} requests waiting; try again"),
                )

    def _reject(self, bad: BadRequest, sender: Client) -> None:
        self.counters.add(bad.kind)
        log.info("bad packet from %s:%d: %s", *sender, bad.message)
        self._send(self.reply_target(sender), p.error(bad.id, bad.message))
        self.activity(sender, bad.address or "(unreadable)", f"error: {bad.message}", False)

    def _survived(
        self, where: str, error: Exception, sender: Client | None = None, request_id: int = p.UNKNOWN_ID
    ) -> None:
        """After an exception nothing else caught: count it, log its traceback the first time this kind
        happens here (later ones only at debug level, so no client can fill the log), answer if possible."""
        self.counters.add("internal")
        kind = (where, type(error).__name__)
        if kind in self._logged:
            log.debug("%s failed again: %r", where, error)
        else:
            self._logged.add(kind)
            log.error(
                "%s failed; the OSC server carries on (later %s here are only counted)",
                where,
                type(error).__name__,
                exc_info=error,
            )
        if sender is not None:
            try:
                self._send(
                    self.reply_target(sender),
                    p.error(request_id, f"internal error ({type(error).__name__}); details in the soundalike log"),
                )
            except Exception:  # noqa: BLE001, S110 - the answer is a courtesy; the count and the log are kept
                pass

    # --- serving -----------------------------------------------------------------------------
    def _serve_loop(self) -> None:
        timeout = max(0.02, self.push.progress_interval)
        while not self._stopping.is_set():
            item = None
            try:
                item = self._queue.get(timeout=timeout if self.push.has_pending() else None)
                if isinstance(item, Request):
                    self._serve(item)
                self._send_push()
                self.drops.refresh()
            except Exception as e:  # noqa: BLE001 - one request or event never stops the serving thread
                self._survived(
                    "serving",
                    e,
                    item.sender if isinstance(item, Request) else None,
                    item.id if isinstance(item, Request) else p.UNKNOWN_ID,
                )

    def _serve(self, request: Request) -> None:
        self.counters.add("requests")
        replies, error_kind = dispatch(self.table, request)
        try:
            datagrams = [encode_checked(reply, self.settings.max_reply_bytes) for reply in replies]
        except ReplyTooLarge as e:  # all or nothing: a client never sees half an answer then an error
            log.warning("%s", e)
            error_kind, datagrams = "failed", [encode_checked(p.error(request.id, str(e)), MAX_DATAGRAM)]
        if error_kind:
            self.counters.add(error_kind)
        target = self.reply_target(request.sender)
        for data in datagrams:
            self._send_bytes(target, data)
        try:
            self.activity(request.sender, request.address, p.summary(request, replies), error_kind is None)
        except Exception as e:  # noqa: BLE001 - answered already; a failing listener is counted, not fatal
            self._survived("activity", e)

    def _send_push(self) -> None:
        replies = self.push.take()
        if not replies:
            return
        datagrams = []
        for reply in replies:
            try:
                datagrams.append(encode_checked(reply, self.settings.max_reply_bytes))
            except ReplyTooLarge as e:
                log.warning("push event not sent: %s", e)
        for client in self.push.subscribers():
            for data in datagrams:
                if self._send_bytes(client, data):
                    self.counters.add("pushed")

    def reply_target(self, sender: Client) -> Client:
        host = self.settings.reply_host or sender[0]
        return host, self.reply_port_of(sender) or self.settings.reply_port or sender[1]

    def send_to(self, target: Client, reply: Reply) -> bool:
        """Send one message to ``target`` from the server's port (e.g. ``/soundalike/hello`` at start)."""
        return self._send(target, reply)

    def _send(self, target: Client, reply: Reply) -> bool:
        return self._send_bytes(target, encode_checked(reply, MAX_DATAGRAM))

    def _send_bytes(self, target: Client, data: bytes) -> bool:
        try:
            _send_waiting(self._sockets[0], data, target)
        except OSError as e:
            self.counters.add("send_failed")
            log.info("could not send %d bytes to %s:%d: %s", len(data), *target, e)
            return False
        self.counters.add("replies")
        self.drops.watch(target)
        return True


def _send_waiting(sock, data: bytes, target: Client, wait: float = 0.2) -> None:
    """``sendto`` on a non-blocking socket, waiting up to ``wait`` seconds for room in its buffer."""
    waited = False
    for _ in range(3):
        try:
            sock.sendto(data, target)
            return
        except BlockingIOError:
            if waited:
                raise
            waited = True
            select.select([], [sock], [], wait)
        except ConnectionRefusedError:  # reports an earlier datagram's closed port (not this one's): again
            continue
    sock.sendto(data, target)
