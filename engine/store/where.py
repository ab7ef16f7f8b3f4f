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


def where(filters: Filters, vocabulary: Mapping[str, Sequence[str]] | None = None) -> tuple[str, list]:
    """An SQL ``WHERE`` clause over ``samples`` (empty string when nothing is filtered), and its parameters.

    ``vocabulary``: each word's matching tags, looked up already (:func:`tags_containing`); the words
    are then tested on each row read (its name, its tags by its id) instead of through the name and
    tag indexes, which find every match first: cheaper when only the first rows in an order are
    wanted and matches are common (``reads.list_browse``)."""
    return Clauses(vocabulary).build(filters)


def tags_containing(word: str) -> tuple[str, list]:
    """SQL selecting every distinct tag that contains ``word``, and its parameters."""
    return f"{TAG_VOCABULARY} WHERE instr(tag, ?) > 0", [word.lower()]


class Clauses:
    """The ``WHERE`` clause of a filter value, in the SQLite catalog's SQL; the PostgreSQL store's
    (:class:`~.postgres.where.PgClauses`) overrides what differs there: the folder and text tests,
    and favourites and collections, which are each user's own."""

    #: How ``samples``' columns are named (qualified where a listing may join another table).
    table = ""
    #: The function giving a substring's position (1-based, 0 when absent).
    find = "instr"
    #: Each word's matching tags, when the words are tested on each row read (:func:`where`).
    vocabulary: Mapping[str, Sequence[str]] | None = None

    def __init__(self, vocabulary: Mapping[str, Sequence[str]] | None = None):
        self.vocabulary = vocabulary

    def build(self, filters: Filters) -> tuple[str, list]:
        """The ``WHERE`` clause of ``filters`` (empty string when nothing is filtered), and its parameters."""
        clauses, params = self.scope()
        t = self.table

        def add(clause: str, values: list) -> None:
            clauses.append(clause)
            params.extend(values)

        if filters.under:
            add(*self.under(filters.under, "="))
        if filters.not_under:
            add(*self.under(filters.not_under, "!="))
        if filters.path_contains:
            add(f"{self.find}(lower({t}path), lower(?)) > 0", [filters.path_contains])
        for word in filters.words:
            add(*self.word(word, filters.tag_min_score))
        if filters.tag:
            add(*self.tag(filters.tag, filters.tag_min_score))
        if filters.status:
            add(f"{t}status = ?", [filters.status])
        if filters.favourites_only:
            add(*self.favourites())
        if filters.collection:
            add(*self.collection(filters.collection))
        if filters.min_duration is not None:
            add(f"{t}duration >= ?", [filters.min_duration])
        if filters.max_duration is not None:
            add(f"{t}duration < ?", [filters.max_duration])
        if filters.guess_kind and filters.kind:
            add(self.kind_or_guess(filters.kind), [filters.kind, filters.loop_min_seconds])
        musical, musical_params = musical_where(
            None if filters.guess_kind else filters.kind, filters.bpm, filters.keys, filters.roots
        )
        clauses += [t + clause for clause in musical]
        params += musical_params
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def below_root(self) -> str:
        """The path below its root, lower-cased."""
        return f"lower(substr({self.table}path, length({self.table}root) + 1))"

    def scope(self) -> tuple[list[str], list]:
        """The clauses every filter starts from (every sample here)."""
        return [], []

    def under(self, folder: str, test: str) -> tuple[str, list]:
        """Samples below ``folder`` (``test`` "=") or not below it ("!=")."""
        prefix = folder.rstrip(os.sep) + os.sep
        return f"substr(path, 1, ?) {test} ?", [len(prefix), prefix]

    def word(self, word: str, min_score: float) -> tuple[str, list]:
        """Samples whose name below the root, or a tag, contains ``word``."""
        if self.vocabulary is not None:
            return self._word_per_row(word, list(self.vocabulary.get(word, ())), min_score)
        tag_contains = f"IN ({TAG_VOCABULARY} WHERE instr(tag, ?) > 0)"
        clause = f"({self._name_contains(word)} OR {_tagged(tag_contains, min_score)})"
        return clause, [_name_param(word), word.lower(), *_score(min_score)]

    def tag(self, tag: str, min_score: float) -> tuple[str, list]:
        return _tagged("= ?", min_score), [tag, *_score(min_score)]

    def favourites(self) -> tuple[str, list]:
        return "favourite = 1", []

    def collection(self, name: str) -> tuple[str, list]:
        return IN_COLLECTION, [name]

    def kind_or_guess(self, kind: str) -> str:
        """The analysed kind, or for a sample not analysed yet the guess from its path and duration
        (two ``?``: the kind, then the shortest loop in seconds)."""
        if kind not in ("loop", "one-shot"):
            raise QueryError(f"kind takes one of loop, one-shot, got {kind!r}")
        t = self.table
        guess = f"({self.find}({self.below_root()}, 'loop') > 0 OR coalesce({t}duration, 0) >= ?)"
        return (
            f"({t}id IN (SELECT sample_id FROM musical WHERE kind = ?) OR ({t}id NOT IN "
            f"(SELECT sample_id FROM musical) AND {'' if kind == 'loop' else 'NOT '}{guess}))"
        )

    def _word_per_row(self, word: str, tags: list[str], min_score: float) -> tuple[str, list]:
        """``word`` tested on each row read: its name, then its own few tags (``tags``: those that contain ``word``)."""
        scored = " AND +score >= ?" if min_score > 0 else ""
        tagged = (  # "+": by the sample's id (its few tags), not through every sample with that tag
            f" OR EXISTS (SELECT 1 FROM tags WHERE tags.sample_id = samples.id AND +tag IN "
            f"({', '.join('?' * len(tags))}){scored})"
            if tags
            else ""
        )
        return f"(instr({self.below_root()}, ?) > 0{tagged})", [
            word.lower(),
            *tags,
            *(_score(min_score) if tags else []),
        ]

    def _name_contains(self, word: str) -> str:
        """SQL testing that the path below the root contains ``word`` (case-insensitive).

        Words of three or more characters use the trigram index; shorter ones cannot, and scan.
        """
        if len(word) >= 3:
            return "id IN (SELECT rowid FROM names WHERE names MATCH ?)"
        return f"instr({self.below_root()}, ?) > 0"


def _tagged(condition: str, min_score: float) -> str:
    scored = " AND score >= ?" if min_score > 0 else ""
    return f"id IN (SELECT sample_id FROM tags WHERE tag {condition}{scored})"


def _score(min_score: float) -> list[float]:
    return [min_score] if min_score > 0 else []


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
