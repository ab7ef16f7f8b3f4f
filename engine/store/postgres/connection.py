"""A connection to the PostgreSQL catalog that speaks the store's SQL.

The store's dialect-neutral modules (:mod:`..sounds`, :mod:`..musical`, :mod:`..writes`, ...) mark
parameters with ``?`` as SQLite does; :class:`PgConnection` rewrites them to psycopg's ``%s`` (a
literal ``%``, the modulo in ``root % 12``, is doubled first), so one statement serves both stores.
Text crosses as in the SQLite store (:mod:`soundalike.engine.store.text`): a file name that is not
UTF-8 is escaped on the way in and unescaped on the way out, so any ``str`` is stored losslessly.
Every database error leaves as the store's own :class:`~soundalike.engine.store.errors.StoreError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import conninfo
from psycopg.adapt import Loader

from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.text import ESCAPE, NUL_MARK, to_db, unescape


def where_of(url: str) -> str:
    """The server and database of ``url``, for messages (never its password)."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "the PostgreSQL catalog"
    return f"the PostgreSQL catalog {parts.get('dbname', '?')} on {parts.get('host', 'localhost')}"


def store_error(url: str, error: psycopg.Error) -> StoreError:
    return StoreError(f"{where_of(url)} could not be read or written ({str(error).strip()})")


def _marks(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def _text(value: str) -> str:
    """``value`` as stored: :func:`to_db`, and NUL escaped (PostgreSQL text cannot hold it)."""
    text = to_db(value)
    return text.replace("\0", ESCAPE + NUL_MARK) if "\0" in text else text


def _encoded(params: Sequence | dict) -> list | dict:
    if isinstance(params, dict):
        return {key: _text(v) if isinstance(v, str) else v for key, v in params.items()}
    return [_text(v) if isinstance(v, str) else v for v in params]


class _StoredText(Loader):
    """Text read back as the ``str`` that was written (see :func:`~soundalike.engine.store.text.to_db`)."""

    def load(self, data) -> str:
        text = bytes(data).decode("utf-8")
        return unescape(text) if ESCAPE in text else text


class PgConnection:
    """One autocommit psycopg connection; ``BEGIN``/``COMMIT`` come from :class:`PgTransactionScope`."""

    def __init__(self, url: str):
        self.url = url
        try:
            self.raw = psycopg.connect(url, autocommit=True)
        except psycopg.Error as e:
            raise store_error(url, e) from e
        self.raw.adapters.register_loader("text", _StoredText)

    def execute(self, sql: str, params: Sequence | dict = ()) -> psycopg.Cursor:
        try:
            return self.raw.execute(_marks(sql), _encoded(params))
        except psycopg.Error as e:
            raise store_error(self.url, e) from e

    def executemany(self, sql: str, seq: Iterable[Any]) -> psycopg.Cursor:
        cursor = self.raw.cursor()
        try:
            cursor.executemany(_marks(sql), [_encoded(params) for params in seq])
        except psycopg.Error as e:
            raise store_error(self.url, e) from e
        return cursor

    def close(self) -> None:
        self.raw.close()
