"""The catalog: one SQLite database on disk (WAL) with a row per file, its vectors and tags.

Vectors live here as well as in the FAISS indexes, so an index can always be rebuilt from the
catalog without decoding or embedding anything again. Each thread gets its own connection. What
both stores read and write the same way is :class:`~.shared_catalog.SharedCatalog`; here is what
is SQLite's own: the connections, the one-column favourite and the vectors' version in ``meta``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

from soundalike.engine.errors import UserError
from soundalike.engine.store.connection import ESCAPES_KEY, CatalogConnection
from soundalike.engine.store.dialect import SQLITE
from soundalike.engine.store.errors import store_error
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.paths import AsTheyAre
from soundalike.engine.store.rows import STATUSES as STATUSES  # the statuses, where the catalog is imported
from soundalike.engine.store.rows import Known as Known
from soundalike.engine.store.rows import SampleRow as SampleRow
from soundalike.engine.store.rows import SampleStatus as SampleStatus
from soundalike.engine.store.rows import VectorChanges
from soundalike.engine.store.schema import migrate
from soundalike.engine.store.shared_catalog import HELD_BY_SQL as HELD_BY_SQL
from soundalike.engine.store.shared_catalog import SAMPLE_COLUMNS as SAMPLE_COLUMNS
from soundalike.engine.store.shared_catalog import STORED_BACKENDS_SQL as STORED_BACKENDS_SQL
from soundalike.engine.store.shared_catalog import SharedCatalog
from soundalike.engine.store.shared_catalog import row_from_values as row_from_values
from soundalike.engine.store.transaction import Immediate
from soundalike.engine.store.where import where

log = logging.getLogger(__name__)


class Catalog(SharedCatalog):
    dialect = SQLITE
    paths = AsTheyAre()

    def __init__(self, db_path: str | Path):
        self.path = Path(db_path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        self._connections: weakref.WeakSet = weakref.WeakSet()  # every thread's, to switch text reading
        self._escapes = False
        with self._write_lock:
            try:
                migrate(self._connection())
            except sqlite3.Error as e:
                raise store_error(self.path, e) from e

    def _connection(self) -> CatalogConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, factory=CatalogConnection)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
            except (sqlite3.DatabaseError, UnicodeDecodeError) as e:  # bytes flipped in the schema's text too
                raise cannot_open(self.path, e) from e
            self._local.conn = conn
            self._watch_escapes(conn)
        return conn

    def _watch_escapes(self, conn: CatalogConnection) -> None:
        """Make ``conn`` read escaped names back once the catalog holds any (see catalog_text)."""
        conn.on_escape = self._escapes_stored
        self._connections.add(conn)
        if self._escapes or _has_escapes(conn):
            self._escapes_stored()

    def _escapes_stored(self) -> None:
        self._escapes = True
        for conn in list(self._connections):
            conn.read_escapes()

    def transaction(self) -> Immediate:
        return Immediate(self._connection(), self._write_lock, self.path)

    def change_mark(self) -> tuple[int, int, int]:
        """Equal on two calls from one thread only when nothing was written in between, by this
        connection (its change count) or any other (SQLite's data version): to keep a whole-catalog
        read while it is still true."""
        conn = self._connection()
        return id(conn), int(conn.execute("PRAGMA data_version").fetchone()[0]), conn.total_changes

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """The rows of one statement; a database error raised as the store's own (StoreError)."""
        conn = self._connection()
        try:
            return conn.execute(sql, params).fetchall()  # a damaged page may only show once rows are read
        except sqlite3.Error as e:
            raise store_error(self.path, e) from e

    def filter_sql(self, filters: Filters) -> tuple[str, list]:
        return where(filters)

    words_per_row = True

    def per_row_filter_sql(self, filters: Filters, vocabulary: Mapping[str, Sequence[str]]) -> tuple[str, list]:
        return where(filters, vocabulary)

    # --- roots -------------------------------------------------------------------------------
    def add_root(self, path: str) -> None:
        with self.transaction() as tx:
            tx.execute("INSERT OR IGNORE INTO roots(path, added) VALUES (?, ?)", (path, time.time()))

    # --- samples -----------------------------------------------------------------------------
    def set_favourite(self, sample_id: int, favourite: bool) -> None:
        with self.transaction() as tx:
            tx.execute("UPDATE samples SET favourite = ? WHERE id = ?", (int(favourite), sample_id))

    # --- vectors -----------------------------------------------------------------------------
    def vectors_version(self, backend: str) -> int:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (f"vectors:{backend}",))
        return int(rows[0][0]) if rows else 0

    def follow_vectors(self, on_change, on_lost, stop: threading.Event) -> None:
        """Only this machine writes a SQLite catalog (its own writes reach its indexes): nothing to follow."""

    def vector_changes(self, backend: str, since: int) -> VectorChanges | None:
        """No change log here (one machine, whose own index follows its writes): nothing to read when
        ``since`` is the current version, else None (rebuild from the stored vectors)."""
        version = self.vectors_version(backend)
        return VectorChanges(version) if since == version else None


def _has_escapes(conn: CatalogConnection) -> bool:
    try:
        return conn.execute("SELECT 1 FROM meta WHERE key = ?", (ESCAPES_KEY,)).fetchone() is not None
    except sqlite3.OperationalError:  # no meta table yet (a catalog being created)
        return False


def cannot_open(path: Path, error: sqlite3.Error | UnicodeDecodeError) -> UserError:
    """Why the catalog cannot be opened, and what to do that loses nothing."""
    folder = path.parent
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.R_OK | os.W_OK)):
        return UserError(
            f"cannot open the catalog {path} ({error}): the library folder {folder} is read-only "
            f"or not yours; make it writable (chmod u+rw) or use another --data-dir; nothing in it "
            f"was changed"
        )
    return UserError(
        f"cannot open the catalog {path} ({error}); if it is damaged, `soundalike repair` "
        f"salvages what is readable (favourites and tags included)"
    )
