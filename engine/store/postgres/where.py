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
from soundalike.engine.store.user_lists import IN_COLLECTION
from soundalike.engine.store.where import ORDERS as ORDERS
from soundalike.engine.store.where import order_of as order_of

_BELOW_ROOT = "lower(substr(samples.path, length(samples.root) + 1))"


def visible() -> str:
    """Samples this machine can play: under no named root, or under one of the names (one ``?``: a list)."""
    return "(left(samples.root, 1) = '/' OR split_part(samples.root, ':', 1) = ANY(?))"


def where(filters: Filters, named: list[str] | None = None) -> tuple[str, list]:
    """An SQL ``WHERE`` clause over ``samples`` (empty string when nothing is filtered), and its
    parameters; ``named``: the named roots this machine maps (their samples and those under no
    named root are listed; None: every sample)."""
    clauses: list[str] = []
    params: list = []
    if named is not None:
        clauses.append(visible())
        params.append(named)
    if filters.under:
        clauses.append("starts_with(samples.path, ?)")
        params.append(filters.under.rstrip(os.sep) + os.sep)
    if filters.not_under:
        clauses.append("NOT starts_with(samples.path, ?)")
        params.append(filters.not_under.rstrip(os.sep) + os.sep)
    if filters.path_contains:
        clauses.append("strpos(lower(samples.path), lower(?)) > 0")
        params.append(filters.path_contains)
    for word in filters.words:
        clauses.append(f"({_BELOW_ROOT} LIKE ? OR {_tagged('tag LIKE ?', filters.tag_min_score)})")
        params += [_containing(word.lower()), _containing(word.lower()), *_score(filters.tag_min_score)]
    if filters.tag:
        clauses.append(_tagged("tag = ?", filters.tag_min_score))
        params += [filters.tag, *_score(filters.tag_min_score)]
    if filters.status:
        clauses.append("samples.status = ?")
        params.append(filters.status)
    if filters.favourites_only:
        clauses.append("samples.favourite = 1")
    if filters.collection:
        clauses.append("samples." + IN_COLLECTION)
        params.append(filters.collection)
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


def _tagged(condition: str, min_score: float) -> str:
    scored = " AND score >= ?" if min_score > 0 else ""
    # an array (computed once) rather than IN (subquery): the id index then joins the name's
    # trigram index in one bitmap scan, where a subquery would make the planner scan every sample
    return f"samples.id = ANY(ARRAY(SELECT sample_id FROM tags WHERE {condition}{scored}))"


def _score(min_score: float) -> list[float]:
    return [min_score] if min_score > 0 else []


def _kind_or_guess(kind: str) -> str:
    """The analysed kind, or for a sample not analysed yet the guess from its path and duration."""
    if kind not in ("loop", "one-shot"):
        raise QueryError(f"kind takes one of loop, one-shot, got {kind!r}")
    guess = f"(strpos({_BELOW_ROOT}, 'loop') > 0 OR coalesce(samples.duration, 0) >= ?)"
    return (
        f"(samples.id IN (SELECT sample_id FROM musical WHERE kind = ?) OR (samples.id NOT IN "
        f"(SELECT sample_id FROM musical) AND {'' if kind == 'loop' else 'NOT '}{guess}))"
    )
