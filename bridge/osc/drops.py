"""How many datagrams a local client's socket dropped because it did not read them (Linux only).

UDP cannot tell a sender whether a datagram arrived: ``sendto`` succeeds while the kernel drops the
reply at a client whose buffer is full. For clients on this machine Linux shows each socket's drop
count in /proc/net/udp; the bridge reads it for the ports it replies to, so its status can say how
many replies never reached a client instead of counting them as delivered, and how many requests
the kernel dropped at its own sockets before it could read them.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from soundalike.bridge.osc.access import is_loopback

TABLES = (Path("/proc/net/udp"), Path("/proc/net/udp6"))


def drops_by_port() -> dict[int, int] | None:
    """Local port -> datagrams dropped, over this machine's UDP sockets; None where not available."""
    counts: dict[int, int] = {}
    found = False
    for table in TABLES:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        found = True
        for line in lines:
            fields = line.split()
            if len(fields) >= 13 and fields[-1].isdigit():
                port = int(fields[1].rsplit(":", 1)[1], 16)
                counts[port] = counts.get(port, 0) + int(fields[-1])
    return counts if found else None


class DropWatch:
    """Drops at the loopback ports the bridge replied to, counted from the first reply to each."""

    def __init__(self, capacity: int = 4096, every: float = 1.0):
        self._baseline: dict[int, int] = {}
        self._latest: dict[int, int] = {}
        self._capacity, self._every = capacity, every
        self._refreshed = 0.0
        self._own: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self.available = drops_by_port() is not None

    def watch(self, target: tuple[str, int]) -> None:
        """Called on each reply; reads /proc only for a port not seen before."""
        port = target[1]
        if not self.available or port in self._baseline or not is_loopback(target[0]):
            return
        if len(self._baseline) >= self._capacity:
            return
        counts = drops_by_port() or {}
        with self._lock:
            self._baseline[port] = self._latest[port] = counts.get(port, 0)

    def own_baseline(self, port: int) -> None:
        """Start counting what the server's own sockets on ``port`` drop (a flood outrunning it)."""
        self._own = (port, (drops_by_port() or {}).get(port, 0)) if self.available else None

    def own_dropped(self) -> int:
        """Requests the kernel dropped before the server could read them (-1: unknown)."""
        if self._own is None:
            return -1
        port, baseline = self._own
        return max(0, (drops_by_port() or {}).get(port, baseline) - baseline)

    def refresh(self) -> None:
        """Read the counts again, at most once every ``every`` seconds (the serving thread calls this
        often): a client that closes its socket takes its count with it, so it is read while it lives."""
        now = time.monotonic()
        if self._baseline and now - self._refreshed >= self._every:
            self._refreshed = now
            self._update()

    def dropped(self) -> int:
        """Replies dropped at watched clients since the bridge first replied to them (-1: unknown)."""
        if not self.available:
            return -1
        self._update()
        with self._lock:
            return sum(self._latest[port] - self._baseline[port] for port in self._baseline)

    def _update(self) -> None:
        counts = drops_by_port() or {}
        with self._lock:
            for port in self._baseline:
                if port in counts:
                    self._latest[port] = max(self._latest[port], counts[port])
