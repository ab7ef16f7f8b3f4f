"""Which folders are receiving a drop file by file (``cp -r``, a download manager, an unzip).

A folder moved in arrives as one event and its walk goes to the work queue's bulk lane. A folder
copied in arrives as thousands of single files, each settling on its own, and would fill the
fresh lane that single new files use: a file landing elsewhere then waited for the whole copy.
So a folder (or any folder above it, short of the watched root) that received ``files`` new
files within ``window`` seconds counts as a bulk drop until it has been quiet for ``window``: its
further files queue behind single files, as a moved-in folder's do.

Pure and clock-driven; the caller holds the lock.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

#: New files in one folder within ``DROP_WINDOW_SECONDS`` that make it a drop.
DROP_FILES = 16
DROP_WINDOW_SECONDS = 10.0


@dataclass
class _Arrivals:
    count: int
    since: float
    last: float


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
            if seen is None or now - seen.last > self.window:
                seen = self._folders[folder] = _Arrivals(0, now, now)
            seen.count += 1
            seen.last = now
            drop = drop or seen.count > self.files
        return drop

    def in_drop(self, path: str, root: str, now: float) -> bool:
        """Whether ``path`` lies in a folder currently receiving a drop (without counting it)."""
        return any((seen := self._folders.get(folder)) is not None and now - seen.last <= self.window
                   and seen.count > self.files for folder in _folders_between(path, root))

    def _forget_quiet(self, now: float) -> None:
        if len(self._folders) > 4096:
            self._folders = {f: s for f, s in self._folders.items() if now - s.last <= self.window}


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
