"""Read-only catalog queries for browsing: folders, paged and filtered sample lists, random picks.

These back the TUI's library view and the bridge's ``random``; they never load vectors, so a
page of a million-sample library costs one indexed SQL query.
"""
from __future__ import annotations

import os
from engine.catalog import SAMPLE_COLUMNS, Catalog, Filters, SampleRow, row_from_values


def list_samples(catalog: Catalog, filters: Filters = Filters(), offset: int = 0, limit: int = 200) -> list[SampleRow]:
    where, params = filters.where()
    sql = f"SELECT {SAMPLE_COLUMNS} FROM samples{where} ORDER BY path LIMIT ? OFFSET ?"
    return [row_from_values(r) for r in catalog.query(sql, [*params, limit, offset])]


def count_samples(catalog: Catalog, filters: Filters = Filters()) -> int:
    where, params = filters.where()
    return int(catalog.query(f"SELECT count(*) FROM samples{where}", params)[0][0])


def folders(catalog: Catalog) -> list[str]:
    """Every folder that directly holds a sample, sorted."""
    rows = catalog.query("SELECT DISTINCT rtrim(path, replace(path, ?, '')) FROM samples", (os.sep,))
    return sorted({row[0].rstrip(os.sep) for row in rows if row[0]})


def random_sample(catalog: Catalog, tag: str | None = None) -> SampleRow | None:
    """A random playable sample, optionally with ``tag``."""
    where, params = Filters(tag=tag, status="ok").where()
    rows = catalog.query(f"SELECT {SAMPLE_COLUMNS} FROM samples{where} ORDER BY random() LIMIT 1", params)
    return row_from_values(rows[0]) if rows else None


def all_tags(catalog: Catalog) -> list[tuple[str, int]]:
    """(tag, number of samples) over every tag source, most common first."""
    return [(t, n) for t, n in catalog.query("SELECT tag, count(DISTINCT sample_id) FROM tags GROUP BY tag "
                                             "ORDER BY count(DISTINCT sample_id) DESC, tag")]
