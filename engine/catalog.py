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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from engine.audio import AudioFacts
from engine.catalog_schema import migrate
from engine.errors import UserError

log = logging.getLogger(__name__)

STATUSES = ("ok", "failed", "missing", "offline")


@dataclass(frozen=True)
class SampleRow:
    id: int
    path: str
    root: str
    size: int
    mtime: float
    content_hash: str | None
    status: str
    reason: str | None
    format: str | None
    sample_rate: int | None
    channels: int | None
    duration: float | None
    peak_db: float | None
    rms_db: float | None
    silent: bool | None
    clipped: bool | None
    favourite: bool
    added: float
    updated: float


SAMPLE_COLUMNS = ", ".join(f.name for f in fields(SampleRow))


@dataclass(frozen=True)
class Filters:
    """Restrict a listing or query results. Every field left at its default matches everything."""

    under: str | None = None  # this folder and everything below it
    path_contains: str | None = None  # case-insensitive substring of the path
    tag: str | None = None
    status: str | None = None
    favourites_only: bool = False
    min_duration: float | None = None
    max_duration: float | None = None

    def is_empty(self) -> bool:
        return self == Filters()

    def where(self) -> tuple[str, list]:
        """An SQL ``WHERE`` clause over ``samples`` (empty string when nothing is filtered)."""
        clauses, params = [], []
        if self.under:
            prefix = self.under.rstrip(os.sep) + os.sep
            clauses.append("substr(path, 1, ?) = ?")
            params += [len(prefix), prefix]
        if self.path_contains:
            clauses.append("instr(lower(path), lower(?)) > 0")
            params.append(self.path_contains)
        if self.tag:
            clauses.append("id IN (SELECT sample_id FROM tags WHERE tag = ?)")
            params.append(self.tag)
        if self.status:
            clauses.append("status = ?")
            params.append(self.status)
        if self.favourites_only:
            clauses.append("favourite = 1")
        if self.min_duration is not None:
            clauses.append("duration >= ?")
            params.append(self.min_duration)
        if self.max_duration is not None:
            clauses.append("duration <= ?")
            params.append(self.max_duration)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class Catalog:
    def __init__(self, db_path: str | Path):
        self.path = Path(db_path)
        self._local = threading.local()
        self._write_lock = threading.RLock()
        with self._write_lock:
            migrate(self._connection())

    def _connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            try:
                conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as e:
                raise UserError(f"catalog {self.path} is unreadable ({e}); move it away to start afresh") from e
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def transaction(self) -> _Transaction:
        return _Transaction(self._connection(), self._write_lock)

    def query(self, sql: str, params: Sequence = ()) -> list[tuple]:
        return self._connection().execute(sql, params).fetchall()

    # --- roots -------------------------------------------------------------------------------
    def add_root(self, path: str) -> None:
        with self.transaction() as tx:
            tx.execute("INSERT OR IGNORE INTO roots(path, added) VALUES (?, ?)", (path, time.time()))

    def roots(self) -> list[str]:
        return [row[0] for row in self.query("SELECT path FROM roots ORDER BY path")]

    def remove_root(self, path: str) -> list[int]:
        """Forget a root and every sample under it; returns the removed sample ids."""
        ids = [row[0] for row in self.query("SELECT id FROM samples WHERE root = ?", (path,))]
        with self.transaction() as tx:
            tx.execute("DELETE FROM samples WHERE root = ?", (path,))
            tx.execute("DELETE FROM roots WHERE path = ?", (path,))
        return ids

    # --- samples -----------------------------------------------------------------------------
    def known_files(self, root: str) -> dict[str, tuple[int, int, float, str]]:
        """path -> (id, size, mtime, status) for every sample under ``root``."""
        rows = self.query("SELECT path, id, size, mtime, status FROM samples WHERE root = ?", (root,))
        return {path: (sid, size, mtime, status) for path, sid, size, mtime, status in rows}

    def known_under(self, path: str) -> dict[str, tuple[int, int, float, str]]:
        """Like :meth:`known_files`, for ``path`` itself and everything below it."""
        rows = self.query("SELECT path, id, size, mtime, status FROM samples WHERE path = ? OR "
                          "(path >= ? AND path < ?)", (path, *_subtree_range(path)))
        return {p: (sid, size, mtime, status) for p, sid, size, mtime, status in rows}

    def live_count(self, root: str) -> int:
        """Samples under ``root`` whose file was there at the last look (ok or failed)."""
        return self.query("SELECT count(*) FROM samples WHERE root = ? AND status IN ('ok', 'failed')",
                          (root,))[0][0]

    def paths_with_status(self, root: str, status: str, limit: int, offset: int = 0) -> list[str]:
        return [r[0] for r in self.query("SELECT path FROM samples WHERE root = ? AND status = ? ORDER BY id "
                                         "LIMIT ? OFFSET ?", (root, status, limit, offset))]

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
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.query(f"SELECT {SAMPLE_COLUMNS} FROM samples WHERE id IN ({marks})", chunk):
                found[row[0]] = row_from_values(row)
        return found

    def set_favourite(self, sample_id: int, favourite: bool) -> None:
        with self.transaction() as tx:
            tx.execute("UPDATE samples SET favourite = ? WHERE id = ?", (int(favourite), sample_id))

    def ids_matching(self, filters: Filters) -> list[int]:
        """Ids of playable samples (status ok) that pass ``filters``."""
        where, params = dataclasses.replace(filters, status="ok").where()
        return [r[0] for r in self.query(f"SELECT id FROM samples{where}", params)]

    # --- vectors and tags --------------------------------------------------------------------
    def vectors(self, backend: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(ids, matrix) of the stored vectors of ``backend`` for samples that are ok."""
        rows = self.query("SELECT v.sample_id, v.vector FROM vectors v JOIN samples s ON s.id = v.sample_id "
                           "WHERE v.backend = ? AND s.status = 'ok' ORDER BY v.sample_id", (backend,))
        if not rows:
            return np.zeros(0, dtype=np.int64), None
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return ids, matrix

    def vector_ids(self, backend: str) -> np.ndarray:
        """Ids of the samples that :meth:`vectors` would return, without reading the vectors."""
        rows = self.query("SELECT v.sample_id FROM vectors v JOIN samples s ON s.id = v.sample_id "
                          "WHERE v.backend = ? AND s.status = 'ok' ORDER BY v.sample_id", (backend,))
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def vector_dim(self, backend: str) -> int | None:
        rows = self.query("SELECT length(vector) FROM vectors WHERE backend = ? LIMIT 1", (backend,))
        return rows[0][0] // 4 if rows else None

    def vectors_of(self, ids: Sequence[int], backend: str) -> tuple[list[int], np.ndarray | None]:
        """Stored vectors of ``backend`` for ``ids`` (those that have one), whatever their status."""
        found, blobs = [], []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for sid, blob in self.query(f"SELECT sample_id, vector FROM vectors WHERE backend = ? AND "
                                        f"sample_id IN ({marks})", [backend, *chunk]):
                found.append(sid)
                blobs.append(blob)
        if not found:
            return [], None
        return found, np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(found), -1)

    def backends_of(self, ids: Sequence[int]) -> dict[int, set[str]]:
        """sample id -> the backends it has vectors from."""
        out: dict[int, set[str]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for sid, backend in self.query(f"SELECT sample_id, backend FROM vectors WHERE sample_id IN ({marks})",
                                           chunk):
                out.setdefault(sid, set()).add(backend)
        return out

    def vectors_version(self, backend: str) -> int:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (f"vectors:{backend}",))
        return int(rows[0][0]) if rows else 0

    def vector(self, sample_id: int, backend: str) -> np.ndarray | None:
        rows = self.query("SELECT vector FROM vectors WHERE sample_id = ? AND backend = ?", (sample_id, backend))
        return np.frombuffer(rows[0][0], dtype=np.float32).copy() if rows else None

    def ids_lacking(self, backend: str) -> list[int]:
        """Samples that are ok but have no vector from ``backend`` (enabled after they were indexed)."""
        rows = self.query("SELECT id FROM samples WHERE status = 'ok' AND id NOT IN "
                           "(SELECT sample_id FROM vectors WHERE backend = ?)", (backend,))
        return [r[0] for r in rows]

    def tags(self, sample_id: int) -> dict[str, dict[str, float]]:
        """source -> {tag: score}."""
        out: dict[str, dict[str, float]] = {}
        for source, tag, score in self.query("SELECT source, tag, score FROM tags WHERE sample_id = ? "
                                              "ORDER BY score DESC", (sample_id,)):
            out.setdefault(source, {})[tag] = score
        return out

    def backend_signature(self, backend: str) -> str | None:
        rows = self.query("SELECT value FROM meta WHERE key = ?", (f"backend:{backend}",))
        return rows[0][0] if rows else None

    def set_backend_signature(self, backend: str, signature: str) -> None:
        """Record which model made ``backend``'s vectors; a different one drops the old vectors."""
        with self.transaction() as tx:
            old = tx.execute("SELECT value FROM meta WHERE key = ?", (f"backend:{backend}",)).fetchone()
            if old and old[0] != signature:
                log.warning("backend %s changed (%s -> %s): its vectors will be made again", backend, old[0], signature)
                tx.execute("DELETE FROM vectors WHERE backend = ?", (backend,))
            tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (f"backend:{backend}", signature))

    # --- statistics --------------------------------------------------------------------------
    def status_counts(self) -> dict[str, int]:
        return dict(self.query("SELECT status, count(*) FROM samples GROUP BY status"))

    def failures(self, limit: int = 10_000) -> list[tuple[str, str]]:
        return self.query("SELECT path, reason FROM samples WHERE status = 'failed' ORDER BY path LIMIT ?",
                           (limit,))

    def failure_reasons(self) -> dict[str, int]:
        return dict(self.query("SELECT reason, count(*) FROM samples WHERE status = 'failed' "
                                "GROUP BY reason ORDER BY count(*) DESC"))

    def vector_counts(self) -> dict[str, int]:
        return dict(self.query("SELECT backend, count(*) FROM vectors GROUP BY backend"))


