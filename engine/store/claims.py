"""Claims on files for the SQLite store: granted at once, kept in memory.

A SQLite catalog lives in one data folder, and the one-writer :class:`~.lock.LibraryLock` lets a
single process index it, so no other indexer can hold a file: every claim is granted. They are
still counted and released as the shared store's are, so the contract suite holds for both.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterable, Sequence

from soundalike.engine.store.rows import Claim


class LocalClaims:
    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._mutex = threading.Lock()

    def claim(self, paths: Sequence[str], seconds: float) -> list[str]:
        until = time.monotonic() + seconds
        with self._mutex:
            for path in paths:
                self._until[path] = until
        return sorted(set(paths))

    def extend(self, seconds: float) -> int:
        until = time.monotonic() + seconds
        with self._mutex:
            for path in self._until:
                self._until[path] = until
            return len(self._until)

    def release(self, paths: Iterable[str]) -> None:
        with self._mutex:
            for path in paths:
                self._until.pop(path, None)

    def held(self) -> list[Claim]:
        now, machine, pid = time.monotonic(), socket.gethostname(), os.getpid()
        with self._mutex:
            return [
                Claim(path, machine, pid, until - now) for path, until in sorted(self._until.items()) if until > now
            ]
