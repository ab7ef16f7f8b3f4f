"""The PostgreSQL catalog's vector change log, read: what changed in a backend's vectors since a
version (the log and its triggers are migration 5 of :mod:`.schema`), and its trimming."""

from __future__ import annotations

import numpy as np

from soundalike.engine.store.dialect import POSTGRES
from soundalike.engine.store.postgres.connection import PgConnection
from soundalike.engine.store.postgres.where import visible
from soundalike.engine.store.rows import VectorChanges

#: The log keeps at least this many changes, and at least as many as the backend has vectors (past
#: that, reading every vector again costs about what replaying the log would).
KEEP_AT_LEAST = 100_000


def changes_since(conn: PgConnection, backend: str, since: int, named: list[str]) -> VectorChanges | None:
    """Inside a transaction: the vectors to add and the ids to remove after ``since``, or None;
    ``named``: the named roots this machine maps (a sample under another one is not in its index)."""
    row = conn.execute("SELECT version, logged_from FROM vector_versions WHERE backend = ?", (backend,)).fetchone()
    version, logged_from = (int(row[0]), int(row[1])) if row else (0, 0)
    if since > version or since < logged_from:
        return None
    if since == version:
        return VectorChanges(version)
    touched = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT sample_id FROM vector_changes WHERE backend = ? AND version > ?", (backend, since)
        ).fetchall()
    ]
    rows = conn.execute(  # driven by the changed ids: one index probe each, whatever the planner's statistics
        "SELECT t.id, v.vector FROM unnest(?::bigint[]) AS t(id) "
        "JOIN vectors v ON v.backend = ? AND v.sample_id = t.id "
        f"JOIN samples ON samples.id = t.id AND samples.status = 'ok' AND {visible()}",
        (touched, backend, named),
    ).fetchall()
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = None
    if rows:
        matrix = POSTGRES.floats(b"".join(r[1] for r in rows)).reshape(len(rows), -1)
    removed = tuple(sorted(set(touched) - set(ids.tolist())))
    return VectorChanges(version, ids, matrix, removed)


def trim(conn: PgConnection, backend: str, keep: int) -> int:
    """Inside a transaction: drop the oldest changes past the newest ``keep`` (whole versions, so the
    log still reaches back to a version exactly); returns how many went."""
    row = conn.execute(
        "SELECT version FROM vector_changes WHERE backend = ? ORDER BY version DESC OFFSET ? LIMIT 1",
        (backend, keep),
    ).fetchone()
    if row is None:
        return 0
    cut = int(row[0])
    gone = conn.execute("DELETE FROM vector_changes WHERE backend = ? AND version <= ?", (backend, cut)).rowcount
    conn.execute("UPDATE vector_versions SET logged_from = greatest(logged_from, ?) WHERE backend = ?", (cut, backend))
    return gone
