"""The PostgreSQL catalog's core: its connections (one per thread), named roots, user, change log.

What both stores read the same way is :class:`~soundalike.engine.store.shared_catalog.SharedCatalog`;
:class:`~.store.PostgresStore` adds the rest of the store. Paths cross in and out as this machine's
own (:mod:`.paths`: the catalog keeps them relative to named roots); a sample under a root this
machine does not map is left out of what the store hands out, and favourites, user tags and
collections are the store's user's.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence

import psycopg

from soundalike.engine.config import StoreSettings
from soundalike.engine.store.dialect import POSTGRES
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.postgres import named_roots
from soundalike.engine.store.postgres.changes import changes_since
from soundalike.engine.store.postgres.connection import PgConnection, store_error
from soundalike.engine.store.postgres.listen import follow_vectors
from soundalike.engine.store.postgres.paths import PathMap, name_of_stored
from soundalike.engine.store.postgres.schema import migrate
from soundalike.engine.store.postgres.transaction import Scope
from soundalike.engine.store.postgres.where import visible, where
from soundalike.engine.store.rows import SampleRow, VectorChanges
from soundalike.engine.store.shared_catalog import SharedCatalog, row_from_values

log = logging.getLogger(__name__)

#: The tags one user sees, as a table (one ``?``: the user): the backends' tags, and the user's
#: own (source "user", scored 1); another user's tags are theirs alone.
MY_TAGS = (
    "(SELECT sample_id, source, tag, score FROM tags "
    "UNION ALL SELECT sample_id, 'user', tag, 1.0 FROM user_tags WHERE username = ?)"
)


class PgCatalog(SharedCatalog):
    dialect = POSTGRES
    paths: PathMap

    def __init__(self, url: str, settings: StoreSettings | None = None):
        self.url = url
        self.settings = settings or StoreSettings()
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self.machine = self.settings.machine or socket.gethostname()
        conn = self._connection()
        try:
            migrate(conn.raw)
            self.paths = self._path_map()
            self.user: str = self.settings.user or conn.execute("SELECT current_user").fetchall()[0][0]
        except BaseException as e:
            self.close()
            if isinstance(e, psycopg.Error):
                raise store_error(url, e) from e
            raise

    def _path_map(self) -> PathMap:
        """The roots this machine registered (in the catalog), then those ``[store] roots`` names."""
        rows = self._connection().execute("SELECT name, path FROM machine_roots WHERE machine = ?", (self.machine,))
        named = dict(rows.fetchall())
        named.update(self.settings.root_paths())
        paths = PathMap(named)
        with Scope(self._connection(), self._write_lock, paths) as tx:
            for name in paths.named:
                named_roots.take_in(tx, paths, name)
        return paths

    # --- how paths and rows cross (see SharedCatalog) -----------------------------------------
    def rows(self, values: Iterable[tuple]) -> list[SampleRow]:
        """Sample rows with their local path and root and the user's favourite mark; those whose
        root is not mapped here are left out."""
        out = []
        for value in values:
            row = row_from_values(value)
            path, root = self.paths.local(row.path), self.paths.local(row.root)
            if path is not None and root is not None:
                out.append(dataclasses.replace(row, path=path, root=root))
        if not out:
            return out
        favourites = {
            sid
            for (sid,) in self.query(
                "SELECT sample_id FROM favourites WHERE username = ? AND sample_id = ANY(?)",
                (self.user, [row.id for row in out]),
            )
        }
        return [dataclasses.replace(row, favourite=row.id in favourites) for row in out]

    def filter_sql(self, filters: Filters) -> tuple[str, list]:
        return where(filters, self.paths, self.user)

    def visible_sql(self) -> tuple[str, list]:
        return f" AND {visible()}", [list(self.paths.named)]

    def tag_source(self) -> tuple[str, list]:
        return f"{MY_TAGS} t", [self.user]

    def unmapped_roots(self) -> dict[str, int]:
        """Named roots this machine does not map, and how many samples each holds."""
        rows = self.query("SELECT root, count(*) FROM samples GROUP BY root")
        out: dict[str, int] = {}
        for root, count in rows:
            name = name_of_stored(root)
            if name is not None and name not in self.paths.named:
                out[name] = out.get(name, 0) + int(count)
        return out

    def _connection(self) -> PgConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = PgConnection(self.url)
            self._local.conn = conn
        return conn

    def reachable(self) -> bool:
        """Whether this thread's connection to the server is up (or could be made again just now)."""
        try:
            conn = self._connection()
            if conn.raw.closed:
                conn.execute("SELECT 1")
        except StoreError:
            return False
        return not conn.raw.closed

    def check(self) -> None:
        """The server keeps its own pages sound: nothing to check but that it answers."""
        self.query("SELECT 1")

    def transaction(self) -> Scope:
        return Scope(self._connection(), self._write_lock, self.paths)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """The rows of one statement (``?`` marks); a database error raised as StoreError."""
        return self._connection().execute(sql, params).fetchall()

    # --- roots -------------------------------------------------------------------------------
    def add_root(self, path: str) -> None:
        """Add a library folder; one under no named root becomes a named root of its own (its
        folder's name), which the other machines map to their own path of it."""
        with self.transaction() as tx:
            if self.paths.name_of(path) is None:
                named_roots.register(tx, self.paths, self.machine, path)
            tx.execute(
                "INSERT INTO roots(path, added) VALUES (?, ?) ON CONFLICT (path) DO NOTHING",
                (self.paths.stored(path), time.time()),
            )

    def roots(self) -> list[str]:
        return sorted(super().roots())  # the local paths' order, not the stored ones'

    # --- samples -----------------------------------------------------------------------------
    def set_favourite(self, sample_id: int, favourite: bool) -> None:
        """Mark or unmark one of the user's favourites (favourites are each user's own)."""
        with self.transaction() as tx:
            if favourite:
                tx.execute(
                    "INSERT INTO favourites(username, sample_id, added) SELECT ?, id, ? FROM samples WHERE id = ? "
                    "ON CONFLICT DO NOTHING",
                    (self.user, time.time(), sample_id),
                )
            else:
                tx.execute("DELETE FROM favourites WHERE username = ? AND sample_id = ?", (self.user, sample_id))

    # --- vectors -----------------------------------------------------------------------------
    def vectors_version(self, backend: str) -> int:
        rows = self.query("SELECT version FROM vector_versions WHERE backend = ?", (backend,))
        return int(rows[0][0]) if rows else 0

    def follow_vectors(
        self,
        on_change: Callable[[str | None], None],
        on_lost: Callable[[StoreError], None],
        stop: threading.Event,
    ) -> None:
        follow_vectors(self.url, on_change, on_lost, stop)

    def vector_changes(self, backend: str, since: int) -> VectorChanges | None:
        """The changes to ``backend``'s vectors after version ``since``, read in one snapshot; None
        when the log no longer reaches back to ``since`` (or ``since`` is not this catalog's)."""
        conn = self._connection()
        conn.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            return changes_since(conn, backend, since, list(self.paths.named))
        finally:
            conn.end(commit=False)
