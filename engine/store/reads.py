"""Read-only catalog queries for browsing: folders, paged and filtered sample lists, random picks.

These back the TUI's library view and the bridge's ``random``; they never load vectors, so a
page of a million-sample library costs one indexed SQL query.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from soundalike.engine.errors import QueryError
from soundalike.engine.store.catalog import SAMPLE_COLUMNS, Catalog, Filters, SampleRow, row_from_values
from soundalike.engine.store.user_lists import IN_COLLECTION
from soundalike.engine.tags import tag_label


def list_samples(catalog: Catalog, filters: Filters = Filters(), offset: int = 0, limit: int = 200) -> list[SampleRow]:
    where, params = filters.where()
    sql = f"SELECT {SAMPLE_COLUMNS} FROM samples{where} ORDER BY path LIMIT ? OFFSET ?"
    return [row_from_values(r) for r in catalog.query(sql, [*params, limit, offset])]


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


# --- the TUI's library view: word search, loop/one-shot, scored tags ---------------------------
#: Every distinct tag, read by hopping through the tag index (one index lookup per distinct tag, never
#: the whole table): a word is matched against this small vocabulary, then the matching tags are
#: looked up by (tag, score) in the index. Append ``WHERE <condition on tag>`` to select from it.
TAG_VOCABULARY = ("WITH RECURSIVE vocabulary(tag) AS (SELECT min(tag) FROM tags UNION ALL "
                  "SELECT (SELECT min(tag) FROM tags WHERE tag > vocabulary.tag) FROM vocabulary "
                  "WHERE vocabulary.tag IS NOT NULL) SELECT tag FROM vocabulary")


@dataclass(frozen=True)
class BrowseQuery:
    """A listing for the library view: catalog ``Filters`` plus what a browser adds.

    ``words`` must each appear in the path below the root or in a tag scored at least ``tag_min_score``;
    ``tag`` likewise counts only when scored that high (backends store every tag with a score).
    ``kind`` uses each sample's analysed kind (soundalike.engine.musical); a sample not analysed yet falls back
    to the old rule: a loop is a file whose path below its root says "loop" or that lasts at least
    ``loop_min_seconds``. Samples whose kind is analysed as unknown are neither.
    """

    filters: Filters = Filters()
    words: tuple[str, ...] = ()
    tag: str | None = None
    kind: str = "any"  # "any", "loop" or "one-shot"
    loop_min_seconds: float = 2.5
    tag_min_score: float = 0.5
    not_under: str | None = None  # leave out this folder and everything below it (issue 17: scope)
    collection: str | None = None  # only the samples of this collection (soundalike.engine.store.user_lists)
    order: str = "path"  # a key of ORDERS: "path", "added" (newest first: recently added), "bpm", "key"

    def where(self) -> tuple[str, list]:
        where, params = self.filters.where()
        clauses = [where.removeprefix(" WHERE ")] if where else []
        tagged = "id IN (SELECT sample_id FROM tags WHERE tag {} AND score >= ?)"
        below_root = "lower(substr(path, length(root) + 1))"
        for word in self.words:
            tag_contains = f"IN ({TAG_VOCABULARY} WHERE instr(tag, ?) > 0)"
            clauses.append(f"({_name_contains(word, below_root)} OR {tagged.format(tag_contains)})")
            params += [_name_param(word), word.lower(), self.tag_min_score]
        if self.tag:
            clauses.append(tagged.format("= ?"))
            params += [self.tag, self.tag_min_score]
        if self.collection:
            clauses.append(IN_COLLECTION)
            params.append(self.collection)
        if self.not_under:
            prefix = self.not_under.rstrip(os.sep) + os.sep
            clauses.append("substr(path, 1, ?) != ?")
            params += [len(prefix), prefix]
        if self.kind in ("loop", "one-shot"):
            guess = f"(instr({below_root}, 'loop') > 0 OR coalesce(duration, 0) >= ?)"
            clauses.append(f"(id IN (SELECT sample_id FROM musical WHERE kind = ?) OR (id NOT IN "
                           f"(SELECT sample_id FROM musical) AND {'' if self.kind == 'loop' else 'NOT '}{guess}))")
            params += [self.kind, self.loop_min_seconds]
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _name_contains(word: str, below_root: str) -> str:
    """SQL testing that the path below the root contains ``word`` (case-insensitive).

    Words of three or more characters use the trigram index; shorter ones cannot, and scan.
    """
    if len(word) >= 3:
        return "id IN (SELECT rowid FROM names WHERE names MATCH ?)"
    return f"instr({below_root}, ?) > 0"


def _name_param(word: str) -> str:
    # A double-quoted FTS5 string is matched as a substring by the trigram tokenizer.
    return '"' + word.lower().replace('"', '""') + '"' if len(word) >= 3 else word.lower()


#: Listing orders: name -> (needs the musical table, ORDER BY clause, a row-value test for "sorts
#: before the row with these values", the columns that test reads). "path" and "added" are served by
#: an index (path is unique; added, id); the musical ones (issue 16) read the musical table beside
#: each sample, and samples without a tempo or key sort last, by path.
_BPM, _KEY = "coalesce(musical.bpm, 1e9)", "coalesce(musical.key, 99)"
ORDERS = {"path": (False, "path", "path < ?", ("path",)),
          "added": (False, "added DESC, id DESC", "(added > ? OR (added = ? AND id > ?))", ("added", "added", "id")),
          "bpm": (True, f"{_BPM}, path", f"({_BPM}, path) < (?, ?)", (_BPM, "path")),
          "key": (True, f"{_KEY}, path", f"({_KEY}, path) < (?, ?)", (_KEY, "path"))}
_WITH_MUSICAL = " LEFT JOIN musical ON musical.sample_id = samples.id"


def _order_of(query: BrowseQuery) -> tuple[str, str, tuple[str, tuple[str, ...]]]:
    """(FROM clause, ORDER BY clause, (before-test, its columns)) for the query's order."""
    if query.order not in ORDERS:
        raise QueryError(f"order takes one of {', '.join(ORDERS)}, got {query.order!r}")
    musical, order, before, columns = ORDERS[query.order]
    return ("samples" + _WITH_MUSICAL if musical else "samples"), order, (before, columns)


