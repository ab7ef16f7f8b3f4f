"""The PostgreSQL catalog's core: its connections (one per thread), samples, vectors, statistics.

Mirrors :class:`soundalike.engine.store.catalog.Catalog`, statement for statement where both
databases accept it; :class:`~.store.PostgresStore` adds the rest of the store. Paths cross in and
out as this machine's own (:mod:`.paths`: the catalog keeps them relative to named roots); a sample
under a root this machine does not map is left out of what the store hands out.
"""

from __future__ import annotations

import dataclasses
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence

import numpy as np
import psycopg

from soundalike.engine.config import StoreSettings
from soundalike.engine.store.catalog import HELD_BY_SQL, SAMPLE_COLUMNS, STORED_BACKENDS_SQL, row_from_values
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.postgres import named_roots
from soundalike.engine.store.postgres.changes import changes_since
from soundalike.engine.store.postgres.connection import PgConnection, store_error
from soundalike.engine.store.postgres.listen import follow_vectors
from soundalike.engine.store.postgres.paths import PathMap, name_of_stored
from soundalike.engine.store.postgres.schema import migrate
from soundalike.engine.store.postgres.transaction import META, Scope
from soundalike.engine.store.postgres.where import visible, where
from soundalike.engine.store.rows import Known, SampleRow, VectorChanges
from soundalike.engine.store.text import subtree_range

log = logging.getLogger(__name__)

#: The tags one user sees, as a table (one ``?``: the user): the backends' tags, and the user's
#: own (source "user", scored 1); another user's tags are theirs alone.
MY_TAGS = (
    "(SELECT sample_id, source, tag, score FROM tags "
    "UNION ALL SELECT sample_id, 'user', tag, 1.0 FROM user_tags WHERE username = ?)"
)

_KNOWN_COLUMNS = "path, id, size, mtime, status, ctime, inode, content_hash"
_F32 = np.dtype("<f4")
CHUNK = 500


