"""Faults a studio's network and server cause, made real for the tests: a PostgreSQL server of a test's
own (stopped, started, restarted under the engines using it) and a TCP relay to it that the test cuts."""

from __future__ import annotations

import socket
import threading

from tests.engine.store.postgres_server import PostgresServer


class OwnServer(PostgresServer):
    """A server for one test (the session's is shared by the others), also listening on 127.0.0.1."""

    def start(self) -> None:
        with socket.create_server(("127.0.0.1", 0)) as probe:  # a free port, for the server to take
            self.port = probe.getsockname()[1]
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C")
        self.start_again()

    def _options(self) -> tuple[str, ...]:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off"
        return "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w"

    def start_again(self) -> None:
        self._run("pg_ctl", *self._options(), "start")

    def stop_only(self) -> None:
        """Stop the server (its connections dropped), keeping its data for :meth:`start_again`."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        try:
            super().stop()
        except RuntimeError:  # stopped already (a test that failed while it was down)
            pass

    def restart(self) -> None:
        self._run("pg_ctl", *self._options(), "-m", "fast", "restart")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.folder}&port={self.port}"

    def tcp_url(self, port: int) -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/postgres"


class Relay:
    """Forwards TCP connections on 127.0.0.1 (``port``) to ``target``; :meth:`cut` drops every one
    open at once, as a network would, while new ones still get through (or, with ``silent``, are
    held unanswered, as by a network that lost its route to the server)."""

    def __init__(self, target: int):
        self.target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self.cuts = 0
        self.silent = False  # when set, new connections are held and never answered
        threading.Thread(target=self._accept, name="relay", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.silent:  # a network that lost the server: connections go nowhere, no answer
                with self._lock:
                    self._open.append(client)
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            with self._lock:
                self._open += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        with self._lock:
            dropped, self._open = self._open, []
            self.cuts += 1
        for sock in dropped:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self._listener.close()
        self.cut()
