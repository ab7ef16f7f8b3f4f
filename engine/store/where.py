"""SQL for the one filter value (soundalike.engine.store.filters): a ``WHERE`` clause over ``samples``
and a listing's ``ORDER BY``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from soundalike.engine.errors import QueryError
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.musical import musical_where
from soundalike.engine.store.user_lists import IN_COLLECTION

#: Every distinct tag, read by hopping through the tag index (one index lookup per distinct tag, never
#: the whole table): a word is matched against this small vocabulary, then the matching tags are
#: looked up by (tag, score) in the index. Append ``WHERE <condition on tag>`` to select from it.
TAG_VOCABULARY = (
    "WITH RECURSIVE vocabulary(tag) AS (SELECT min(tag) FROM tags UNION ALL "
    "SELECT (SELECT min(tag) FROM tags WHERE tag > vocabulary.tag) FROM vocabulary "
    "WHERE vocabulary.tag IS NOT NULL) SELECT tag FROM vocabulary"
)
_BELOW_ROOT = "lower(substr(path, length(root) + 1))"


def where(filters: Filters, vocabulary: Mapping[str, Sequence[str]] | None = None) -> tuple[str, list]:
    """An SQL ``WHERE`` clause over ``samples`` (empty string when nothing is filtered), and its parameters.

    ``vocabulary``: each word's matching tags, looked up already (:func:`tags_containing`); the words
    are then tested on each row read (its name, its tags by its id) instead of through the name and
    tag indexes, which find every match first: cheaper when only the first rows in an order are
    wanted and matches are common (``reads.list_browse``)."""
    clauses: list[str] = []
    params: list = []
    if filters.under:
        prefix = filters.under.rstrip(os.sep) + os.sep
        clauses.append("substr(path, 1, ?) = ?")
        params += [len(prefix), prefix]
    if filters.not_under:
        prefix = filters.not_under.rstrip(os.sep) + os.sep
        clauses.append("substr(path, 1, ?) != ?")
        params += [len(prefix), prefix]
    if filters.path_contains:
        clauses.append("instr(lower(path), lower(?)) > 0")
        params.append(filters.path_contains)
    for word in filters.words:
        tag_contains = f"IN ({TAG_VOCABULARY} WHERE instr(tag, ?) > 0)"
        if vocabulary is not None:
            tags = list(vocabulary.get(word, ()))
            scored = " AND +score >= ?" if filters.tag_min_score > 0 else ""
            tagged = (  # "+": by the sample's id (its few tags), not through every sample with that tag
                f" OR EXISTS (SELECT 1 FROM tags WHERE tags.sample_id = samples.id AND +tag IN "
                f"({', '.join('?' * len(tags))}){scored})"
                if tags
                else ""
            )
            clauses.append(f"(instr({_BELOW_ROOT}, ?) > 0{tagged})")
            params += [word.lower(), *tags, *(_score(filters.tag_min_score) if tags else [])]
            continue
        clauses.append(f"({_name_contains(word)} OR {_tagged(tag_contains, filters.tag_min_score)})")
        params += [_name_param(word), word.lower(), *_score(filters.tag_min_score)]
    if filters.tag:
        clauses.append(_tagged("= ?", filters.tag_min_score))
        params += [filters.tag, *_score(filters.tag_min_score)]
    if filters.status:
        clauses.append("status = ?")
        params.append(filters.status)
    if filters.favourites_only:
        clauses.append("favourite = 1")
    if filters.collection:
        clauses.append(IN_COLLECTION)
        params.append(filters.collection)
    if filters.min_duration is not None:
        clauses.append("duration >= ?")
        params.append(filters.min_duration)
    if filters.max_duration is not None:
        clauses.append("duration < ?")
        params.append(filters.max_duration)
    if filters.guess_kind and filters.kind:
        clauses.append(_kind_or_guess(filters.kind))
        params += [filters.kind, filters.loop_min_seconds]
    musical, musical_params = musical_where(
        None if filters.guess_kind else filters.kind, filters.bpm, filters.keys, filters.roots
    )
    clauses += musical
    params += musical_params
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def tags_containing(word: str) -> tuple[str, list]:
    """SQL selecting every distinct tag that contains ``word``, and its parameters."""
    return f"{TAG_VOCABULARY} WHERE instr(tag, ?) > 0", [word.lower()]


def _tagged(condition: str, min_score: float) -> str:
    scored = " AND score >= ?" if min_score > 0 else ""
    return f"id IN (SELECT sample_id FROM tags WHERE tag {condition}{scored})"


def _score(min_score: float) -> list[float]:
    return [min_score] if min_score > 0 else []


def _kind_or_guess(kind: str) -> str:
    """The analysed kind, or for a sample not analysed yet the guess from its path and duration."""
    if kind not in ("loop", "one-shot"):
        raise QueryError(f"kind takes one of loop, one-shot, got {kind!r}")
    guess = f"(instr({_BELOW_ROOT}, 'loop') > 0 OR coalesce(duration, 0) >= ?)"
    return (
        f"(id IN (SELECT sample_id FROM musical WHERE kind = ?) OR (id NOT IN "
        f"(SELECT sample_id FROM musical) AND {'' if kind == 'loop' else 'NOT '}{guess}))"
    )


def _name_contains(word: str) -> str:
    """SQL testing that the path below the root contains ``word`` (case-insensitive).

    Words of three or more characters use the trigram index; shorter ones cannot, and scan.
    """
    if len(word) >= 3:
        return "id IN (SELECT rowid FROM names WHERE names MATCH ?)"
    return f"instr({_BELOW_ROOT}, ?) > 0"


def _name_param(word: str) -> str:
    # A double-quoted FTS5 string is matched as a substring by the trigram tokenizer.
    return '"' + word.lower().replace('"', '""') + '"' if len(word) >= 3 else word.lower()


#: Listing orders: name -> (needs the musical table, ORDER BY clause, a row-value test for "sorts
#: before the row with these values", the columns that test reads). "path" and "added" are served by
#: an index (path is unique; added, id); the musical ones read the musical table beside each sample,
#: and samples without a tempo or key sort last, by path.
_BPM, _KEY = "coalesce(musical.bpm, 1e9)", "coalesce(musical.key, 99)"
ORDERS = {
    "path": (False, "path", "path < ?", ("path",)),
    "added": (False, "added DESC, id DESC", "(added > ? OR (added = ? AND id > ?))", ("added", "added", "id")),
    "bpm": (True, f"{_BPM}, path", f"({_BPM}, path) < (?, ?)", (_BPM, "path")),
    "key": (True, f"{_KEY}, path", f"({_KEY}, path) < (?, ?)", (_KEY, "path")),
}
_WITH_MUSICAL = " LEFT JOIN musical ON musical.sample_id = samples.id"
#: Each order backwards: a page near the end of a listing is read from its end (a short walk of the
#: same index), not past every row before it.
BACKWARDS = {
    "path": "path DESC",
    "added": "added, id",
    "bpm": f"{_BPM} DESC, path DESC",
    "key": f"{_KEY} DESC, path DESC",
}


def order_of(filters: Filters, backwards: bool = False) -> tuple[str, str, tuple[str, tuple[str, ...]]]:
    """(FROM clause, ORDER BY clause, (before-test, its columns)) for a listing's order
    (``backwards``: the ORDER BY clause reversed, last row first)."""
    if filters.order not in ORDERS:
        raise QueryError(f"order takes one of {', '.join(ORDERS)}, got {filters.order!r}")
    musical, order, before, columns = ORDERS[filters.order]
    order = BACKWARDS[filters.order] if backwards else order
    return ("samples" + _WITH_MUSICAL if musical else "samples"), order, (before, columns)
