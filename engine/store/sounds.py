"""The catalog's copy and layer facts (table ``sounds``): fingerprints, copy groups, families.

A sample's ``copy_group`` joins it to its copies (other format, rate, gain, trim); its ``family``
joins copies and velocity layers. Both are labels (the smallest sample id among the members), set
by :mod:`soundalike.engine.library.families` when files come and go. Reads here take any
connection (the catalog's ``query``); writes take the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from soundalike.engine.store.dialect import Dialect
from soundalike.engine.store.rows import BULK, SoundFacts

_COLUMNS = "sample_id, fingerprint, layer_name, copy_group, family"

#: Ids per ``IN (...)`` list.
CHUNK = 500
#: "A playable sample", written so that SQLite never reads it from the status index: without
#: statistics it takes ``status = 'ok'`` for a selective test and walks every ok sample to find a
#: few ids, hashes or names (per chunk written, at a million samples a second each).
_OK = "(s.status || '') = 'ok'"


def _rows(conn, sql: str, params: Sequence = ()) -> list[tuple]:
    """Rows from a Catalog (its ``query``) or from a transaction's connection."""
    if hasattr(conn, "query"):
        return conn.query(sql, params)
    return conn.execute(sql, params).fetchall()


def put(tx: sqlite3.Connection, sample_id: int, fingerprint: bytes | None, layer_name: str, dialect: Dialect) -> None:
    """Record (or replace) a sample's facts; it starts alone (its own copy group and family)."""
    tx.execute(
        dialect.upsert("sounds", ("sample_id",), [c.strip() for c in _COLUMNS.split(",")]),
        (sample_id, fingerprint, layer_name, sample_id, sample_id),
    )


def set_layer_name(tx: sqlite3.Connection, sample_id: int, layer_name: str) -> None:
    tx.execute("UPDATE sounds SET layer_name = ? WHERE sample_id = ?", (layer_name, sample_id))


def relabel(tx: sqlite3.Connection, column: str, old: Iterable[int], new: int) -> None:
    """Members labelled with any of ``old`` in ``column`` ('copy_group' or 'family') take ``new``."""
    assert column in ("copy_group", "family")
    old = [label for label in set(old) if label != new]
    for start in range(0, len(old), CHUNK):
        chunk = old[start : start + CHUNK]
        tx.execute(f"UPDATE sounds SET {column} = ? WHERE {column} IN ({','.join('?' * len(chunk))})", [new, *chunk])


def set_labels(tx: sqlite3.Connection, labels: Iterable[tuple[int, int, int]]) -> None:
    """(sample id, copy group, family) triples."""
    tx.executemany(
        "UPDATE sounds SET copy_group = ?, family = ? WHERE sample_id = ?",
        [(copy, family, sid) for sid, copy, family in labels],
    )