class _Transaction:
    """``with catalog.transaction() as tx:`` runs statements in one IMMEDIATE transaction."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock):
        self.conn, self.lock = conn, lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()


def row_from_values(values: tuple) -> SampleRow:
    row = SampleRow(*values)
    if row.silent is not None:
        row = SampleRow(*values[:14], bool(row.silent), bool(row.clipped), bool(row.favourite), *values[17:])
    return row


def facts_columns(facts: AudioFacts | None) -> dict:
    """Catalog columns for a file's audio facts (all NULL when it never decoded)."""
    if facts is None:
        return dict.fromkeys(("format", "sample_rate", "channels", "duration", "peak_db", "rms_db",
                              "silent", "clipped"))
    values = facts.as_dict()
    values["silent"], values["clipped"] = int(facts.silent), int(facts.clipped)
    return values


def record_sample(tx: sqlite3.Connection, *, path: str, root: str, size: int, mtime: float,
                  content_hash: str | None, status: str, reason: str | None,
                  facts: AudioFacts | None) -> int:
    """Insert or update the row for ``path`` inside a transaction; returns its id.

    A new path whose content matches a sample marked missing takes over that row, so a moved
    or renamed file keeps its id, favourite, tags and vectors.
    """
    now = time.time()
    values = {"path": path, "root": root, "size": size, "mtime": mtime, "content_hash": content_hash,
              "status": status, "reason": reason, "updated": now, **facts_columns(facts)}
    existing = tx.execute("SELECT id FROM samples WHERE path = ?", (path,)).fetchone()
    if existing is None and content_hash:  # missing first; offline too (a pack moved off an unplugged drive)
        existing = tx.execute("SELECT id FROM samples WHERE content_hash = ? AND status IN ('missing', 'offline') "
                              "ORDER BY status = 'missing' DESC, updated DESC LIMIT 1", (content_hash,)).fetchone()
    if existing is not None:
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        tx.execute(f"UPDATE samples SET {assignments} WHERE id = :id", {**values, "id": existing[0]})
        return existing[0]
    names = ", ".join([*values, "added"])
    marks = ", ".join(f":{name}" for name in [*values, "added"])
    cursor = tx.execute(f"INSERT INTO samples({names}) VALUES ({marks})", {**values, "added": now})
    return int(cursor.lastrowid)


