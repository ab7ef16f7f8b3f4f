"""Text in and out of the catalog, losslessly, and file names shown readably.

A file name on Linux is bytes; Python hands names that are not valid UTF-8 (common on drives
written by other systems) to us as ``str`` with each stray byte "surrogate-escaped" (``\\udcff``).
SQLite stores UTF-8 text and refuses such strings, so every ``str`` crossing into the catalog goes
through :func:`to_db`, a reversible escape that leaves ordinary text unchanged (existing catalogs
need no migration), and every text value read back through :func:`from_db`:

* a lone surrogate ``s`` becomes ``ESCAPE + chr(0x100 + ord(s) - 0xD800)``;
* ``ESCAPE`` itself (U+FFFF, a Unicode noncharacter no real name uses) becomes ``ESCAPE * 2``.

The escape works character by character and never produces ``/``, so a folder's escaped name is a
prefix of its files' escaped names and the catalog's range queries over folders still work.

:class:`CatalogConnection` applies both to every statement, and turns SQLite's "corrupt" and
"disk full" errors into the two user-facing errors below, so no caller has to remember. Reading
through a Python ``text_factory`` costs about twice the plain read, so a catalog only pays for
it once it holds an escaped value: the first write of one records ``escaped_text`` in ``meta``,
and connections (those open in this process at once, others when they open) switch over.
"""
from __future__ import annotations

import errno
import os
import sqlite3
from typing import NoReturn

from soundalike.engine.errors import UserError

ESCAPE = "\uffff"
_SURROGATES = range(0xD800, 0xE000)
_CORRUPT_CODES = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
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


def to_db(text: str) -> str:
    """``text`` as it is stored: unchanged unless it holds lone surrogates or the escape."""
    if text.isascii():
        return text
    if ESCAPE not in text:
        try:
            text.encode("utf-8")
            return text
        except UnicodeEncodeError:
            pass
    out = []
    for char in text:
        if char == ESCAPE:
            out.append(ESCAPE * 2)
        elif ord(char) in _SURROGATES:
            out.append(ESCAPE + chr(0x100 + ord(char) - 0xD800))
        else:
            out.append(char)
    return "".join(out)


def from_db(raw: bytes) -> str:
    """The ``text_factory``: stored UTF-8 back to the ``str`` that was written."""
    text = str(raw, "utf-8", "surrogateescape")
    return text if ESCAPE not in text else unescape(text)


def unescape(text: str) -> str:
    out, chars = [], iter(text)
    for char in chars:
        if char != ESCAPE:
            out.append(char)
            continue
        following = next(chars, ESCAPE)
        out.append(ESCAPE if following == ESCAPE else chr(ord(following) - 0x100 + 0xD800))
    return "".join(out)


def readable(path: str) -> str:
    """A file name for one line of output: stray bytes as ``\\xff``, control characters escaped."""
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raw = path.encode("utf-8", "backslashreplace")
    shown = raw.decode("utf-8", "backslashreplace")
    if shown.isprintable():
        return shown
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in shown)


def utf8_or_readable(path: str) -> str:
    """``path`` itself when it can be sent as UTF-8 (OSC strings must be), else its readable form."""
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        return readable(path)


def _encoded(value):
    return to_db(value) if isinstance(value, str) else value


def _encode_params(params):
    if isinstance(params, dict):
        return {key: _encoded(value) for key, value in params.items()}
    return [_encoded(value) for value in params]


def _changed(before, after) -> bool:
    values = before.values() if isinstance(before, dict) else before
    encoded = after.values() if isinstance(after, dict) else after
    return any(a is not b for a, b in zip(values, encoded))


_WRITES = ("INSERT", "UPDATE", "REPLACE")
ESCAPES_KEY = "escaped_text"


class CatalogConnection(sqlite3.Connection):
    """A connection that stores any ``str`` losslessly and names corruption and a full disk."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self.db_path = os.fsdecode(database)
        self.on_escape = None  # called (no arguments) when this connection first stores an escaped value

    def read_escapes(self) -> None:
        """Read text through :func:`from_db` from now on (the catalog holds escaped values)."""
        self.text_factory = from_db

    def execute(self, sql, params=()):
        encoded = _encode_params(params)
        try:
            if _changed(params, encoded) and sql.lstrip().upper().startswith(_WRITES):
                self._remember_escapes()
            return super().execute(sql, encoded)
        except sqlite3.Error as e:
            self.reraise(e)

    def executemany(self, sql, seq):
        escaped = []

        def encode_all():
            for params in seq:
                encoded = _encode_params(params)
                if not escaped and _changed(params, encoded):
                    escaped.append(True)
                yield encoded
        try:
            cursor = super().executemany(sql, encode_all())
            if escaped and sql.lstrip().upper().startswith(_WRITES):
                self._remember_escapes()
            return cursor
        except sqlite3.Error as e:
            self.reraise(e)

    def _remember_escapes(self) -> None:
        if self.text_factory is not from_db:
            super().execute("INSERT OR IGNORE INTO meta(key, value) VALUES (?, '1')", (ESCAPES_KEY,))
            self.read_escapes()
            if self.on_escape is not None:
                self.on_escape()

    def reraise(self, error: sqlite3.Error) -> NoReturn:
        """Raise the user-facing error for ``error``, or ``error`` itself when it is none of ours."""
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        if code in _CORRUPT_CODES:
            raise damaged(self.db_path, error) from error
        if is_disk_full(error):
            raise disk_full(os.path.dirname(self.db_path)) from error
        raise error
