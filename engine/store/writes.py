"""Writes to the catalog, each inside a transaction the caller holds (``catalog.transaction()``),
in the SQL both stores accept (:mod:`.dialect` where it differs)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from typing import Any

import numpy as np

from soundalike.engine.pipeline.audio import AudioFacts
from soundalike.engine.store.dialect import SQLITE, Dialect
from soundalike.engine.store.text import subtree_range

#: The missing (or offline) sample whose row a new path with its content (one ``?``) takes over.
MISSING_TWIN_SQL = (
    "SELECT id FROM samples WHERE content_hash = ? AND status IN ('missing', 'offline') "
    "ORDER BY status = 'missing' DESC, updated DESC LIMIT 1"
)


def facts_columns(facts: AudioFacts | None) -> dict:
    """Catalog columns for a file's audio facts (all NULL when it never decoded)."""
    if facts is None:
        return dict.fromkeys(
            ("format", "sample_rate", "channels", "duration", "peak_db", "rms_db", "silent", "clipped")
        )
    values = facts.as_dict()
    values["silent"], values["clipped"] = int(facts.silent), int(facts.clipped)
    return values


def sample_values(
    *,
    path: str,
    root: str,
    size: int,
    mtime: float,
    content_hash: str | None,
    status: str,
    reason: str | None,
    facts: AudioFacts | None,
    ctime: float | None = None,
    inode: int | None = None,
) -> dict[str, Any]:
    """The ``samples`` columns of one recorded file (the keywords of ``Transaction.record_sample``)."""
    return {
        "path": path,
        "root": root,
        "size": size,
        "mtime": mtime,
        "content_hash": content_hash,
        "status": status,
        "reason": reason,
        "updated": time.time(),
        "ctime": ctime,
        "inode": inode,
        **facts_columns(facts),
    }


def record_sample(tx: sqlite3.Connection, **sample: Any) -> int:
    """Insert or update the row for a file (``sample``: the keywords of :func:`sample_values`)
    inside a transaction; returns its id.

    A new path whose content matches a sample marked missing takes over that row, so a moved
    or renamed file keeps its id, favourite, tags and vectors.
    """
    values = sample_values(**sample)
    existing = tx.execute("SELECT id FROM samples WHERE path = ?", (values["path"],)).fetchone()
    if existing is None and values["content_hash"]:  # missing first; offline too (a pack moved off an unplugged drive)
        existing = tx.execute(MISSING_TWIN_SQL, (values["content_hash"],)).fetchone()
    if existing is not None:
        assignments = ", ".join(f"{name} = :{name}" for name in values)
        tx.execute(f"UPDATE samples SET {assignments} WHERE id = :id", {**values, "id": existing[0]})
        return existing[0]
    names = ", ".join([*values, "added"])
    marks = ", ".join(f":{name}" for name in [*values, "added"])
    cursor = tx.execute(f"INSERT INTO samples({names}) VALUES ({marks})", {**values, "added": values["updated"]})
    assert cursor.lastrowid is not None  # an INSERT that succeeded
    return cursor.lastrowid


def move_paths(tx: sqlite3.Connection, src: str, dest: str, root: str) -> tuple[list[tuple[int, str]], list[int]]:
    """Rename the rows of ``src`` (a file, or a folder and everything below it) to ``dest``.

    Rows already at the new paths (a file moved over another) are deleted first. Returns the
    moved ``(id, new path)`` pairs and the deleted ids.
    """
    prefix = src.rstrip(os.sep) + os.sep
    rows = tx.execute(
        "SELECT id, path FROM samples WHERE path = ? OR (path >= ? AND path < ?)", (src, *subtree_range(src))
    ).fetchall()
    moved = [(sid, dest if path == src else dest.rstrip(os.sep) + os.sep + path[len(prefix) :]) for sid, path in rows]
    replaced = []
    for sid, new_path in moved:
        hit = tx.execute("SELECT id FROM samples WHERE path = ?", (new_path,)).fetchone()
        if hit is not None and hit[0] != sid:
            replaced.append(hit[0])
            tx.execute("DELETE FROM samples WHERE id = ?", (hit[0],))
    now = time.time()
    tx.executemany(
        "UPDATE samples SET path = ?, root = ?, updated = ? WHERE id = ?",
        [(new_path, root, now, sid) for sid, new_path in moved],
    )
    return moved, replaced


