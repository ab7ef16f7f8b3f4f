"""SQL for the one filter value (:mod:`soundalike.engine.store.filters`) on PostgreSQL: a ``WHERE``
clause over ``samples``, with ``?`` marks (:class:`.connection.PgConnection` rewrites them).

The listing orders and the musical and collection clauses are dialect-neutral and shared with the
SQLite store; what differs is the text search: ``LIKE '%word%'`` over the name below the root and over tags,
which PostgreSQL's trigram indexes (pg_trgm, schema 3) answer where SQLite has its FTS5 trigram table.
"""

from __future__ import annotations

import os

from soundalike.engine.errors import QueryError
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.musical import musical_where
from soundalike.engine.store.postgres.paths import PathMap
from soundalike.engine.store.where import ORDERS as ORDERS
from soundalike.engine.store.where import order_of as order_of

_BELOW_ROOT = "lower(substr(samples.path, length(samples.root) + 1))"


def visible() -> str:
    """Samples this machine can play: under no named root, or under one of the names (one ``?``: a list)."""
    return "(left(samples.root, 1) = '/' OR split_part(samples.root, ':', 1) = ANY(?))"


def where(filters: Filters, paths: PathMap | None = None, user: str = "") -> tuple[str, list]:
    """An SQL ``WHERE`` clause over ``samples`` (empty string when nothing is filtered), and its
    parameters; ``paths``: this machine's named roots (folders in ``filters`` are local paths, and
    only samples this machine can play are listed; None: every sample, paths as stored); ``user``:
    whose favourites, user tags and collections the filters mean."""
    clauses: list[str] = []
    params: list = []
    stored = paths.stored if paths is not None else str
    if paths is not None:
        clauses.append(visible())
        params.append(list(paths.named))
    if filters.under:
        clauses.append("starts_with(samples.path, ?)")
        params.append(stored(filters.under).rstrip(os.sep) + os.sep)
    if filters.not_under:
        clauses.append("NOT starts_with(samples.path, ?)")
        params.append(stored(filters.not_under).rstrip(os.sep) + os.sep)
    if filters.path_contains:
        clauses.append("strpos(lower(samples.path), lower(?)) > 0")
        params.append(filters.path_contains)
    for word in filters.words:
        tagged, tagged_params = _tagged("tag LIKE ?", _containing(word.lower()), filters.tag_min_score, user)
        clauses.append(f"({_BELOW_ROOT} LIKE ? OR {tagged})")
        params += [_containing(word.lower()), *tagged_params]
    if filters.tag:
        tagged, tagged_params = _tagged("tag = ?", filters.tag, filters.tag_min_score, user)
        clauses.append(tagged)
        params += tagged_params
    if filters.status:
        clauses.append("samples.status = ?")
        params.append(filters.status)
    if filters.favourites_only:
        clauses.append("samples.id IN (SELECT sample_id FROM favourites WHERE username = ?)")
        params.append(user)
    if filters.collection:
        clauses.append(
            "samples.id IN (SELECT i.sample_id FROM collection_items i JOIN collections c ON c.id = i.collection_id "
            "WHERE c.username = ? AND c.name = ?)"
        )
        params += [user, filters.collection]
    if filters.min_duration is not None:
        clauses.append("samples.duration >= ?")
        params.append(filters.min_duration)
    if filters.max_duration is not None:
        clauses.append("samples.duration < ?")
        params.append(filters.max_duration)
    if filters.guess_kind and filters.kind:
        clauses.append(_kind_or_guess(filters.kind))
        params += [filters.kind, filters.loop_min_seconds]
    musical, musical_params = musical_where(
        None if filters.guess_kind else filters.kind, filters.bpm, filters.keys, filters.roots
    )
    clauses += ["samples." + clause for clause in musical]
    params += musical_params
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _containing(word: str) -> str:
    """A LIKE pattern for text containing ``word`` (the trigram indexes of schema 3 answer it)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _tagged(condition: str, value: str, min_score: float, user: str) -> tuple[str, list]:
    """Samples with a backend's tag meeting ``condition`` (one ``?``: ``value``) scored at least
    ``min_score``, or with such a tag of ``user``'s own (scored 1)."""
    scored = " AND score >= ?" if min_score > 0 else ""
    # an array (computed once) rather than IN (subquery): the id index then joins the name's
    # trigram index in one bitmap scan, where a subquery would make the planner scan every sample
    sql = (
        f"samples.id = ANY(ARRAY(SELECT sample_id FROM tags WHERE {condition}{scored} "
        f"UNION SELECT sample_id FROM user_tags WHERE username = ? AND {condition}))"
    )
    return sql, [value, *([min_score] if min_score > 0 else []), user, value]


def _kind_or_guess(kind: str) -> str:
    """The analysed kind, or for a sample not analysed yet the guess from its path and duration."""
    if kind not in ("loop", "one-shot"):
        raise QueryError(f"kind takes one of loop, one-shot, got {kind!r}")
    guess = f"(strpos({_BELOW_ROOT}, 'loop') > 0 OR coalesce(samples.duration, 0) >= ?)"
    return (
        f"(samples.id IN (SELECT sample_id FROM musical WHERE kind = ?) OR (samples.id NOT IN "
        f"(SELECT sample_id FROM musical) AND {'' if kind == 'loop' else 'NOT '}{guess}))"
    )
