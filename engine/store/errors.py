"""The catalog's two user-facing errors: its pages are damaged, or its disk is full."""
from __future__ import annotations

import errno
import os
import sqlite3

from soundalike.engine.errors import UserError

_FULL_CODES = {sqlite3.SQLITE_FULL}
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


class CatalogDamaged(UserError):
    """The catalog's pages are corrupt (or it is not a database): ``soundalike repair`` salvages it."""


class DiskFull(UserError):
    """The disk holding the library is full. Reads still work; ``serve`` pauses and retries."""


def disk_full(folder: str | os.PathLike) -> DiskFull:
    return DiskFull(f"the disk holding {folder} is full: free some space and run the command again "
                    f"(nothing already indexed is lost)")


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, DiskFull):
        return True
    if isinstance(error, OSError):
        return error.errno in DISK_FULL_ERRNOS
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", 0) & 0xFF in _FULL_CODES or "disk is full" in str(error)
    return False


def damaged(path: str | os.PathLike, error: BaseException | str) -> CatalogDamaged:
    return CatalogDamaged(f"the catalog {path} is damaged ({error}): run `soundalike repair` to salvage "
                          f"every readable sample (favourites and tags included) into a new catalog")