def move_paths(tx: sqlite3.Connection, src: str, dest: str, root: str) -> tuple[list[tuple[int, str]], list[int]]:
    """Rename the rows of ``src`` (a file, or a folder and everything below it) to ``dest``.

    Rows already at the new paths (a file moved over another) are deleted first. Returns the
    moved ``(id, new path)`` pairs and the deleted ids.
    """
    prefix = src.rstrip(os.sep) + os.sep
    rows = tx.execute("SELECT id, path FROM samples WHERE path = ? OR (path >= ? AND path < ?)",
                      (src, *_subtree_range(src))).fetchall()
    moved = [(sid, dest if path == src else dest.rstrip(os.sep) + os.sep + path[len(prefix):])
             for sid, path in rows]
    replaced = []
    for sid, new_path in moved:
        hit = tx.execute("SELECT id FROM samples WHERE path = ?", (new_path,)).fetchone()
        if hit is not None and hit[0] != sid:
            replaced.append(hit[0])
            tx.execute("DELETE FROM samples WHERE id = ?", (hit[0],))
    now = time.time()
    tx.executemany("UPDATE samples SET path = ?, root = ?, updated = ? WHERE id = ?",
                   [(new_path, root, now, sid) for sid, new_path in moved])
    return moved, replaced


def _subtree_range(folder: str) -> tuple[str, str]:
    """[low, high) of the paths below ``folder``, so the path index answers a prefix query."""
    prefix = folder.rstrip(os.sep) + os.sep
    return prefix, prefix[:-1] + chr(ord(os.sep) + 1)