def recent_twin(
    tx: sqlite3.Connection,
    sample_id: int,
    since: float,
    exclude: Iterable[int] = (),
    not_a_favourite: str = "b.favourite = 0",
) -> int | None:
    """An ok sample added after ``since`` with the same content as ``sample_id`` (its moved copy),
    other than those in ``exclude``; ``not_a_favourite``: the condition that sample ``b`` is no
    favourite (a column here; anyone's, in a store of several users)."""
    rows = tx.execute(
        "SELECT b.id FROM samples a JOIN samples b ON b.content_hash = a.content_hash "
        f"WHERE a.id = ? AND b.id != a.id AND b.status = 'ok' AND b.added >= ? AND {not_a_favourite} "
        "ORDER BY b.added DESC",
        (sample_id, since),
    ).fetchall()
    excluded = set(exclude)
    return next((sid for (sid,) in rows if sid not in excluded), None)


def adopt(tx: sqlite3.Connection, old_id: int, new_id: int) -> None:
    """The older row takes over the newer row's file (path and facts); the newer row goes."""
    path, root, size, mtime, ctime, inode = tx.execute(
        "SELECT path, root, size, mtime, ctime, inode FROM samples WHERE id = ?", (new_id,)
    ).fetchone()
    tx.execute("DELETE FROM samples WHERE id = ?", (new_id,))
    tx.execute(
        "UPDATE samples SET path = ?, root = ?, size = ?, mtime = ?, ctime = ?, inode = ?, status = 'ok', "
        "reason = NULL, updated = ? WHERE id = ?",
        (path, root, size, mtime, ctime, inode, time.time(), old_id),
    )


def set_identity(tx: sqlite3.Connection, pairs: Iterable[tuple[int, float, int]]) -> None:
    """Record (id, ctime, inode) of files found unchanged by their content hash (renamed, touched)."""
    tx.executemany(
        "UPDATE samples SET ctime = ?, inode = ? WHERE id = ?", [(ctime, inode, sid) for sid, ctime, inode in pairs]
    )


def bump_vectors_version(tx: sqlite3.Connection, backend: str) -> int:
    """Count vector writes per backend, so a saved index older than the catalog is noticed."""
    key = f"vectors:{backend}"
    row = tx.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    version = (int(row[0]) if row else 0) + 1
    tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, str(version)))
    return version


def store_vector(
    tx: sqlite3.Connection, sample_id: int, backend: str, vector: np.ndarray, dialect: Dialect = SQLITE
) -> None:
    insert = dialect.upsert("vectors", ("backend", "sample_id"), ("sample_id", "backend", "vector"))
    tx.execute(insert, (sample_id, backend, dialect.blob(vector)))


def store_tags(tx: sqlite3.Connection, sample_id: int, source: str, tags: dict[str, float]) -> None:
    tx.execute("DELETE FROM tags WHERE sample_id = ? AND source = ?", (sample_id, source))
    tx.executemany(
        "INSERT INTO tags(sample_id, source, tag, score) VALUES (?, ?, ?, ?)",
        [(sample_id, source, tag, float(score)) for tag, score in tags.items()],
    )


def set_status(tx: sqlite3.Connection, ids: Iterable[int], status: str, reason: str | None = None) -> None:
    tx.executemany(
        "UPDATE samples SET status = ?, reason = ?, updated = ? WHERE id = ?",
        [(status, reason, time.time(), sid) for sid in ids],
    )


def delete_samples(tx: sqlite3.Connection, ids: Iterable[int]) -> None:
    """Forget samples: their rows go, and with them (by cascade) vectors, tags, facts and list items."""
    tx.executemany("DELETE FROM samples WHERE id = ?", [(sid,) for sid in ids])
