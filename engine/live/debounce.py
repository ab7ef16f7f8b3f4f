"""Debounce file-system events per path and hand on only paths that have settled.

A path is settled when no event has touched it for ``debounce`` seconds and two looks at it, the
second after the quiet period began, show the same size and mtime: a file still being copied in
keeps moving and waits. A path that is gone waits until its whole root is quiet, so a folder or
drive vanishing in one burst reaches the indexer as one batch (which is how it is recognised as
an unplugged drive rather than a few deletions).

Where the watcher sees opens and closes (inotify), a file some process holds open is not
settled until it is closed, or until it has been quiet for ``OPEN_GRACE_SECONDS`` (a writer that
pauses mid-file, as a slow download does, would otherwise get its partial file indexed).
"""

from __future__ import annotations

import logging
import os
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

#: A path held open waits at most this long after its last event before it is looked at anyway.
OPEN_GRACE_SECONDS = 30.0

Look = tuple[bool, int, float] | None  # (is_dir, size, mtime), None when not there


@dataclass
class _Pending:
    root: str
    last_event: float
    look: Look | str = "unseen"
    looked_at: float = 0.0


class ChangeTracker:
    def __init__(
        self, debounce: float, on_settled: Callable[[list[str]], None], clock: Callable[[], float] = time.monotonic
    ):
        self.debounce = debounce
        self.on_settled = on_settled
        self.clock = clock
        self._pending: dict[str, _Pending] = {}
        self._root_event: dict[str, float] = {}
        self._open: dict[str, int] = {}  # path -> opens not yet closed (inotify only)
        self._lock = threading.Lock()

    @property
    def interval(self) -> float:
        return min(0.25, max(0.02, self.debounce / 4))

    def touch(self, path: str, root: str) -> None:
        """An event happened at ``path`` (any thread)."""
        now = self.clock()
        with self._lock:
            item = self._pending.get(path)
            if item is None:
                self._pending[path] = _Pending(root, now)
            else:
                item.last_event = now
            self._root_event[root] = now

    def opened(self, path: str, delta: int) -> None:
        """A process opened (+1) or closed (-1) ``path`` (any thread)."""
        with self._lock:
            count = self._open.get(path, 0) + delta
            if count > 0:
                self._open[path] = count
            else:
                self._open.pop(path, None)

    def drop_under(self, root: str) -> None:
        """Forget pending paths of ``root`` (it went offline: the root check takes over)."""
        prefix = root.rstrip(os.sep) + os.sep
        with self._lock:
            for path in [p for p in self._pending if p == root or p.startswith(prefix)]:
                del self._pending[path]

    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def tick(self) -> list[str]:
        """Look at quiet paths once; return (and forget) those that settled."""
        now = self.clock()
        with self._lock:
            quiet = [(p, item) for p, item in self._pending.items() if now - item.last_event >= self.debounce]
        settled = []
        for path, item in quiet:
            if path in self._open and now - item.last_event < OPEN_GRACE_SECONDS:
                continue  # still being written (or read): wait for it to be closed
            look = _look(path)
            if look is None:
                if now - self._root_event.get(item.root, 0.0) >= self.debounce:
                    settled.append(path)
            elif look == item.look and item.looked_at > item.last_event:
                settled.append(path)
            else:
                item.look, item.looked_at = look, now
        with self._lock:
            ready = [p for p in settled if p in self._pending and now - self._pending[p].last_event >= self.debounce]
            for path in ready:
                del self._pending[path]
        return ready

    def run(self, stop: threading.Event) -> None:
        """The settling thread: tick until ``stop``, passing settled paths on."""
        while not stop.wait(self.interval):
            try:
                ready = self.tick()
                if ready:
                    self.on_settled(ready)
            except Exception:  # keep watching whatever one odd path does
                log.exception("change tracker failed")


def _look(path: str) -> Look:
    try:
        info = os.stat(path)
    except OSError:
        return None if not os.path.lexists(path) else (False, -1, 0.0)
    return (stat.S_ISDIR(info.st_mode), info.st_size, info.st_mtime)
