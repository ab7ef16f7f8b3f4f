"""The SQLite connection every catalog statement goes through.

:class:`CatalogConnection` applies :func:`~soundalike.engine.store.text.to_db` and ``from_db`` to
every statement, and turns SQLite's "corrupt" and "disk full" errors into the two user-facing
errors of :mod:`soundalike.engine.store.errors`, so no caller has to remember. Reading through a Python ``text_factory`` costs about twice the plain read, so a catalog only pays for
it once it holds an escaped value: the first write of one records ``escaped_text`` in ``meta``,
and connections (those open in this process at once, others when they open) switch over.
"""

from __future__ import annotations

import os
import sqlite3
from typing import NoReturn

from soundalike.engine.store.errors import CORRUPT_CODES, damaged, disk_full, is_disk_full
from soundalike.engine.store.text import from_db, to_db


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
        if code in CORRUPT_CODES:
            raise damaged(self.db_path, error) from error
        if is_disk_full(error):
            raise disk_full(os.path.dirname(self.db_path)) from error
        raise error
