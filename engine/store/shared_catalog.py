"""The catalog core both stores share: samples, vectors, tags and statistics, read through one SQL.

:class:`SharedCatalog` is written once for the SQLite catalog (:class:`~.catalog.Catalog`) and the
PostgreSQL one (:class:`~.postgres.catalog.PgCatalog`). Each of them supplies its connection
(``query``, ``transaction``), its :class:`~.dialect.Dialect`, its :class:`~.paths.Paths` and how rows and
tags cross: a shared catalog keeps paths by named root and hands out only this machine's samples,
each with its user's favourite mark and tags, where a SQLite catalog keeps paths as they are
(:class:`~.paths.AsTheyAre`, and the defaults here).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import fields
from typing import Any

import numpy as np

from soundalike.engine.store.dialect import Dialect
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.paths import Paths
from soundalike.engine.store.rows import BULK, Known, SampleRow
from soundalike.engine.store.text import subtree_range

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
#: The same columns named with their table (a listing may join another table beside ``samples``).
QUALIFIED_COLUMNS = ", ".join(f"samples.{f.name}" for f in fields(SampleRow))
#: Ids per statement.
CHUNK = 500

_KNOWN_COLUMNS = "path, id, size, mtime, status, ctime, inode, content_hash"
#: Where the flags stored as 0/1 (silent, clipped, favourite) sit among SAMPLE_COLUMNS.
_FLAGS = [f.name for f in fields(SampleRow)].index("silent")


def row_from_values(values: tuple) -> SampleRow:
    if values[_FLAGS] is not None:
        flags = tuple(bool(flag) for flag in values[_FLAGS : _FLAGS + 3])
        values = (*values[:_FLAGS], *flags, *values[_FLAGS + 3 :])
    return SampleRow(*values)


class SharedCatalog:
    dialect: Dialect
    paths: Paths

    #: This thread's connection (``conn``), made when first used.
    _local: threading.local

    def close(self) -> None:
        """Close this thread's connection."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # --- what each store supplies ---------------------------------------------------------------
    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        """The rows of one statement (``?`` marks); a database error raised as StoreError."""
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def filter_sql(self, filters: Filters) -> tuple[str, list]:
        """The ``WHERE`` clause over ``samples`` of ``filters`` (empty when nothing is filtered), and its parameters."""
        raise NotImplementedError

    #: Whether :meth:`per_row_filter_sql` can test a search's words on each row read (SQLite's catalog).
    words_per_row = False

    def per_row_filter_sql(self, filters: Filters, vocabulary: Mapping[str, Sequence[str]]) -> tuple[str, list]:
        """:meth:`filter_sql` with each word tested on each row read (its name, its tags by its id;
        ``vocabulary``: each word's matching tags) instead of through the name and tag indexes, which
        find every match first (where :attr:`words_per_row`)."""
        raise NotImplementedError

    def rows(self, values: Iterable[tuple]) -> list[SampleRow]:
        """Sample rows of ``SAMPLE_COLUMNS`` values, as this machine sees them (unplayable ones left out)."""
        return [row_from_values(v) for v in values]

    def row(self, values: tuple) -> SampleRow | None:
        found = self.rows([values])
        return found[0] if found else None

    def visible_sql(self) -> tuple[str, list]:
        """A condition (after ``AND``) on ``samples`` keeping only what this machine can play, and its parameters."""
        return "", []

    def tag_source(self) -> tuple[str, list]:
        """The tags this store's user sees, as a table of (sample_id, source, tag, score), and its parameters."""
        return "tags", []

    # --- roots -------------------------------------------------------------------------------
    def roots(self) -> list[str]:
        return self._locals(row[0] for row in self.query("SELECT path FROM roots ORDER BY path"))

    def set_root_online(self, path: str, online: bool) -> None:
        with self.transaction() as tx:
            tx.execute("UPDATE roots SET online = ? WHERE path = ?", (int(online), self.paths.stored(path)))

    def _locals(self, stored: Iterable[str]) -> list[str]:
        return [path for path in map(self.paths.local, stored) if path is not None]

    # --- samples -----------------------------------------------------------------------------
    def _known(self, rows: list[tuple]) -> dict[str, Known]:
        local = ((self.paths.local(row[0]), row) for row in rows)
        return {path: Known(*row[1:]) for path, row in local if path is not None}

    def known_files(self, root: str) -> dict[str, Known]:
        """path -> what is known of it, for every sample under ``root``."""
        return self._known(
            self.query(f"SELECT {_KNOWN_COLUMNS} FROM samples WHERE root = ?", (self.paths.stored(root),))
        )

    def known_under(self, path: str) -> dict[str, Known]:
        """Like :meth:`known_files`, for ``path`` itself and everything below it."""
        stored = self.paths.stored(path)
        rows = self.query(
            f"SELECT {_KNOWN_COLUMNS} FROM samples WHERE path = ? OR (path >= ? AND path < ?)",
            (stored, *subtree_range(stored)),
        )
        return self._known(rows)

    def live_count(self, root: str) -> int:
        """Samples under ``root`` whose file was there at the last look (ok or failed)."""
        return self.query(
            "SELECT count(*) FROM samples WHERE root = ? AND status IN ('ok', 'failed')", (self.paths.stored(root),)
        )[0][0]

    def paths_with_status(self, root: str, status: str, limit: int, offset: int = 0) -> list[str]:
        rows = self.query(
            "SELECT path FROM samples WHERE root = ? AND status = ? ORDER BY id LIMIT ? OFFSET ?",
            (self.paths.stored(root), status, limit, offset),
        )
        return self._locals(r[0] for r in rows)

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
            among, params = self.dialect.in_ids("id", ids[start : start + CHUNK])
            for row in self.rows(self.query(f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE {among}", params)):
                found[row.id] = row
        return found

    def ids_matching(self, filters: Filters) -> list[int]:
        """Ids of playable samples (status ok) that pass ``filters``."""
        where_sql, params = self.filter_sql(dataclasses.replace(filters, status="ok"))
        return [r[0] for r in self.query(f"SELECT id FROM samples{where_sql}", params)]

    # --- vectors -----------------------------------------------------------------------------
    def _ok_vectors(self, columns: str, backend: str) -> list[tuple]:
        visible, params = self.visible_sql()
        return self.query(
            f"SELECT {columns} FROM vectors v JOIN samples ON samples.id = v.sample_id "
            f"WHERE v.backend = ? AND samples.status = 'ok'{visible} ORDER BY v.sample_id",
            (backend, *params),
        )

    def vectors(self, backend: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(ids, matrix) of the stored vectors of ``backend`` for samples that are ok."""
        rows = self._ok_vectors("v.sample_id, v.vector", backend)
        if not rows:
            return np.zeros(0, dtype=np.int64), None
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return ids, self.dialect.floats(b"".join(r[1] for r in rows)).reshape(len(rows), -1)

    def vector_ids(self, backend: str) -> np.ndarray:
        """Ids of the samples that :meth:`vectors` would return, without reading the vectors."""
        rows = self._ok_vectors("v.sample_id", backend)
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def vector_dim(self, backend: str) -> int | None:
        rows = self.query("SELECT length(vector) FROM vectors WHERE backend = ? LIMIT 1", (backend,))
        return rows[0][0] // 4 if rows else None

    def vectors_of(self, ids: Sequence[int], backend: str) -> tuple[list[int], np.ndarray | None]:
        """Stored vectors of ``backend`` for ``ids`` (those that have one), whatever their status."""
        found, blobs = [], []
        for start in range(0, len(ids), CHUNK):
            among, params = self.dialect.in_ids("sample_id", list(ids[start : start + CHUNK]))
            for sid, blob in self.query(
                f"SELECT sample_id, vector FROM vectors WHERE backend = ? AND {among}", [backend, *params]
            ):
                found.append(sid)
                blobs.append(blob)
        if not found:
            return [], None
        return found, self.dialect.floats(b"".join(blobs)).reshape(len(found), -1)

    def vector(self, sample_id: int, backend: str) -> np.ndarray | None:
        rows = self.query("SELECT vector FROM vectors WHERE sample_id = ? AND backend = ?", (sample_id, backend))
        return self.dialect.floats(rows[0][0]).copy() if rows else None

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
            for start in range(0, len(ids), CHUNK):
                chunk = list(ids[start : start + CHUNK])
                for (sid,) in self.query(HELD_BY_SQL.format(marks=",".join("?" * len(chunk))), [backend, *chunk]):
                    out.setdefault(sid, set()).add(backend)
        return out

    def stored_backends(self) -> list[str]:
        """The backends with any stored vector (one key lookup per backend, not a scan)."""
        return [row[0] for row in self.query(STORED_BACKENDS_SQL)]

    def backend_signature(self, backend: str) -> str | None:
        """Which model made ``backend``'s stored vectors (None before any was recorded)."""
        rows = self.query("SELECT value FROM meta WHERE key = ?", (f"backend:{backend}",))
        return rows[0][0] if rows else None

    def set_backend_signature(self, backend: str, signature: str) -> bool:
        """Record which model made ``backend``'s vectors; a different one drops the old vectors
        (returns True when it did)."""
        key = f"backend:{backend}"
        with self.transaction() as tx:
            row = tx.execute(f"SELECT value FROM meta WHERE key = ?{self.dialect.lock_row}", (key,)).fetchone()
            old = row[0] if row else None
            dropped = old is not None and old != signature
            if dropped:
                log.warning("backend %s changed (%s -> %s): its vectors will be made again", backend, old, signature)
                tx.execute("DELETE FROM vectors WHERE backend = ?", (backend,))
            tx.execute(self.dialect.upsert("meta", ("key",), ("key", "value")), (key, signature))
        return dropped

    # --- tags and statistics -----------------------------------------------------------------
    def tags(self, sample_id: int) -> dict[str, dict[str, float]]:
        """source -> {tag: score}."""
        source, params = self.tag_source()
        out: dict[str, dict[str, float]] = {}
        for tag_source, tag, score in self.query(
            f"SELECT source, tag, score FROM {source} WHERE sample_id = ? ORDER BY score DESC", (*params, sample_id)
        ):
            out.setdefault(tag_source, {})[tag] = score
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
