"""The ``musical`` table: write a sample's facts, read them back, find samples still to analyse,
and the SQL of the musical filters."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from soundalike.engine.errors import QueryError
from soundalike.engine.musical.analysis import VERSION, Musical
from soundalike.engine.musical.filters import KINDS
from soundalike.engine.store.dialect import Dialect
from soundalike.engine.store.rows import BULK

_COLUMNS = (
    "kind",
    "kind_confidence",
    "bpm",
    "bpm_alternative",
    "bpm_confidence",
    "bpm_source",
    "key",
    "key_confidence",
    "key_source",
    "root",
    "root_confidence",
    "root_source",
    "chord",
)
NOTES_SEPARATOR = "; "


def store_musical(
    tx: sqlite3.Connection, sample_id: int, facts: Musical, dialect: Dialect, version: int = VERSION
) -> None:
    values = [getattr(facts, name) for name in _COLUMNS]
    insert = dialect.upsert("musical", ("sample_id",), ("sample_id", "version", *_COLUMNS, "notes"))
    tx.execute(insert, [sample_id, version, *values, NOTES_SEPARATOR.join(facts.notes)])


def musical_of(catalog, ids: Sequence[int]) -> dict[int, Musical]:
    """sample id -> its stored facts (samples never analysed are left out)."""
    out: dict[int, Musical] = {}
    ids = list(ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in catalog.query(
            f"SELECT sample_id, {', '.join(_COLUMNS)}, notes FROM musical WHERE sample_id IN ({marks})", chunk
        ):
            out[row[0]] = from_row(row[1:])
    return out


def from_row(row: Sequence) -> Musical:
    values = dict(zip(_COLUMNS, row[: len(_COLUMNS)]))
    notes = row[len(_COLUMNS)]
    return Musical(**values, notes=tuple(notes.split(NOTES_SEPARATOR)) if notes else ())


def ids_to_analyse(catalog, root: str | None = None) -> set[int]:
    """Playable samples with no musical facts, or facts from an older analysis."""
    where, params = ("AND root = ?", [root]) if root else ("", [])
    rows = catalog.query(
        f"SELECT id FROM samples WHERE status = 'ok' {where} AND id NOT IN "
        "(SELECT sample_id FROM musical WHERE version = ?)",
        [*params, VERSION],
    )
    return {r[0] for r in rows}


def stored_tags(catalog, ids: Sequence[int]) -> dict[int, dict[str, dict[str, float]]]:
    """sample id -> source -> {tag: score} of every tag stored for ``ids``."""
    ids = list(ids)
    stored: dict[int, dict[str, dict[str, float]]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for sid, source, tag, score in catalog.query(
            f"SELECT sample_id, source, tag, score FROM tags WHERE sample_id IN ({','.join('?' * len(chunk))})", chunk
        ):
            stored.setdefault(sid, {}).setdefault(source, {})[tag] = score
    return stored


def unanalysed_among(catalog, ids: Sequence[int]) -> set[int]:
    """Those of ``ids`` without current musical facts (one indexed lookup per 500 ids)."""
    ids = list(ids)
    if len(ids) > BULK:
        return set(ids) - {r[0] for r in catalog.query("SELECT sample_id FROM musical WHERE version = ?", [VERSION])}
    current: set[int] = set()
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        current.update(
            r[0]
            for r in catalog.query(
                f"SELECT sample_id FROM musical WHERE version = ? AND sample_id IN ({marks})", [VERSION, *chunk]
            )
        )
    return set(ids) - current


def musical_where(
    kind: str | None, bpm: tuple[float, float] | None, keys: Sequence[int], roots: Sequence[int]
) -> tuple[list[str], list]:
    """SQL clauses over ``samples`` (by id) for the musical filters that are set."""
    conditions: list[str] = []
    params: list[object] = []
    if kind:
        if kind not in KINDS:
            raise QueryError(f"kind takes one of {', '.join(KINDS)}, got {kind!r}")
        conditions.append("kind = ?")
        params.append(kind)
    if bpm:
        conditions.append("(bpm BETWEEN ? AND ? OR bpm_alternative BETWEEN ? AND ?)")
        params += [bpm[0], bpm[1], bpm[0], bpm[1]]
    if keys:
        conditions.append(f"key IN ({','.join('?' * len(keys))})")
        params += list(keys)
    if roots:
        conditions.append(f"root % 12 IN ({','.join('?' * len(roots))})")
        params += list(roots)
    if not conditions:
        return [], []
    return [f"id IN (SELECT sample_id FROM musical WHERE {' AND '.join(conditions)})"], params
