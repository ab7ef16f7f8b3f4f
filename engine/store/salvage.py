"""Check a catalog's integrity and salvage what is readable of a damaged one into a new catalog.

Salvage copies each table row range by row range straight from the damaged file (attached, so the
bytes are copied as they are), halving a range that fails until single unreadable rows are
skipped. Rows that decode but break the schema's rules (a status it does not know, a vector of the
wrong length or with non-finite values) are dropped too. The damaged file is kept beside the new
one, and the FAISS indexes are deleted: they are rebuilt from the salvaged vectors. Samples that
lost their vectors are embedded again by the next ``index``/``serve``.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from soundalike.engine.store.schema import migrate

log = logging.getLogger(__name__)

#: Tables in the order they are copied (a vector or tag needs its sample first).
TABLES = ("roots", "meta", "samples", "vectors", "tags", "collections", "collection_items", "musical", "sounds")
_SIDECARS = ("-wal", "-shm")


@dataclass
class Salvage:
    kept: dict[str, int] = field(default_factory=dict)  # table -> rows copied
    lost: dict[str, int] = field(default_factory=dict)  # table -> unreadable rows (or ranges) skipped
    damaged_copy: Path | None = None


def problems(path: Path, limit: int = 5) -> list[str]:
    """What ``PRAGMA quick_check`` finds wrong with the catalog at ``path`` (empty: sound)."""
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as e:
        return [str(e)]
    try:
        rows = conn.execute(f"PRAGMA quick_check({int(limit)})").fetchall()
    except (sqlite3.DatabaseError, UnicodeDecodeError) as e:  # a flipped byte in the schema's text
        return [str(e)]
    finally:
        conn.close()
    if rows == [("ok",)]:
        return []
    lines = [line for row in rows for line in str(row[0]).splitlines()]
    return [line for line in lines if not line.startswith("***")] or lines  # one finding per line


def salvage(path: Path) -> Salvage:
    """Rebuild the catalog at ``path`` from its readable rows; the old file is kept aside."""
    result = Salvage()
    fresh = path.with_name(path.name + ".salvage")
    fresh.unlink(missing_ok=True)
    conn = sqlite3.connect(fresh, isolation_level=None)
    conn.text_factory = bytes  # damaged text may not be UTF-8: checked by _drop_broken_rows
    try:
        migrate(conn)
        conn.execute("PRAGMA synchronous=OFF")
        # A flipped byte in the old schema's text (an index or table definition) otherwise makes
        # every read fail with "malformed database schema"; the new catalog's schema is already set.
        conn.execute("PRAGMA writable_schema=ON")
        if path.exists() and path.stat().st_size > 0:
            conn.execute("ATTACH DATABASE ? AS old", (str(path),))
            for table in TABLES:
                _copy_table(conn, table, result)
            conn.execute("DETACH DATABASE old")
        _drop_broken_rows(conn, result)
    finally:
        conn.close()
    result.damaged_copy = _set_aside(path) if path.exists() else None
    os.replace(fresh, path)
    return result


def _copy_table(conn: sqlite3.Connection, table: str, result: Salvage) -> None:
    try:
        columns = _shared_columns(conn, table)
        low, high = conn.execute(f"SELECT min(rowid), max(rowid) FROM old.{table}").fetchone()
    except sqlite3.DatabaseError as e:  # its first or last page, or the schema, is damaged
        log.warning("salvage: table %s is unreadable as a whole (%s)", table, e)
        result.lost[table] = result.lost.get(table, 0) + 1
        return
    if low is None:
        return
    names = ", ".join(columns)
    sql = f"INSERT OR IGNORE INTO main.{table}({names}) SELECT {names} FROM old.{table} WHERE rowid BETWEEN ? AND ?"
    _copy_range(conn, sql, table, low, high, result)


def _copy_range(conn: sqlite3.Connection, sql: str, table: str, low: int, high: int, result: Salvage) -> None:
    stack = [(low, high)]
    while stack:
        low, high = stack.pop()
        try:
            copied = conn.execute(sql, (low, high)).rowcount
            result.kept[table] = result.kept.get(table, 0) + max(copied, 0)
        except sqlite3.Error:
            if low == high:
                result.lost[table] = result.lost.get(table, 0) + 1
                continue
            middle = (low + high) // 2
            stack += [(middle + 1, high), (low, middle)]


def _shared_columns(conn: sqlite3.Connection, table: str) -> list[str]:
    """The columns both catalogs have (an older catalog lacks the newer columns: they stay NULL)."""
    old = {bytes(row[1]).decode(errors="replace") for row in conn.execute(f"PRAGMA old.table_info({table})")}
    return [
        name
        for name in (bytes(row[1]).decode() for row in conn.execute(f"PRAGMA main.table_info({table})"))
        if name in old
    ]


#: The text columns of each table: a row whose text is not UTF-8 (a flipped byte) is dropped.
TEXT_COLUMNS = {
    "roots": ("path",),
    "meta": ("key", "value"),
    "tags": ("source", "tag"),
    "vectors": ("backend",),
    "samples": ("path", "root", "content_hash", "status", "reason", "format"),
}


def _drop_broken_rows(conn: sqlite3.Connection, result: Salvage) -> None:
    """Rows with text that is not UTF-8; vectors and tags without a sample; vectors of the wrong
    length or not finite."""
    for table, columns in TEXT_COLUMNS.items():
        bad = [
            (rowid,)
            for rowid, *texts in conn.execute(f"SELECT rowid, {', '.join(columns)} FROM {table}")
            if not all(_is_utf8(text) for text in texts)
        ]
        conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", bad)
        _count_lost(result, table, len(bad))
    conn.execute("DELETE FROM vectors WHERE sample_id NOT IN (SELECT id FROM samples)")
    conn.execute("DELETE FROM tags WHERE sample_id NOT IN (SELECT id FROM samples)")
    bad = []
    usual = dict(
        reversed(
            conn.execute(
                "SELECT backend, length(vector) FROM vectors GROUP BY backend, length(vector) ORDER BY count(*)"
            ).fetchall()
        )
    )
    for rowid, backend, blob in conn.execute("SELECT rowid, backend, vector FROM vectors"):
        if len(blob) != usual.get(backend) or not np.isfinite(np.frombuffer(blob, dtype=np.float32)).all():
            bad.append((rowid,))
    conn.executemany("DELETE FROM vectors WHERE rowid = ?", bad)
    _count_lost(result, "vectors", len(bad))


def _count_lost(result: Salvage, table: str, count: int) -> None:
    if count:
        result.lost[table] = result.lost.get(table, 0) + count
        result.kept[table] = result.kept.get(table, 0) - count


def _is_utf8(value) -> bool:
    if not isinstance(value, bytes):
        return True
    try:
        value.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def _set_aside(path: Path) -> Path:
    """Move the damaged catalog (and its WAL files) to ``catalog.sqlite.damaged-<time>``."""
    aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    os.replace(path, aside)
    for suffix in _SIDECARS:
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            os.replace(sidecar, aside.with_name(aside.name + suffix))
    return aside
