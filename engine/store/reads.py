"""Read-only catalog queries for browsing: folders, paged and filtered sample lists, random picks, tags.

These back the TUI's library view and the bridge's ``random``; they never load vectors, so a
page of a million-sample library costs one indexed SQL query. Both stores read through them: the
filter's clause, the rows handed out and the tags the user sees are the catalog's own
(:class:`~.shared_catalog.SharedCatalog`).
"""

from __future__ import annotations

import os

from soundalike.engine.store.filters import Filters
from soundalike.engine.store.rows import SampleRow
from soundalike.engine.store.shared_catalog import CHUNK, QUALIFIED_COLUMNS, SharedCatalog
from soundalike.engine.store.where import order_of
from soundalike.engine.tags import tag_label


def list_samples(
    catalog: SharedCatalog, filters: Filters = Filters(), offset: int = 0, limit: int = 200
) -> list[SampleRow]:
    where_sql, params = catalog.filter_sql(filters)
    sql = f"SELECT {QUALIFIED_COLUMNS} FROM samples{where_sql} ORDER BY path LIMIT ? OFFSET ?"
    return catalog.rows(catalog.query(sql, [*params, limit, offset]))


def folders(catalog: SharedCatalog) -> list[str]:
    """Every folder that directly holds a sample, sorted (as stored)."""
    rows = catalog.query("SELECT DISTINCT rtrim(path, replace(path, ?, '')) FROM samples", (os.sep,))
    return sorted({row[0].rstrip(os.sep) for row in rows if row[0]})


def random_sample(catalog: SharedCatalog, tag: str | None = None) -> SampleRow | None:
    """A random playable sample, optionally with ``tag``."""
    where_sql, params = catalog.filter_sql(Filters(tag=tag, status="ok"))
    rows = catalog.query(f"SELECT {QUALIFIED_COLUMNS} FROM samples{where_sql} ORDER BY random() LIMIT 1", params)
    return catalog.row(rows[0]) if rows else None


def all_tags(catalog: SharedCatalog) -> list[tuple[str, int]]:
    """(tag, number of samples) over every tag source, most common first."""
    return _tag_counts(catalog, "", [])


def _tag_counts(catalog: SharedCatalog, condition: str, params: list) -> list[tuple[str, int]]:
    source, source_params = catalog.tag_source()
    rows = catalog.query(
        f"SELECT tag, count(DISTINCT sample_id) FROM {source}{condition} GROUP BY tag "
        "ORDER BY count(DISTINCT sample_id) DESC, tag",
        [*source_params, *params],
    )
    return [(tag, int(n)) for tag, n in rows]


# --- the TUI's library view: word search, loop/one-shot, scored tags, orders ------------------
def list_browse(catalog: SharedCatalog, filters: Filters, offset: int = 0, limit: int = 200) -> list[SampleRow]:
    where_sql, params = catalog.filter_sql(filters)
    source, order, _ = order_of(filters)
    sql = f"SELECT {QUALIFIED_COLUMNS} FROM {source}{where_sql} ORDER BY {order} LIMIT ? OFFSET ?"
    return catalog.rows(catalog.query(sql, [*params, limit, offset]))


def count_browse(catalog: SharedCatalog, filters: Filters) -> int:
    where_sql, params = catalog.filter_sql(filters)
    return int(catalog.query(f"SELECT count(*) FROM samples{where_sql}", params)[0][0])


def matching_ids(catalog: SharedCatalog, filters: Filters) -> list[int]:
    """Ids of every sample the listing holds (to restrict a similarity query to it)."""
    where_sql, params = catalog.filter_sql(filters)
    return [row[0] for row in catalog.query(f"SELECT samples.id FROM samples{where_sql}", params)]


def position_in_browse(catalog: SharedCatalog, filters: Filters, path: str) -> int:
    """How many samples of the listing sort before ``path`` (its row number when it is listed)."""
    where_sql, params = catalog.filter_sql(filters)
    joiner = " AND " if where_sql else " WHERE "
    source, _, (before, columns) = order_of(filters)
    path = catalog.paths.stored(path)
    if columns == ("path",):
        values = [path]
    else:
        found = catalog.query(f"SELECT {', '.join(columns)} FROM {source} WHERE path = ?", (path,))
        if not found:
            return 0
        values = list(found[0])
    return int(catalog.query(f"SELECT count(*) FROM {source}{where_sql}{joiner}{before}", [*params, *values])[0][0])


def top_tags(
    catalog: SharedCatalog, ids: list[int], min_score: float = 0.5, per_sample: int = 3
) -> dict[int, list[str]]:
    """sample id -> its best tags (any source) scored at least ``min_score``, best first; a sample with
    none that sure gets its best tag marked unsure ("tom?", soundalike.engine.tags)."""
    source, source_params = catalog.tag_source()
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), CHUNK):
        among, params = catalog.dialect.in_ids("sample_id", ids[start : start + CHUNK])
        rows = catalog.query(
            f"SELECT sample_id, tag, max(score) AS s FROM {source} WHERE {among} "
            "GROUP BY sample_id, tag ORDER BY sample_id, s DESC, tag",
            [*source_params, *params],
        )
        for sid, tag, score in rows:
            tags = out.setdefault(sid, [])
            if not tags:
                tags.append(tag_label(tag, score, min_score))
            elif len(tags) < per_sample and score >= min_score:
                tags.append(tag)
    return out


def scored_tag_counts(catalog: SharedCatalog, min_score: float = 0.5) -> list[tuple[str, int]]:
    """(tag, samples carrying it with at least ``min_score``), most common first."""
    return _tag_counts(catalog, " WHERE score >= ?", [min_score])


def best_tags(catalog: SharedCatalog, min_score: float = 0.0) -> dict[int, str]:
    """Every playable sample's best-scoring tag, from any source, scored at least ``min_score``
    (untagged samples and those whose best tag is less sure are left out). SQLite's bare column
    beside ``MAX`` (the PostgreSQL store's is ``DISTINCT ON``, :mod:`.postgres.user_lists`)."""
    rows = catalog.query(
        "SELECT t.sample_id, t.tag, MAX(t.score) FROM tags t JOIN samples s ON s.id = t.sample_id "
        "WHERE s.status = 'ok' GROUP BY t.sample_id HAVING MAX(t.score) >= ?",
        (min_score,),
    )
    return {int(sid): tag for sid, tag, _ in rows}
