"""Which files an OSC client may name: the library's folders (and listed ones), or anywhere.

Any local program can talk to the bridge, so by default a path outside the library's roots and
``[bridge] query_folders`` gets exactly the error a missing file gets: a client learns nothing
about the rest of the disk, and the server never decodes a file the user did not put in reach.
Paths are resolved (symlinks followed) before they are compared.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import get_args

from soundalike.engine.config import QueryPaths
from soundalike.engine.errors import QueryError, UserError

MODES: tuple[QueryPaths, ...] = get_args(QueryPaths)


class PathPolicy:
    def __init__(self, mode: str, folders: Iterable[str], roots: Callable[[], list[str]]):
        if mode not in MODES:
            raise UserError(f"[bridge] query_paths must be one of {', '.join(MODES)}, got {mode!r}")
        self.mode, self.roots = mode, roots
        self.folders = tuple(_resolved(os.path.expanduser(folder)) for folder in folders)

    def check(self, path: str) -> str:
        """``path`` if a client may query it and it is a readable file; QueryError otherwise."""
        if "\0" in path:  # no file has one; the OS functions would raise ValueError
            raise QueryError(not_found(path))
        if not os.path.isabs(path):
            raise QueryError(f"{path!r} is not an absolute path")
        if self.mode == "anywhere":
            return readable_file(path)
        if not self._within(_resolved(path)):
            raise QueryError(not_found(path))
        try:
            return readable_file(path)
        except ValueError:
            raise QueryError(not_found(path)) from None

    def writable_folder(self, path: str) -> str:
        """``path`` if a client may have files written into it (a kit export); QueryError otherwise.
        Under "library" only the library's folders and ``query_folders`` (list a DAW project
        folder there), so no client can make the server write anywhere on the disk."""
        if "\0" in path:
            raise QueryError(f"{_shown(path)}: not a folder name (it holds a NUL)")
        if not os.path.isabs(path):
            raise QueryError(f"{path!r} is not an absolute path")
        if self.mode != "anywhere" and not self._within(_resolved(path)):
            raise QueryError(f"{path}: not inside the library's folders or [bridge] query_folders (add it there)")
        return path

    def may_write_in(self, real_place: str) -> bool:
        """Whether an export may write into the folder that really is at ``real_place`` (links resolved)."""
        return self.mode == "anywhere" or self._within(real_place)

    def _within(self, resolved: str) -> bool:
        allowed = (*(_resolved(root) for root in self.roots()), *self.folders)
        return any(resolved == folder or resolved.startswith(folder.rstrip(os.sep) + os.sep) for folder in allowed)


def not_found(path: str) -> str:
    return f"{_shown(path)}: no such audio file in the library's folders or [bridge] query_folders"


def _shown(path: str) -> str:
    return path.replace("\0", "\\0")  # a NUL would end the OSC string early


def _resolved(path: str) -> str:
    return os.path.realpath(path)


def readable_file(path: str) -> str:
    """``path`` if it names a readable regular file; QueryError with the reason otherwise."""
    if not os.path.exists(path):
        raise QueryError(f"{path} does not exist")
    if not os.path.isfile(path):
        raise QueryError(f"{path} is not a file")
    if not os.access(path, os.R_OK):
        raise QueryError(f"{path} is not readable")
    return path