def recent_twin(tx: sqlite3.Connection, sample_id: int, since: float) -> int | None:
    """An ok sample added after ``since`` with the same content as ``sample_id`` (its moved copy)."""
    row = tx.execute("SELECT b.id FROM samples a JOIN samples b ON b.content_hash = a.content_hash "
                     "WHERE a.id = ? AND b.id != a.id AND b.status = 'ok' AND b.added >= ? AND b.favourite = 0 "
                     "ORDER BY b.added DESC LIMIT 1", (sample_id, since)).fetchone()
    return row[0] if row else None


def adopt(tx: sqlite3.Connection, old_id: int, new_id: int) -> None:
    """The older row takes over the newer row's file (path and facts); the newer row goes."""
    path, root, size, mtime = tx.execute("SELECT path, root, size, mtime FROM samples WHERE id = ?",
                                         (new_id,)).fetchone()
    tx.execute("DELETE FROM samples WHERE id = ?", (new_id,))
    tx.execute("UPDATE samples SET path = ?, root = ?, size = ?, mtime = ?, status = 'ok', reason = NULL, "
               "updated = ? WHERE id = ?", (path, root, size, mtime, time.time(), old_id))


def bump_vectors_version(tx: sqlite3.Connection, backend: str) -> int:
    """Count vector writes per backend, so a saved index older than the catalog is noticed."""
    key = f"vectors:{backend}"
    row = tx.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    version = (int(row[0]) if row else 0) + 1
    tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(version)))
    return version


def store_vector(tx: sqlite3.Connection, sample_id: int, backend: str, vector: np.ndarray) -> None:
    blob = np.ascontiguousarray(vector, dtype=np.float32).tobytes()
    tx.execute("INSERT OR REPLACE INTO vectors(sample_id, backend, vector) VALUES (?, ?, ?)",
               (sample_id, backend, blob))


def store_tags(tx: sqlite3.Connection, sample_id: int, source: str, tags: dict[str, float]) -> None:
    tx.execute("DELETE FROM tags WHERE sample_id = ? AND source = ?", (sample_id, source))
    tx.executemany("INSERT INTO tags(sample_id, source, tag, score) VALUES (?, ?, ?, ?)",
                   [(sample_id, source, tag, float(score)) for tag, score in tags.items()])


def set_status(tx: sqlite3.Connection, ids: Iterable[int], status: str, reason: str | None = None) -> None:
    tx.executemany("UPDATE samples SET status = ?, reason = ?, updated = ? WHERE id = ?",
                   [(status, reason, time.time(), sid) for sid in ids])
