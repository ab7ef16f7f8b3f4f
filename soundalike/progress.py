"""A one-line progress bar for the terminal: count, files per second and time left."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    def __init__(self, label: str, stream: TextIO | None = None, width: int = 28, every: float = 0.2):
        self.label, self.width, self.every = label, width, every
        self.stream = stream or sys.stderr  # looked up now: sys.stderr may have been replaced
        self.started = time.monotonic()
        self._last_draw = 0.0
        self._drawn = False

    def update(self, done: int, total: int, current: str = "") -> None:
        now = time.monotonic()
        if now - self._last_draw < self.every and done < total:
            return
        self._last_draw = now
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        eta = (total - done) / rate if rate > 0 else 0.0
        filled = int(self.width * done / total) if total else self.width
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"\r{self.label} [{bar}] {done}/{total}  {rate:6.1f} files/s  ETA {eta:5.1f}s"
        if self.stream.isatty():
            self.stream.write(line)
            self.stream.flush()
            self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
