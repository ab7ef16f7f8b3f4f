"""The catalog: one SQLite database on disk (WAL) with a row per file, its vectors and tags.

Vectors live here as well as in the FAISS indexes, so an index can always be rebuilt from the
catalog without decoding or embedding anything again. Each thread gets its own connection.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import fields
from pathlib import Path

import numpy as np

from soundalike.engine.errors import UserError
from soundalike.engine.store.connection import ESCAPES_KEY, CatalogConnection
from soundalike.engine.store.errors import store_error
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.rows import BULK, Known, SampleRow, VectorChanges
from soundalike.engine.store.rows import STATUSES as STATUSES  # the statuses, where the catalog is imported
from soundalike.engine.store.rows import SampleStatus as SampleStatus
from soundalike.engine.store.schema import migrate
from soundalike.engine.store.text import subtree_range
from soundalike.engine.store.transaction import Immediate
from soundalike.engine.store.where import where

log = logging.getLogger(__name__)

#: Which of some samples have a vector from one backend: a search on the key (backend, sample_id).
HELD_BY_SQL = "SELECT sample_id FROM vectors WHERE backend = ? AND sample_id IN ({marks})"
#: The distinct backends of the vectors table, walking its key from one backend to the next.
STORED_BACKENDS_SQL = (
    "WITH RECURSIVE b(name) AS (SELECT min(backend) FROM vectors UNION ALL "
    "SELECT (SELECT min(backend) FROM vectors WHERE backend > b.name) FROM b "
    "WHERE b.name IS NOT NULL) SELECT name FROM b WHERE name IS NOT NULL"
)


SAMPLE_COLUMNS = ", ".join(f.name for f in fields(SampleRow))


_KNOWN_COLUMNS = "path, id, size, mtime, status, ctime, inode, content_hash"


class Catalog:
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

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

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

    # --- roots -------------------------------------------------------------------------------
    def add_root(self, path: str) -> None:
        with self.transaction() as tx:
            tx.execute("INSERT OR IGNORE INTO roots(path, added) VALUES (?, ?)", (path, time.time()))

    def roots(self) -> list[str]:
        return [row[0] for row in self.query("SELECT path FROM roots ORDER BY path")]

    # --- samples -----------------------------------------------------------------------------
    def known_files(self, root: str) -> dict[str, Known]:
        """path -> what is known of it, for every sample under ``root``."""
        rows = self.query(f"SELECT {_KNOWN_COLUMNS} FROM samples WHERE root = ?", (root,))
        return {row[0]: Known(*row[1:]) for row in rows}

    def known_under(self, path: str) -> dict[str, Known]:
        """Like :meth:`known_files`, for ``path`` itself and everything below it."""
        rows = self.query(
            f"SELECT {_KNOWN_COLUMNS} FROM samples WHERE path = ? OR (path >= ? AND path < ?)",
            (path, *subtree_range(path)),
        )
        return {row[0]: Known(*row[1:]) for row in rows}

    def live_count(self, root: str) -> int:
        """Samples under ``root`` whose file was there at the last look (ok or failed)."""
        return self.query("SELECT count(*) FROM samples WHERE root = ? AND status IN ('ok', 'failed')", (root,))[0][0]

    def paths_with_status(self, root: str, status: str, limit: int, offset: int = 0) -> list[str]:
        return [
            r[0]
            for r in self.query(
                "SELECT path FROM samples WHERE root = ? AND status = ? ORDER BY id LIMIT ? OFFSET ?",
                (root, status, limit, offset),
            )
        ]

    def set_root_online(self, path: str, online: bool) -> None:
        with self.transaction() as tx:
            tx.execute("UPDATE roots SET online = ? WHERE path = ?", (int(online), path))

    def sample(self, sample_id: int) -> SampleRow | None:
        rows = self.query(f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE id = ?", (sample_id,))
        return row_from_values(rows[0]) if rows else None

    def sample_by_path(self, path: str) -> SampleRow | None:
        rows = self.query(f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE path = ?", (path,))
        return row_from_values(rows[0]) if rows else None

    def samples(self, ids: Iterable[int]) -> dict[int, SampleRow]:
        ids = list(ids)
        found: dict[int, SampleRow] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.query(f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE id IN ({marks})", chunk):
                found[row[0]] = row_from_values(row)
        return found

    def set_favourite(self, sample_id: int, favourite: bool) -> None:
        with self.transaction() as tx:
            tx.execute("UPDATE samples SET favourite = ? WHERE id = ?", (int(favourite), sample_id))

    def ids_matching(self, filters: Filters) -> list[int]:
        """Ids of playable samples (status ok) that pass ``filters``."""
        where_sql, params = where(dataclasses.replace(filters, status="ok"))
        return [r[0] for r in self.query(f"SELECT id FROM samples{where_sql}", params)]

    # --- vectors and tags --------------------------------------------------------------------
    def vectors(self, backend: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(ids, matrix) of the stored vectors of ``backend`` for samples that are ok."""
        rows = self.query(
            "SELECT v.sample_id, v.vector FROM vectors v JOIN samples s ON s.id = v.sample_id "
            "WHERE v.backend = ? AND s.status = 'ok' ORDER BY v.sample_id",
            (backend,),
        )
        if not rows:
            return np.zeros(0, dtype=np.int64), None
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return ids, matrix

    def vector_ids(self, backend: str) -> np.ndarray:
        """Ids of the samples that :meth:`vectors` would return, without reading the vectors."""
        rows = self.query(
            "SELECT v.sample_id FROM vectors v JOIN samples s ON s.id = v.sample_id "
            "WHERE v.backend = ? AND s.status = 'ok' ORDER BY v.sample_id",
            (backend,),
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def vector_dim(self, backend: str) -> int | None:
        rows = self.query("SELECT length(vector) FROM vectors WHERE backend = ? LIMIT 1", (backend,))
        return rows[0][0] // 4 if rows else None

    def vectors_of(self, ids: Sequence[int], backend: str) -> tuple[list[int], np.ndarray | None]:
        """Stored vectors of ``backend`` for ``ids`` (those that have one), whatever their status."""
        found, blobs = [], []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            for sid, blob in self.query(
                f"SELECT sample_id, vector FROM vectors WHERE backend = ? AND sample_id IN ({marks})", [backend, *chunk]
            ):
                found.append(sid)
                blobs.append(blob)
        if not found:
            return [], None
        return found, np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(found), -1)

    def backends_of(self, ids: Sequence[int]) -> dict[int, set[str]]:
        """sample id -> the backends it has vectors from.

        The vectors' key starts with the backend, so each lookup names one: by sample id alone,
        every 500 ids scanned the whole key (a re-index of 100k files spent 2.6 s there).
        """
        out: dict[int, set[str]] = {}
        for backend in self.stored_backends():
            if len(ids) > BULK:  # a whole library: one read of the backend's part of the key
                held = {row[0] for row in self.query("SELECT sample_id FROM vectors WHERE backend = ?", (backend,))}
                for sid in held.intersection(ids):
                    out.setdefault(sid, set()).add(backend)
                continue
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                for (sid,) in self.query(HELD_BY_SQL.format(marks=",".join("?" * len(chunk))), [backend, *chunk]):
                    out.setdefault(sid, set()).add(backend)
        return out

    def stored_backends(self) -> list[str]:
        """The backends with any stored vector (one key lookup per backend, not a scan)."""
        return [row[0] for row in self.query(STORED_BACKENDS_SQL)]

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

    def vector(self, sample_id: int, backend: str) -> np.ndarray | None:
        rows = self.query("SELECT vector FROM vectors WHERE sample_id = ? AND backend = ?", (sample_id, backend))
        return np.frombuffer(rows[0][0], dtype=np.float32).copy() if rows else None

    def tags(self, sample_id: int) -> dict[str, dict[str, float]]:
        """source -> {tag: score}."""
        out: dict[str, dict[str, float]] = {}
        for source, tag, score in self.query(
            "SELECT source, tag, score FROM tags WHERE sample_id = ? ORDER BY score DESC", (sample_id,)
        ):
            out.setdefault(source, {})[tag] = score
        return out

    def backend_signature(self, backend: str) -> str | None:
        """Which model made ``backend``'s stored vectors (None before any was recorded)."""
        rows = self.query("SELECT value FROM meta WHERE key = ?", (f"backend:{backend}",))
        return rows[0][0] if rows else None

    def set_backend_signature(self, backend: str, signature: str) -> bool:
        """Record which model made ``backend``'s vectors; a different one drops the old vectors
        (returns True when it did)."""
        with self.transaction() as tx:
            old = tx.execute("SELECT value FROM meta WHERE key = ?", (f"backend:{backend}",)).fetchone()
            dropped = bool(old and old[0] != signature)
            if dropped:
                log.warning("backend %s changed (%s -> %s): its vectors will be made again", backend, old[0], signature)
                tx.execute("DELETE FROM vectors WHERE backend = ?", (backend,))
            tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (f"backend:{backend}", signature))
        return dropped

    # --- statistics --------------------------------------------------------------------------
    def status_counts(self) -> dict[str, int]:
        return dict(self.query("SELECT status, count(*) FROM samples GROUP BY status"))

    def failures(self, limit: int = 10_000) -> list[tuple[str, str]]:
        return self.query("SELECT path, reason FROM samples WHERE status = 'failed' ORDER BY path LIMIT ?", (limit,))

    def failure_reasons(self) -> dict[str, int]:
        return dict(
            self.query(
                "SELECT reason, count(*) FROM samples WHERE status = 'failed' GROUP BY reason ORDER BY count(*) DESC"
            )
        )

    def vector_counts(self) -> dict[str, int]:
        return dict(self.query("SELECT backend, count(*) FROM vectors GROUP BY backend"))


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


#: Where the flags stored as 0/1 (silent, clipped, favourite) sit among SAMPLE_COLUMNS.
_FLAGS = [f.name for f in fields(SampleRow)].index("silent")


def row_from_values(values: tuple) -> SampleRow:
    if values[_FLAGS] is not None:
        flags = tuple(bool(flag) for flag in values[_FLAGS : _FLAGS + 3])
        values = (*values[:_FLAGS], *flags, *values[_FLAGS + 3 :])
    return SampleRow(*values)
