"""A connection to the PostgreSQL catalog that speaks the store's SQL.

The store's dialect-neutral modules (:mod:`..sounds`, :mod:`..musical`, :mod:`..writes`, ...) mark
parameters with ``?`` as SQLite does; :class:`PgConnection` rewrites them to psycopg's ``%s`` (a
literal ``%``, the modulo in ``root % 12``, is doubled first), so one statement serves both stores.
Text crosses as in the SQLite store (:mod:`soundalike.engine.store.text`): a file name that is not
UTF-8 is escaped on the way in and unescaped on the way out, so any ``str`` is stored losslessly;
NUL, which PostgreSQL text cannot hold (a copy group's layer name separates folder and name with it),
is escaped too.
Every database error leaves as the store's own :class:`~soundalike.engine.store.errors.StoreError`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg import conninfo
from psycopg.adapt import Loader

from soundalike.engine.store.errors import CatalogOutOfReach, StoreError
from soundalike.engine.store.text import ESCAPE, to_db, unescape, without_nul

log = logging.getLogger(__name__)


#: A write waits this long for a server out of reach (a restart, a network blip) before failing.
WRITE_WAIT_SECONDS = 10.0
RETRY_SECONDS = 0.25
#: TCP keepalives, so a connection whose peer vanished (a network gone, not closed) fails in seconds,
#: and a connection that cannot be made fails in seconds too.
KEEPALIVES: dict[str, Any] = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "connect_timeout": 3,
}
#: After an attempt to connect that failed slowly (past SLOW_CONNECT_SECONDS: no answer from the
#: network), statements fail at once with its error for this long, rather than each waiting again.
CONNECT_AGAIN_SECONDS = 2.0
SLOW_CONNECT_SECONDS = 0.5


def where_of(url: str) -> str:
    """The server and database of ``url``, for messages (never its password)."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "the PostgreSQL catalog"
    return f"the PostgreSQL catalog {parts.get('dbname', '?')} on {parts.get('host', 'localhost')}"


def store_error(url: str, error: psycopg.Error, lost: bool = False) -> StoreError:
    """The store's error for ``error``; ``lost``: the server could not be reached (CatalogOutOfReach)."""
    said = " ".join(str(error).split())  # libpq's messages run over several lines: one line here
    return (CatalogOutOfReach if lost else StoreError)(f"{where_of(url)} could not be read or written ({said})")


def _marks(sql: str) -> str:
    return sql.replace("%", "%%").replace("?", "%s")


def _text(value: str) -> str:
    return without_nul(to_db(value))


def _value(value: Any) -> Any:
    """A parameter as it is sent: text escaped, in a list of text (an array) too."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, list) and value and isinstance(value[0], str):
        return [_text(v) for v in value]
    return value


def _encoded(params: Sequence | dict) -> list | dict:
    if isinstance(params, dict):
        return {key: _value(v) for key, v in params.items()}
    return [_value(v) for v in params]


class _StoredText(Loader):
    """Text read back as the ``str`` that was written (see :func:`~soundalike.engine.store.text.to_db`)."""

    def load(self, data) -> str:
        text = bytes(data).decode("utf-8")
        return unescape(text) if ESCAPE in text else text


class PgConnection:
    """One autocommit psycopg connection; ``BEGIN``/``COMMIT`` come from :meth:`begin`/:meth:`end`.

    A connection lost (the server restarted, the network dropped) is made again on the next
    statement outside a transaction; inside one, the statement fails (the server rolls the
    transaction back) and the transaction's owner writes it again on a new one."""

    def __init__(self, url: str):
        self.url = url
        self.in_transaction = False
        self._failure: StoreError | None = None  # the last failed attempt to connect again, and when
        self._failed_at = 0.0
        self.raw = self._connect()

    def _connect(self) -> psycopg.Connection:
        try:
            raw = psycopg.connect(url := self.url, autocommit=True, **KEEPALIVES)
        except psycopg.Error as e:
            raise store_error(url, e, lost=True) from e
        raw.adapters.register_loader("text", _StoredText)
        return raw

    def _usable(self) -> psycopg.Connection:
        if self.raw.closed and not self.in_transaction:
            if self._failure is not None and time.monotonic() - self._failed_at < CONNECT_AGAIN_SECONDS:
                raise self._failure  # the server was out of reach a moment ago: say so at once
            log.info("connection to %s lost: connecting again", where_of(self.url))
            started = time.monotonic()
            try:
                self.raw = self._connect()
            except StoreError as e:
                if time.monotonic() - started > SLOW_CONNECT_SECONDS:  # a network gone, not a server down
                    self._failure, self._failed_at = e, time.monotonic()
                raise
            self._failure = None
        return self.raw

    def execute(self, sql: str, params: Sequence | dict = ()) -> psycopg.Cursor:
        for attempt in (1, 2):
            try:
                return self._usable().execute(_marks(sql), _encoded(params))
            except psycopg.OperationalError as e:
                if attempt == 2 or self.in_transaction or not self.raw.closed:
                    raise store_error(self.url, e, lost=self.raw.closed) from e
            except psycopg.Error as e:
                raise store_error(self.url, e) from e
        raise AssertionError("unreachable")

    def executemany(self, sql: str, seq: Iterable[Any]) -> psycopg.Cursor:
        cursor = self._usable().cursor()
        try:
            cursor.executemany(_marks(sql), [_encoded(params) for params in seq])
        except psycopg.Error as e:
            raise store_error(self.url, e, lost=self.raw.closed) from e
        return cursor

    def begin(self, how: str = "", wait: float = 0.0) -> None:
        """Start a transaction (``how``: e.g. "ISOLATION LEVEL REPEATABLE READ READ ONLY"); while the
        server is out of reach, try again for up to ``wait`` seconds (a write outlives a restart)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                self.execute(f"BEGIN {how}".strip())
                break
            except StoreError:
                if not self.raw.closed or time.monotonic() >= deadline:
                    raise
                time.sleep(RETRY_SECONDS)
        self.in_transaction = True

    def end(self, commit: bool) -> None:
        """Commit or roll back; a rollback on a lost connection is the server's own."""
        try:
            if commit or not self.raw.closed:
                self.execute("COMMIT" if commit else "ROLLBACK")
        finally:
            self.in_transaction = False

    def close(self) -> None:
        self.raw.close()
