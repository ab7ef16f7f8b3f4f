"""The PostgreSQL store's reads whose SQL differs from the SQLite store's: the listings (they take
:mod:`.where`'s clause), each sample's best tag, and what of the user's a folder holds."""

from __future__ import annotations

from soundalike.engine.store.catalog import SAMPLE_COLUMNS, row_from_values
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.postgres.catalog import PgCatalog
from soundalike.engine.store.postgres.where import order_of, where
from soundalike.engine.store.rows import USER_SOURCE, FolderUse, SampleRow

_QUALIFIED = ", ".join(f"samples.{c.strip()}" for c in SAMPLE_COLUMNS.split(","))


def list_samples(catalog: PgCatalog, filters: Filters, offset: int, limit: int) -> list[SampleRow]:
    where_sql, params = where(filters)
    sql = f"SELECT {_QUALIFIED} FROM samples{where_sql} ORDER BY path LIMIT ? OFFSET ?"
    return [row_from_values(r) for r in catalog.query(sql, [*params, limit, offset])]


def random_sample(catalog: PgCatalog, tag: str | None) -> SampleRow | None:
    where_sql, params = where(Filters(tag=tag, status="ok"))
    rows = catalog.query(f"SELECT {_QUALIFIED} FROM samples{where_sql} ORDER BY random() LIMIT 1", params)
    return row_from_values(rows[0]) if rows else None


def list_browse(
    catalog: PgCatalog, filters: Filters, offset: int, limit: int, from_end: bool = False
) -> list[SampleRow]:
    where_sql, params = where(filters)
    source, order, _ = order_of(filters, backwards=from_end)
    sql = f"SELECT {_QUALIFIED} FROM {source}{where_sql} ORDER BY {order} LIMIT ? OFFSET ?"
    rows = [row_from_values(r) for r in catalog.query(sql, [*params, limit, offset])]
    return rows[::-1] if from_end else rows


def count_browse(catalog: PgCatalog, filters: Filters) -> int:
    where_sql, params = where(filters)
    return int(catalog.query(f"SELECT count(*) FROM samples{where_sql}", params)[0][0])


def matching_ids(catalog: PgCatalog, filters: Filters) -> list[int]:
    where_sql, params = where(filters)
    return [row[0] for row in catalog.query(f"SELECT samples.id FROM samples{where_sql}", params)]


def position_in_browse(catalog: PgCatalog, filters: Filters, path: str) -> int:
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


def best_tags(catalog: PgCatalog, min_score: float) -> dict[int, str]:
    """Every playable sample's best-scoring tag, from any source, scored at least ``min_score``."""
    rows = catalog.query(
        "SELECT DISTINCT ON (t.sample_id) t.sample_id, t.tag FROM tags t JOIN samples s ON s.id = t.sample_id "
        "WHERE s.status = 'ok' AND t.score >= ? ORDER BY t.sample_id, t.score DESC, t.tag",
        (min_score,),
    )
    return {int(sid): tag for sid, tag in rows}


def folder_use(catalog: PgCatalog, root: str) -> FolderUse:
    samples, favourites = catalog.query(
        "SELECT count(*), count(*) FILTER (WHERE favourite != 0) FROM samples WHERE root = ?", (root,)
    )[0]
    tagged = catalog.query(
        "SELECT count(DISTINCT t.sample_id) FROM tags t JOIN samples s ON s.id = t.sample_id "
        "WHERE s.root = ? AND t.source = ?",
        (root, USER_SOURCE),
    )[0][0]
    collected = catalog.query(
        "SELECT count(DISTINCT c.sample_id) FROM collection_items c JOIN samples s "
        "ON s.id = c.sample_id WHERE s.root = ?",
        (root,),
    )[0][0]
    return FolderUse(int(samples), int(favourites), int(tagged), int(collected))