class PgCatalog:
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

    def row(self, values: tuple) -> SampleRow | None:
        """A sample row with its local path and root and the user's favourite mark; None when its
        root is not mapped here."""
        found = self.rows([values])
        return found[0] if found else None

    def rows(self, rows: Iterable[tuple]) -> list[SampleRow]:
        out = []
        for values in rows:
            row = row_from_values(values)
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

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

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
        local = (self.paths.local(row[0]) for row in self.query("SELECT path FROM roots ORDER BY path"))
        return sorted(path for path in local if path is not None)

    def set_root_online(self, path: str, online: bool) -> None:
        with self.transaction() as tx:
            tx.execute("UPDATE roots SET online = ? WHERE path = ?", (int(online), self.paths.stored(path)))

    # --- samples -----------------------------------------------------------------------------
    def _known(self, rows: list[tuple]) -> dict[str, Known]:
        local = ((self.paths.local(row[0]), row) for row in rows)
        return {path: Known(*row[1:]) for path, row in local if path is not None}

    def known_files(self, root: str) -> dict[str, Known]:
        rows = self.query(f"SELECT {_KNOWN_COLUMNS} FROM samples WHERE root = ?", (self.paths.stored(root),))
        return self._known(rows)

    def known_under(self, path: str) -> dict[str, Known]:
        stored = self.paths.stored(path)
        rows = self.query(
            f"SELECT {_KNOWN_COLUMNS} FROM samples WHERE path = ? OR (path >= ? AND path < ?)",
            (stored, *subtree_range(stored)),
        )
        return self._known(rows)

    def live_count(self, root: str) -> int:
        return self.query(
            "SELECT count(*) FROM samples WHERE root = ? AND status IN ('ok', 'failed')", (self.paths.stored(root),)
        )[0][0]

    def paths_with_status(self, root: str, status: str, limit: int, offset: int = 0) -> list[str]:
        rows = self.query(
            "SELECT path FROM samples WHERE root = ? AND status = ? ORDER BY id LIMIT ? OFFSET ?",
            (self.paths.stored(root), status, limit, offset),
        )
        return [path for path in (self.paths.local(r[0]) for r in rows) if path is not None]

    def sample(self, sample_id: int) -> SampleRow | None:
        rows = self.query(f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE id = ?", (sample_id,))
        return self.row(rows[0]) if rows else None

    def sample_by_path(self, path: str) -> SampleRow | None:
        rows = self.query(f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE path = ?", (self.paths.stored(path),))
        return self.row(rows[0]) if rows else None

    def samples(self, ids: Iterable[int]) -> dict[int, SampleRow]:
        ids = list(ids)
        found: dict[int, SampleRow] = {}
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            for row in self.rows(self.query(f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE id = ANY(?)", (chunk,))):
                found[row.id] = row
        return found

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

    def ids_matching(self, filters: Filters) -> list[int]:
        where_sql, params = where(dataclasses.replace(filters, status="ok"), self.paths, self.user)
        return [r[0] for r in self.query(f"SELECT id FROM samples{where_sql}", params)]

    # --- vectors -----------------------------------------------------------------------------
    def vectors(self, backend: str) -> tuple[np.ndarray, np.ndarray | None]:
        rows = self.query(
            "SELECT v.sample_id, v.vector FROM vectors v JOIN samples ON samples.id = v.sample_id "
            f"WHERE v.backend = ? AND samples.status = 'ok' AND {visible()} ORDER BY v.sample_id",
            (backend, list(self.paths.named)),
        )
        if not rows:
            return np.zeros(0, dtype=np.int64), None
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=_F32).astype(np.float32).reshape(len(rows), -1)
        return ids, matrix

    def vector_ids(self, backend: str) -> np.ndarray:
        rows = self.query(
            "SELECT v.sample_id FROM vectors v JOIN samples ON samples.id = v.sample_id "
            f"WHERE v.backend = ? AND samples.status = 'ok' AND {visible()} ORDER BY v.sample_id",
            (backend, list(self.paths.named)),
        )
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def vector_dim(self, backend: str) -> int | None:
        rows = self.query("SELECT length(vector) FROM vectors WHERE backend = ? LIMIT 1", (backend,))
        return rows[0][0] // 4 if rows else None

    def vectors_of(self, ids: Sequence[int], backend: str) -> tuple[list[int], np.ndarray | None]:
        found, blobs = [], []
        for start in range(0, len(ids), CHUNK):
            chunk = list(ids[start : start + CHUNK])
            for sid, blob in self.query(
                "SELECT sample_id, vector FROM vectors WHERE backend = ? AND sample_id = ANY(?)", (backend, chunk)
            ):
                found.append(sid)
                blobs.append(blob)
        if not found:
            return [], None
        return found, np.frombuffer(b"".join(blobs), dtype=_F32).astype(np.float32).reshape(len(found), -1)

    def vector(self, sample_id: int, backend: str) -> np.ndarray | None:
        rows = self.query("SELECT vector FROM vectors WHERE sample_id = ? AND backend = ?", (sample_id, backend))
        return np.frombuffer(rows[0][0], dtype=_F32).astype(np.float32) if rows else None

    def backends_of(self, ids: Sequence[int]) -> dict[int, set[str]]:
        out: dict[int, set[str]] = {}
        for backend in self.stored_backends():
            for start in range(0, len(ids), CHUNK):
                chunk = list(ids[start : start + CHUNK])
                for (sid,) in self.query(HELD_BY_SQL.format(marks=",".join("?" * len(chunk))), [backend, *chunk]):
                    out.setdefault(sid, set()).add(backend)
        return out

    def stored_backends(self) -> list[str]:
        return [row[0] for row in self.query(STORED_BACKENDS_SQL)]

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

    def backend_signature(self, backend: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (f"backend:{backend}",))
        return rows[0][0] if rows else None

    def set_backend_signature(self, backend: str, signature: str) -> bool:
        """Record which model made ``backend``'s vectors; a different one drops the old vectors."""
        with self.transaction() as tx:
            row = tx.execute("SELECT value FROM meta WHERE key = ? FOR UPDATE", (f"backend:{backend}",)).fetchone()
            old = row[0] if row else None
            dropped = old is not None and old != signature
            if dropped:
                log.warning("backend %s changed (%s -> %s): its vectors will be made again", backend, old, signature)
                tx.execute("DELETE FROM vectors WHERE backend = ?", (backend,))
            tx.execute(META, (f"backend:{backend}", signature))
        return dropped

    # --- tags and statistics -----------------------------------------------------------------
    def tags(self, sample_id: int) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for source, tag, score in self.query(
            f"SELECT source, tag, score FROM {MY_TAGS} t WHERE sample_id = ? ORDER BY score DESC",
            (self.user, sample_id),
        ):
            out.setdefault(source, {})[tag] = score
        return out

    def status_counts(self) -> dict[str, int]:
        return dict(self.query("SELECT status, count(*) FROM samples GROUP BY status"))

    def failures(self, limit: int = 10_000) -> list[tuple[str, str]]:
        rows = self.query("SELECT path, reason FROM samples WHERE status = 'failed' ORDER BY path LIMIT ?", (limit,))
        local = ((self.paths.local(path), reason) for path, reason in rows)
        return [(path, reason) for path, reason in local if path is not None]

    def failure_reasons(self) -> dict[str, int]:
        return dict(
            self.query(
                "SELECT reason, count(*) FROM samples WHERE status = 'failed' GROUP BY reason ORDER BY count(*) DESC"
            )
        )

    def vector_counts(self) -> dict[str, int]:
        return dict(self.query("SELECT backend, count(*) FROM vectors GROUP BY backend"))