def list_browse(catalog: Catalog, query: BrowseQuery, offset: int = 0, limit: int = 200) -> list[SampleRow]:
    where, params = query.where()
    source, order, _ = _order_of(query)
    columns = ", ".join(f"samples.{c.strip()}" for c in SAMPLE_COLUMNS.split(","))
    sql = f"SELECT {columns} FROM {source}{where} ORDER BY {order} LIMIT ? OFFSET ?"
    return [row_from_values(r) for r in catalog.query(sql, [*params, limit, offset])]


def count_browse(catalog: Catalog, query: BrowseQuery) -> int:
    where, params = query.where()
    return int(catalog.query(f"SELECT count(*) FROM samples{where}", params)[0][0])


def matching_ids(catalog: Catalog, query: BrowseQuery) -> list[int]:
    """Ids of every sample the listing holds (to restrict a similarity query to it)."""
    where, params = query.where()
    return [row[0] for row in catalog.query(f"SELECT id FROM samples{where}", params)]


def position_in_browse(catalog: Catalog, query: BrowseQuery, path: str) -> int:
    """How many samples of the listing sort before ``path`` (its row number when it is listed)."""
    where, params = query.where()
    joiner = " AND " if where else " WHERE "
    source, _, (before, columns) = _order_of(query)
    if columns == ("path",):
        values = [path]
    else:
        found = catalog.query(f"SELECT {', '.join(columns)} FROM {source} WHERE path = ?", (path,))
        if not found:
            return 0
        values = list(found[0])
    return int(catalog.query(f"SELECT count(*) FROM {source}{where}{joiner}{before}", [*params, *values])[0][0])


def top_tags(catalog: Catalog, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]:
    """sample id -> its best tags (any source) scored at least ``min_score``, best first; a sample with
    none that sure gets its best tag marked unsure ("tom?", soundalike.engine.tags)."""
    out: dict[int, list[str]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        rows = catalog.query(f"SELECT sample_id, tag, max(score) AS s FROM tags WHERE sample_id IN ({marks}) "
                             "GROUP BY sample_id, tag ORDER BY sample_id, s DESC", chunk)
        for sid, tag, score in rows:
            tags = out.setdefault(sid, [])
            if not tags:
                tags.append(tag_label(tag, score, min_score))
            elif len(tags) < per_sample and score >= min_score:
                tags.append(tag)
    return out


def scored_tag_counts(catalog: Catalog, min_score: float = 0.5) -> list[tuple[str, int]]:
    """(tag, samples carrying it with at least ``min_score``), most common first."""
    return [(t, n) for t, n in catalog.query(
        "SELECT tag, count(DISTINCT sample_id) FROM tags WHERE score >= ? GROUP BY tag "
        "ORDER BY count(DISTINCT sample_id) DESC, tag", (min_score,))]


def best_tags(catalog: Catalog, min_score: float = 0.0) -> dict[int, str]:
    """Every playable sample's best-scoring tag, from any source, scored at least ``min_score``
    (untagged samples and those whose best tag is less sure are left out)."""
    rows = catalog.query("SELECT t.sample_id, t.tag, MAX(t.score) FROM tags t JOIN samples s ON s.id = t.sample_id "
                         "WHERE s.status = 'ok' GROUP BY t.sample_id HAVING MAX(t.score) >= ?", (min_score,))
    return {int(sid): tag for sid, tag, _ in rows}
