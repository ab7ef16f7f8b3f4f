"""The PostgreSQL store's reads whose SQL differs from the SQLite store's: the listings (they take
the clause of :mod:`.where`) and what of the user's a folder holds."""

from __future__ import annotations

from soundalike.engine.store.catalog import SAMPLE_COLUMNS
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.postgres.catalog import PgCatalog
from soundalike.engine.store.postgres.where import order_of, where
from soundalike.engine.store.rows import FolderUse, SampleRow

_QUALIFIED = ", ".join(f"samples.{c.strip()}" for c in SAMPLE_COLUMNS.split(","))


def list_samples(catalog: PgCatalog, filters: Filters, offset: int, limit: int) -> list[SampleRow]:
    where_sql, params = where(filters, catalog.paths, catalog.user)
    sql = f"SELECT {_QUALIFIED} FROM samples{where_sql} ORDER BY path LIMIT ? OFFSET ?"
    return catalog.rows(catalog.query(sql, [*params, limit, offset]))


def random_sample(catalog: PgCatalog, tag: str | None) -> SampleRow | None:
    where_sql, params = where(Filters(tag=tag, status="ok"), catalog.paths, catalog.user)
    rows = catalog.query(f"SELECT {_QUALIFIED} FROM samples{where_sql} ORDER BY random() LIMIT 1", params)
    return catalog.row(rows[0]) if rows else None


def list_browse(
    catalog: PgCatalog, filters: Filters, offset: int, limit: int, from_end: bool = False
) -> list[SampleRow]:
    where_sql, params = where(filters, catalog.paths, catalog.user)
    source, order, _ = order_of(filters, backwards=from_end)
    sql = f"SELECT {_QUALIFIED} FROM {source}{where_sql} ORDER BY {order} LIMIT ? OFFSET ?"
    rows = catalog.rows(catalog.query(sql, [*params, limit, offset]))
    return rows[::-1] if from_end else rows


def count_browse(catalog: PgCatalog, filters: Filters) -> int:
    where_sql, params = where(filters, catalog.paths, catalog.user)
    return int(catalog.query(f"SELECT count(*) FROM samples{where_sql}", params)[0][0])


def matching_ids(catalog: PgCatalog, filters: Filters) -> list[int]:
    where_sql, params = where(filters, catalog.paths, catalog.user)
    return [row[0] for row in catalog.query(f"SELECT samples.id FROM samples{where_sql}", params)]


def position_in_browse(catalog: PgCatalog, filters: Filters, path: str) -> int:
    """How many samples of the listing sort before ``path`` (its row number when it is listed)."""
    where_sql, params = where(filters, catalog.paths, catalog.user)
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


def folder_use(catalog: PgCatalog, root: str) -> FolderUse:
    """What a folder holds: samples, and the user's own favourites, tagged and collected samples in it."""
    root = catalog.paths.stored(root)
    samples = catalog.query("SELECT count(*) FROM samples WHERE root = ?", (root,))[0][0]
    favourites, tagged = (
        catalog.query(
            f"SELECT count(DISTINCT t.sample_id) FROM {table} t JOIN samples s ON s.id = t.sample_id "
            "WHERE s.root = ? AND t.username = ?",
            (root, catalog.user),
        )[0][0]
        for table in ("favourites", "user_tags")
    )
    collected = catalog.query(
        "SELECT count(DISTINCT i.sample_id) FROM collection_items i JOIN collections c ON c.id = i.collection_id "
        "JOIN samples s ON s.id = i.sample_id WHERE s.root = ? AND c.username = ?",
        (root, catalog.user),
    )[0][0]
    return FolderUse(int(samples), int(favourites), int(tagged), int(collected))