def facts(conn, ids: Sequence[int], playable: bool = True) -> dict[int, SoundFacts]:
    """Stored facts of ``ids`` (only samples with status ok when ``playable``)."""
    ids = list(ids)
    found: dict[int, SoundFacts] = {}
    join = f" JOIN samples s ON s.id = d.sample_id AND {_OK}" if playable else ""
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = _rows(
            conn,
            f"SELECT d.sample_id, d.fingerprint, d.layer_name, d.copy_group, d.family "
            f"FROM sounds d{join} WHERE d.sample_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        found.update((row[0], SoundFacts(*row)) for row in rows)
    return found


def labels(conn, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """sample id -> (copy group, family), without the fingerprints (what folding results reads)."""
    ids = list(ids)
    found: dict[int, tuple[int, int]] = {}
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        rows = _rows(
            conn,
            f"SELECT sample_id, copy_group, family FROM sounds WHERE sample_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        found.update((sid, (copy, family)) for sid, copy, family in rows)
    return found


def family_sizes(conn, families: Iterable[int]) -> dict[int, int]:
    """family label -> how many samples carry it (any status)."""
    families = list(families)
    sizes: dict[int, int] = {}
    for start in range(0, len(families), CHUNK):
        chunk = families[start : start + CHUNK]
        sizes.update(
            _rows(
                conn,
                f"SELECT family, count(*) FROM sounds WHERE family IN ({','.join('?' * len(chunk))}) GROUP BY family",
                chunk,
            )
        )
    return sizes


def family_of(conn, sample_id: int, limit: int) -> dict[int, tuple[int, int]]:
    """The playable members of ``sample_id``'s family (itself included when playable; at most
    ``limit``, by id) -> (copy group, family), in one read."""
    rows = _rows(
        conn,
        "SELECT d.sample_id, d.copy_group, d.family FROM sounds d JOIN samples s ON s.id = d.sample_id "
        "AND s.status = 'ok' WHERE d.family = (SELECT family FROM sounds WHERE sample_id = ?) "
        "ORDER BY d.sample_id LIMIT ?",
        (sample_id, limit),
    )
    return {sid: (copy, family) for sid, copy, family in rows}


def family_members(conn, families: Iterable[int], limit: int) -> list[int]:
    """Playable members of the families labelled ``families`` (at most ``limit`` each)."""
    out: list[int] = []
    for family in set(families):
        out += [
            r[0]
            for r in _rows(
                conn,
                f"SELECT d.sample_id FROM sounds d JOIN samples s ON s.id = d.sample_id AND {_OK} "
                "WHERE d.family = ? ORDER BY d.sample_id LIMIT ?",
                (family, limit),
            )
        ]
    return out


def labelled(conn, family: int, limit: int) -> list[int]:
    """Every sample labelled ``family`` (playable or not, at most ``limit``)."""
    return [r[0] for r in _rows(conn, "SELECT sample_id FROM sounds WHERE family = ? LIMIT ?", (family, limit))]


def with_contents(conn, hashes: Iterable[str], limit: int) -> dict[str, list[int]]:
    """content hash -> playable samples with those bytes (at most ``limit`` each)."""
    return _grouped(
        conn,
        "SELECT content_hash, id FROM samples WHERE (status || '') = 'ok' AND content_hash IN ({}) ORDER BY id",
        list(hashes),
        limit,
    )


def with_layer_names(conn, names: Iterable[str], limit: int) -> dict[str, list[int]]:
    """layer name -> playable samples that share it (at most ``limit`` each)."""
    return _grouped(
        conn,
        f"SELECT d.layer_name, d.sample_id FROM sounds d JOIN samples s ON s.id = d.sample_id AND {_OK} "
        "WHERE d.layer_name IN ({}) ORDER BY d.sample_id",
        list(names),
        limit,
    )


def _grouped(conn, sql: str, keys: list[str], limit: int) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        for key, sid in _rows(conn, sql.format(",".join("?" * len(chunk))), chunk):
            found = out.setdefault(key, [])
            if len(found) < limit:
                found.append(sid)
    return out


def copy_groups(conn) -> list[list[int]]:
    """Every copy group of two or more playable samples, as sorted id lists."""
    rows = _rows(
        conn,
        "SELECT d.copy_group, d.sample_id FROM sounds d JOIN samples s ON s.id = d.sample_id AND s.status = 'ok' "
        "WHERE d.copy_group IN (SELECT d2.copy_group FROM sounds d2 JOIN samples s2 ON s2.id = d2.sample_id "
        "AND s2.status = 'ok' GROUP BY d2.copy_group HAVING count(*) > 1) ORDER BY d.copy_group, d.sample_id",
    )
    groups: dict[int, list[int]] = {}
    for label, sid in rows:
        groups.setdefault(label, []).append(sid)
    return list(groups.values())


def without_facts(conn, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` with no stored facts yet (indexed before copies were kept at index time)."""
    ids = list(ids)
    if len(ids) > BULK:
        return set(ids) - {r[0] for r in _rows(conn, "SELECT sample_id FROM sounds")}
    have: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        have.update(
            r[0]
            for r in _rows(
                conn, f"SELECT sample_id FROM sounds WHERE sample_id IN ({','.join('?' * len(chunk))})", chunk
            )
        )
    return set(ids) - have
