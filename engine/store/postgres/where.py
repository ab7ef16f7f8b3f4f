"""SQL for the one filter value (:mod:`soundalike.engine.store.filters`) on PostgreSQL: a ``WHERE``
clause over ``samples``, with ``?`` marks (:class:`.connection.PgConnection` rewrites them).

The listing orders and the musical and collection clauses are dialect-neutral and shared with the
SQLite store; what differs is the text search: ``strpos`` where SQLite has ``instr``, and a scan of
the name below the root where SQLite has its FTS5 trigram table.
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


def where(filters: Filters) -> tuple[str, list]:
    """An SQL ``WHERE`` clause over ``samples`` (empty string when nothing is filtered), and its parameters."""
    clauses: list[str] = []
    params: list = []
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
        clauses.append(f"(strpos({_BELOW_ROOT}, ?) > 0 OR {_tagged('strpos(tag, ?) > 0', filters.tag_min_score)})")
        params += [word.lower(), word.lower(), *_score(filters.tag_min_score)]
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


def _tagged(condition: str, min_score: float) -> str:
    scored = " AND score >= ?" if min_score > 0 else ""
    return f"samples.id IN (SELECT sample_id FROM tags WHERE {condition}{scored})"


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
