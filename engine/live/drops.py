"""Which folders are receiving a drop file by file (``cp -r``, a download manager, an unzip).

A folder moved in arrives as one event and its walk goes to the work queue's bulk lane. A folder
copied in arrives as thousands of single files, each settling on its own, and would fill the
fresh lane that single new files use: a file landing elsewhere then waited for the whole copy.
So a folder (or any folder above it, short of the watched root) that keeps receiving new files
faster than ``files`` per ``window`` seconds (a count that decays with time constant ``window``:
a burst of ``files`` at once, or about ``files / window`` a second for a while) is a bulk drop
until it slows down: its further files queue behind single files, as a moved-in folder's do. A
person saving a take or two, or an export of a few stems, stays well below it.

Pure and clock-driven; the caller holds the lock.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

#: New files in one folder that make it a drop: this many at once, or about this many per
#: ``DROP_WINDOW_SECONDS`` for a while (6 a second; ``cp -r`` of one-shots lands hundreds).
DROP_FILES = 32
DROP_WINDOW_SECONDS = 5.0


@dataclass
class _Arrivals:
    count: float  # decayed
    last: float

    def at(self, now: float, window: float) -> float:
        return self.count * math.exp(-(now - self.last) / window)


class DropDetector:
    def __init__(self, files: int = DROP_FILES, window: float = DROP_WINDOW_SECONDS):
        self.files, self.window = files, window
        self._folders: dict[str, _Arrivals] = {}

    def arrived(self, path: str, root: str, now: float) -> bool:
        """A new file at ``path`` (under ``root``) to decode; True when it is part of a drop."""
        self._forget_quiet(now)
        drop = False
        for folder in _folders_between(path, root):
            seen = self._folders.get(folder)
            count = (seen.at(now, self.window) if seen is not None else 0.0) + 1.0
            self._folders[folder] = _Arrivals(count, now)
            drop = drop or count > self.files
        return drop

    def in_drop(self, path: str, root: str, now: float) -> bool:
        """Whether ``path`` lies in a folder currently receiving a drop (without counting it)."""
        return any(
            (seen := self._folders.get(folder)) is not None and seen.at(now, self.window) > self.files
            for folder in _folders_between(path, root)
        )

    def _forget_quiet(self, now: float) -> None:
        if len(self._folders) > 4096:
            self._folders = {f: s for f, s in self._folders.items() if s.at(now, self.window) >= 0.5}


def _folders_between(path: str, root: str) -> list[str]:
    """The folders holding ``path``, from its own up to (not including) ``root``; the root itself
    for a file directly in it."""
    root = root.rstrip(os.sep)
    folders = []
    folder = os.path.dirname(path)
    while folder and folder != root and folder.startswith(root + os.sep):
        folders.append(folder)
        folder = os.path.dirname(folder)
    return folders or [os.path.dirname(path)]
