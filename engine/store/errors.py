"""The store's user-facing errors: its pages are damaged, its disk is full, or any other database error.

No database error leaves the store as the database's own type: the SQLite store raises one of these.
"""

from __future__ import annotations

import errno
import os
import sqlite3

from soundalike.engine.errors import SoundalikeError, UserError

_FULL_CODES = {sqlite3.SQLITE_FULL}
CORRUPT_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
DISK_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}


class StoreError(SoundalikeError):
    """The store could not be read or written, for a reason it does not name otherwise (a file made
    read-only under it, a table gone, a row it refuses). Not fatal by itself: a scan records the file
    it was writing as failed and goes on; an entry point prints its one line."""


class CatalogOutOfReach(StoreError):
    """A shared catalog's server could not be reached (it is restarting, or the network is down):
    nothing about the file being written, so work waits for the server instead of giving files up."""


class CatalogDamaged(UserError):
    """The catalog's pages are corrupt (or it is not a database): ``soundalike repair`` salvages it."""


class DiskFull(UserError):
    """The disk holding the library is full. Reads still work; ``serve`` pauses and retries."""


def disk_full(folder: str | os.PathLike) -> DiskFull:
    return DiskFull(
        f"the disk holding {folder} is full: free some space and run the command again "
        f"(nothing already indexed is lost)"
    )


def is_disk_full(error: BaseException) -> bool:
    if isinstance(error, DiskFull):
        return True
    if isinstance(error, OSError):
        return error.errno in DISK_FULL_ERRNOS
    if isinstance(error, sqlite3.Error):
        return getattr(error, "sqlite_errorcode", 0) & 0xFF in _FULL_CODES or "disk is full" in str(error)
    return False


def store_error(path: str | os.PathLike, error: sqlite3.Error) -> UserError | StoreError:
    """The store's own error for a database error met at ``path``: damaged, disk full, or StoreError."""
    if getattr(error, "sqlite_errorcode", 0) & 0xFF in CORRUPT_CODES:
        return damaged(path, error)
    if is_disk_full(error):
        return disk_full(os.path.dirname(path))
    return StoreError(
        f"the catalog {path} could not be read or written ({error}); if it is damaged, run `soundalike repair`"
    )


def damaged(path: str | os.PathLike, error: BaseException | str) -> CatalogDamaged:
    return CatalogDamaged(
        f"the catalog {path} is damaged ({error}): run `soundalike repair` to salvage "
        f"every readable sample (favourites and tags included) into a new catalog"
    )
