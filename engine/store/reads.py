"""Read-only catalog queries for browsing: folders, paged and filtered sample lists, random picks.

These back the TUI's library view and the bridge's ``random``; they never load vectors, so a
page of a million-sample library costs one indexed SQL query.
"""

from __future__ import annotations

import os

from soundalike.engine.store.catalog import SAMPLE_COLUMNS, Catalog, SampleRow, row_from_values
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.where import order_of, where
from soundalike.engine.tags import tag_label


def list_samples(catalog: Catalog, filters: Filters = Filters(), offset: int = 0, limit: int = 200) -> list[SampleRow]:
    where_sql, params = where(filters)
    sql = f"SELECT {SAMPLE_COLUMNS} FROM samples{where_sql} ORDER BY path LIMIT ? OFFSET ?"
    return [row_from_values(r) for r in catalog.query(sql, [*params, limit, offset])]


def folders(catalog: Catalog) -> list[str]:
    """Every folder that directly holds a sample, sorted."""
    rows = catalog.query("SELECT DISTINCT rtrim(path, replace(path, ?, '')) FROM samples", (os.sep,))
    return sorted({row[0].rstrip(os.sep) for row in rows if row[0]})


def random_sample(catalog: Catalog, tag: str | None = None) -> SampleRow | None:
    """A random playable sample, optionally with ``tag``."""
    where_sql, params = where(Filters(tag=tag, status="ok"))
    rows = catalog.query(f"SELECT {SAMPLE_COLUMNS} FROM samples{where_sql} ORDER BY random() LIMIT 1", params)
    return row_from_values(rows[0]) if rows else None


def all_tags(catalog: Catalog) -> list[tuple[str, int]]:
    """(tag, number of samples) over every tag source, most common first."""
    return [
        (t, n)
        for t, n in catalog.query(
            "SELECT tag, count(DISTINCT sample_id) FROM tags GROUP BY tag ORDER BY count(DISTINCT sample_id) DESC, tag"
        )
    ]


# --- the TUI's library view: word search, loop/one-shot, scored tags, orders ------------------
def list_browse(
    catalog: Catalog, filters: Filters, offset: int = 0, limit: int = 200, from_end: bool = False
) -> list[SampleRow]:
    """One page of the listing, in its order; ``from_end``: ``offset`` counts back from its last row."""
    where_sql, params = where(filters)
    source, order, _ = order_of(filters, backwards=from_end)
    columns = ", ".join(f"samples.{c.strip()}" for c in SAMPLE_COLUMNS.split(","))
    sql = f"SELECT {columns} FROM {source}{where_sql} ORDER BY {order} LIMIT ? OFFSET ?"
    rows = [row_from_values(r) for r in catalog.query(sql, [*params, limit, offset])]
    return rows[::-1] if from_end else rows


def count_browse(catalog: Catalog, filters: Filters) -> int:
    where_sql, params = where(filters)
    return int(catalog.query(f"SELECT count(*) FROM samples{where_sql}", params)[0][0])


def matching_ids(catalog: Catalog, filters: Filters) -> list[int]:
    """Ids of every sample the listing holds (to restrict a similarity query to it)."""
    where_sql, params = where(filters)
    return [row[0] for row in catalog.query(f"SELECT id FROM samples{where_sql}", params)]


def position_in_browse(catalog: Catalog, filters: Filters, path: str) -> int:
    """How many samples of the listing sort before ``path`` (its row number when it is listed)."""
    where_sql, params = where(filters)
    joiner = " AND " if where_sql else " WHERE "
    source, _, (before, columns) = order_of(filters)
    if columns == ("path",):
        values = [path]
    else:
        found = catalog.query(f"SELECT {', '.join(columns)} FROM {source} WHERE path = ?", (path,))
        if not found:
            return 0
        values = list(found[0])
    return int(catalog.query(f"SELECT count(*) FROM {source}{where_sql}{joiner}{before}", [*params, *values])[0][0])


def top_tags(catalog: Catalog, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]:
    """sample id -> its best tags (any source) scored at least ``min_score``, best first; a sample with
    none that sure gets its best tag marked unsure ("tom?", soundalike.engine.tags)."""
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        rows = catalog.query(
            f"SELECT sample_id, tag, max(score) AS s FROM tags WHERE sample_id IN ({marks}) "
            "GROUP BY sample_id, tag ORDER BY sample_id, s DESC",
            chunk,
        )
        for sid, tag, score in rows:
            tags = out.setdefault(sid, [])
            if not tags:
                tags.append(tag_label(tag, score, min_score))
            elif len(tags) < per_sample and score >= min_score:
                tags.append(tag)
    return out


def scored_tag_counts(catalog: Catalog, min_score: float = 0.5) -> list[tuple[str, int]]:
    """(tag, samples carrying it with at least ``min_score``), most common first."""
    return [
        (t, n)
        for t, n in catalog.query(
            "SELECT tag, count(DISTINCT sample_id) FROM tags WHERE score >= ? GROUP BY tag "
            "ORDER BY count(DISTINCT sample_id) DESC, tag",
            (min_score,),
        )
    ]


def best_tags(catalog: Catalog, min_score: float = 0.0) -> dict[int, str]:
    """Every playable sample's best-scoring tag, from any source, scored at least ``min_score``
    (untagged samples and those whose best tag is less sure are left out)."""
    rows = catalog.query(
        "SELECT t.sample_id, t.tag, MAX(t.score) FROM tags t JOIN samples s ON s.id = t.sample_id "
        "WHERE s.status = 'ok' GROUP BY t.sample_id HAVING MAX(t.score) >= ?",
        (min_score,),
    )
    return {int(sid): tag for sid, tag, _ in rows}
