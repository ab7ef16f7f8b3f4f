"""SQL for the one filter value (:mod:`soundalike.engine.store.filters`) on PostgreSQL: a ``WHERE``
clause over ``samples``, with ``?`` marks (:class:`.connection.PgConnection` rewrites them).

The clause is :class:`~soundalike.engine.store.where.Clauses`' (the listing orders, the musical,
duration and kind clauses are shared with the SQLite store); what differs is named here: only this
machine's samples, folders as stored paths, the user's own favourites and collections, and the text search: ``LIKE '%word%'`` over the name below the root and over tags,
which PostgreSQL's trigram indexes (pg_trgm, schema 3) answer where SQLite has its FTS5 trigram table.
"""

from __future__ import annotations

import os

from soundalike.engine.store.filters import Filters
from soundalike.engine.store.postgres.paths import PathMap
from soundalike.engine.store.where import ORDERS as ORDERS
from soundalike.engine.store.where import Clauses
from soundalike.engine.store.where import order_of as order_of


def visible() -> str:
    """Samples this machine can play: under no named root, or under one of the names (one ``?``: a list)."""
    return "(left(samples.root, 1) = '/' OR split_part(samples.root, ':', 1) = ANY(?))"


def where(filters: Filters, paths: PathMap | None = None, user: str = "") -> tuple[str, list]:
    """An SQL ``WHERE`` clause over ``samples`` (empty string when nothing is filtered), and its
    parameters; ``paths``: this machine's named roots (folders in ``filters`` are local paths, and
    only samples this machine can play are listed; None: every sample, paths as stored); ``user``:
    whose favourites, user tags and collections the filters mean."""
    return PgClauses(paths, user).build(filters)


class PgClauses(Clauses):
    table = "samples."
    find = "strpos"

    def __init__(self, paths: PathMap | None, user: str):
        self.paths, self.user = paths, user

    def scope(self) -> tuple[list[str], list]:
        if self.paths is None:
            return [], []
        return [visible()], [list(self.paths.named)]

    def under(self, folder: str, test: str) -> tuple[str, list]:
        stored = self.paths.stored(folder) if self.paths is not None else folder
        return f"{'' if test == '=' else 'NOT '}starts_with(samples.path, ?)", [stored.rstrip(os.sep) + os.sep]

    def word(self, word: str, min_score: float) -> tuple[str, list]:
        tagged, tagged_params = self._tagged("tag LIKE ?", _containing(word.lower()), min_score)
        return f"({self.below_root()} LIKE ? OR {tagged})", [_containing(word.lower()), *tagged_params]

    def tag(self, tag: str, min_score: float) -> tuple[str, list]:
        return self._tagged("tag = ?", tag, min_score)

    def favourites(self) -> tuple[str, list]:
        return "samples.id IN (SELECT sample_id FROM favourites WHERE username = ?)", [self.user]

    def collection(self, name: str) -> tuple[str, list]:
        return (
            "samples.id IN (SELECT i.sample_id FROM collection_items i JOIN collections c ON c.id = i.collection_id "
            "WHERE c.username = ? AND c.name = ?)"
        ), [self.user, name]

    def _tagged(self, condition: str, value: str, min_score: float) -> tuple[str, list]:
        """Samples with a backend's tag meeting ``condition`` (one ``?``: ``value``) scored at least
        ``min_score``, or with such a tag of the user's own (scored 1)."""
        scored = " AND score >= ?" if min_score > 0 else ""
        # an array (computed once) rather than IN (subquery): the id index then joins the name's
        # trigram index in one bitmap scan, where a subquery would make the planner scan every sample
        sql = (
            f"samples.id = ANY(ARRAY(SELECT sample_id FROM tags WHERE {condition}{scored} "
            f"UNION SELECT sample_id FROM user_tags WHERE username = ? AND {condition}))"
        )
        return sql, [value, *([min_score] if min_score > 0 else []), self.user, value]


def _containing(word: str) -> str:
    """A LIKE pattern for text containing ``word`` (the trigram indexes of schema 3 answer it)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
