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
from soundalike.engine.store.where import order_of, tags_containing
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
#: A word search's first pages are looked for among this many rows at the listing's end first,
#: testing each row (:meth:`~.shared_catalog.SharedCatalog.per_row_filter_sql`): where matches are
#: common ("kick" in a drum library) they are there, found in milliseconds, where finding every
#: match through the name index first took half a second at a million samples. Too few there: the
#: whole search, as before. Only where the store tests words per row (the SQLite store).
PROBE_ROWS = 20_000
PROBE_PAGES = 1_000  # rows into the listing (from either end) that the probe may answer


def list_browse(
    catalog: SharedCatalog, filters: Filters, offset: int = 0, limit: int = 200, from_end: bool = False
) -> list[SampleRow]:
    """One page of the listing, in its order; ``from_end``: ``offset`` counts back from its last row."""
    if catalog.words_per_row and probed(filters) and offset + limit <= PROBE_PAGES:
        found = _probe(catalog, filters, offset, limit, from_end)
        if found is not None:
            return found
    if catalog.words_per_row and tested_per_row(filters):
        where_sql, params = catalog.per_row_filter_sql(filters, _vocabulary(catalog, filters))
    else:
        where_sql, params = catalog.filter_sql(filters)
    source, order, _ = order_of(filters, backwards=from_end)
    sql = f"SELECT {QUALIFIED_COLUMNS} FROM {source}{where_sql} ORDER BY {order} LIMIT ? OFFSET ?"
    rows = catalog.rows(catalog.query(sql, [*params, limit, offset]))
    return rows[::-1] if from_end else rows


def probed(filters: Filters) -> bool:
    """Whether a page of this listing is looked for near its end first: words that the name index
    would answer (three characters or more), all ASCII (so that lower() folds their case as the
    index does), in path order."""
    words = filters.words
    return filters.order == "path" and any(len(w) >= 3 for w in words) and all(w.isascii() for w in words)


def tested_per_row(filters: Filters) -> bool:
    """Whether a page of this listing tests its words on each row read, in path order, until the
    page is full: words of one or two characters, which the name index cannot answer. Through
    :func:`where` without a vocabulary, each such word first gathered every sample whose tag holds
    it ("k": every kick), 60-70 ms at a million samples for a page found in the first rows."""
    words = filters.words
    return filters.order == "path" and bool(words) and all(len(w) < 3 and w.isascii() for w in words)


def _vocabulary(catalog: SharedCatalog, filters: Filters) -> dict[str, list[str]]:
    """Each word's matching tags (:func:`where`'s ``vocabulary``)."""
    vocabulary = {}
    for word in filters.words:
        sql, params = tags_containing(word)
        vocabulary[word] = [row[0] for row in catalog.query(sql, params)]
    return vocabulary


def _probe(catalog: SharedCatalog, filters: Filters, offset: int, limit: int, from_end: bool) -> list[SampleRow] | None:
    """The page from the PROBE_ROWS rows at the listing's end, when it is all there (else None)."""
    order, beyond = ("path DESC", ">") if from_end else ("path", "<")
    edge = catalog.query(f"SELECT path FROM samples ORDER BY {order} LIMIT 1 OFFSET ?", (PROBE_ROWS,))
    where_sql, params = catalog.per_row_filter_sql(filters, _vocabulary(catalog, filters))
    bound = (" AND " if where_sql else " WHERE ") + f"path {beyond} ?" if edge else ""
    sql = f"SELECT {QUALIFIED_COLUMNS} FROM samples{where_sql}{bound} ORDER BY {order} LIMIT ? OFFSET ?"
    values = catalog.query(sql, [*params, *(edge[0] if edge else ()), limit, offset])
    if edge and len(values) < limit:
        return None  # the page reaches past the probed rows
    rows = catalog.rows(values)
    return rows[::-1] if from_end else rows


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
