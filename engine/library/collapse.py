"""Fold copies and velocity layers in query results into one row each, from stored facts.

After a copied kit is dropped into a library, a snare's top ten can be six copies of the same
files. Which files are copies or velocity layers of one sound is decided when they are indexed
(:mod:`soundalike.engine.library.families`) and kept in the catalog; folding a query's results is
a lookup of those labels for a bounded number of hits. No audio is decoded at query time.

Each group is shown by its lead: the loudest layer among the group's hits (the most representative
take of the sound), and among that layer's copies the best-scoring one. Groups keep the order of
their best hit. The query's own copies and layers are not results: they are left out and reported
once (:class:`Own`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from soundalike.engine.library.browse import LibraryBrowse
from soundalike.engine.library.families import VELOCITY_WORD, layer_key
from soundalike.engine.library.queries import Hit, LibraryQueries, Resolved
from soundalike.engine.library.query import SimilarQuery, TextQuery
from soundalike.engine.store.catalog import SampleRow

__all__ = ["VELOCITY_WORD", "Folded", "Group", "Own", "collapse", "grouped", "layer_key"]

log = logging.getLogger(__name__)

#: How many hits a collapsed query reads per group it must show (copies and layers use the rest).
READ_PER_GROUP = 3
#: At most this many hits per group wanted (and at least READ_LIMIT_MIN) are read to fill the groups.
READ_LIMIT_PER_GROUP, READ_LIMIT_MIN = 40, 500
#: At most this many of the query's own copies and layers are left out of its results.
OWN_LIMIT = 200

Labels = Mapping[int, tuple[int, int]]


@dataclass(frozen=True)
class Group:
    """One row of collapsed results: the lead hit, and the copies / layers folded under it."""

    lead: Hit
    copies: tuple[Hit, ...] = ()
    layers: tuple[Hit, ...] = ()

    @property
    def members(self) -> tuple[Hit, ...]:
        """Everything folded under the lead, best first."""
        return tuple(sorted(self.copies + self.layers, key=lambda h: -h.score))

    @property
    def score(self) -> float:
        """The best score in the group (where it ranks), which may be a softer layer's."""
        return max(hit.score for hit in (self.lead, *self.copies, *self.layers))

    def summary(self) -> str:
        """ "+2 copies, +3 layers" ("" for a group of one)."""
        parts = [
            f"+{len(self.copies)} cop{'y' if len(self.copies) == 1 else 'ies'}" if self.copies else "",
            f"+{len(self.layers)} layer{'' if len(self.layers) == 1 else 's'}" if self.layers else "",
        ]
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True)
class Own:
    """The query's own copies and layers (in the library), left out of its results."""

    copies: tuple[SampleRow, ...] = ()
    layers: tuple[SampleRow, ...] = ()

    @property
    def ids(self) -> set[int]:
        return {row.id for row in self.copies + self.layers}

    def __bool__(self) -> bool:
        return bool(self.copies or self.layers)

    def describe(self, readable: Callable[[str], str] = os.path.basename, names: int = 6) -> str:
        """ "2 copies and 3 layers of this sound: a.wav, b.flac, …" ("" when there are none), naming
        at most ``names`` of them."""
        parts = [
            f"{len(self.copies)} cop{'y' if len(self.copies) == 1 else 'ies'}" if self.copies else "",
            f"{len(self.layers)} layer{'' if len(self.layers) == 1 else 's'}" if self.layers else "",
        ]
        if not self:
            return ""
        rows = self.copies + self.layers
        listed = ", ".join(readable(row.path) for row in rows[:names]) + (", …" if len(rows) > names else "")
        return f"{' and '.join(p for p in parts if p)} of this sound: {listed}"


class Folded(list[Group]):
    """A query's answer: its groups, best first (the list itself), and the query's own copies
    and layers (``own``), which are not results."""

    def __init__(self, groups: Iterable[Group] = (), own: Own | None = None):
        super().__init__(groups)
        self.own = own if own is not None else Own()

    @property
    def hits(self) -> list[Hit]:
        """Each group's lead, scored as its group ranks (its best member's score), best first: every
        hit, as found, when folding is off."""
        return [Hit(group.lead.sample, group.score) for group in self]


def collapse(hits: list[Hit], labels: Labels) -> list[Group]:
    """Group ``hits`` (best first) by their stored family; ``labels``: sample id -> (copy group,
    family), as :meth:`LibraryBrowse.sound_labels` reads them (a hit without labels is alone)."""
    families: dict[int, list[Hit]] = {}
    for hit in hits:
        family = labels.get(hit.sample.id, (hit.sample.id, -hit.sample.id))[1]
        families.setdefault(family, []).append(hit)
    return [_group(members, labels) for members in families.values()]


def _group(hits: list[Hit], labels: Labels) -> Group:
    def copy_of(hit: Hit) -> int:
        return labels.get(hit.sample.id, (hit.sample.id, 0))[0]

    layers: dict[int, list[Hit]] = {}
    for hit in hits:  # best first within each layer too
        layers.setdefault(copy_of(hit), []).append(hit)
    loudest = max(layers.values(), key=lambda layer: (_level(layer), -hits.index(layer[0])))
    lead = loudest[0]
    return Group(lead, copies=tuple(loudest[1:]), layers=tuple(hit for hit in hits if copy_of(hit) != copy_of(lead)))


def _level(layer: list[Hit]) -> float:
    """How loud a layer is: its loudest member's RMS level (peak when RMS is unknown)."""
    levels = [row.rms_db if row.rms_db is not None else row.peak_db for row in (hit.sample for hit in layer)]
    known = [level for level in levels if level is not None]
    return max(known) if known else float("-inf")


def own_of(browse: LibraryBrowse, sample_id: int | None) -> Own:
    """The copies and layers of library sample ``sample_id`` (none for a file outside it)."""
    if sample_id is None:
        return Own()
    family = browse.family(sample_id, OWN_LIMIT)
    if sample_id not in family:
        return Own()
    copy_group = family[sample_id][0]
    rows = browse.samples(sid for sid in family if sid != sample_id)
    ordered = sorted(rows.values(), key=lambda row: row.path)
    return Own(
        copies=tuple(row for row in ordered if family[row.id][0] == copy_group),
        layers=tuple(row for row in ordered if family[row.id][0] != copy_group),
    )


def collapsed_query(
    run: Callable[[int], list[Hit]],
    groups_wanted: int,
    labels: Callable[[list[int]], Labels],
    keep: Callable[[Hit], bool] = lambda hit: True,
    limit: int = 100_000,
) -> list[Group]:
    """At least ``groups_wanted`` groups (fewer only when the library runs out) from ``run(k)``,
    a query for the best ``k`` hits: it reads more hits while copies, layers and hits that
    ``keep`` refuses use them up, up to ``limit`` hits."""
    k = max(groups_wanted * READ_PER_GROUP, groups_wanted + 10)
    while True:
        found = run(k)
        hits = [hit for hit in found if keep(hit)]
        groups = collapse(hits, labels([hit.sample.id for hit in hits]))
        if len(groups) >= groups_wanted or len(found) < k or k >= limit:
            return groups[:groups_wanted]
        k = min(limit, k * 2)


def grouped(
    browse: LibraryBrowse,
    run: Callable[[int], list[Hit]],
    k: int,
    collapse_on: bool = True,
    leave_out: frozenset[int] | set[int] = frozenset(),
    not_under: str | None = None,
) -> list[Group]:
    """``run(k)`` (a similar or text query) as ``k`` groups: collapsed, or one group per hit when off.

    ``leave_out``: sample ids that are not results (the query's own copies and layers);
    ``not_under``: a folder whose samples are not results ("other folders only")."""
    prefix = not_under.rstrip(os.sep) + os.sep if not_under else None

    def keep(hit: Hit) -> bool:
        return hit.sample.id not in leave_out and (prefix is None or not hit.path.startswith(prefix))

    limit = max(READ_LIMIT_MIN, k * READ_LIMIT_PER_GROUP)  # a library of nothing but copies: fewer rows, no full scan
    if not collapse_on:
        return (
            collapsed_query(run, k, lambda ids: {}, keep, limit)
            if (leave_out or prefix)
            else [Group(hit) for hit in run(k)]
        )
    return collapsed_query(run, k, browse.sound_labels, keep, limit)


def similar_groups(queries: LibraryQueries, browse: LibraryBrowse, query: SimilarQuery) -> Folded:
    """``query`` answered as groups: the sound embedded once, its own copies and layers left out
    (and reported), copies and layers of each result folded under it when ``query.collapse``."""
    backend = query.backend or queries.settings.engine.default_backend
    vector, own_id = queries.query_vector(query.to, backend, query.sample_rate)
    resolved = Resolved(vector, own_id, query.to)
    own = own_of(browse, own_id) if query.collapse else Own()

    def run(n: int) -> list[Hit]:
        return queries.similar(
            resolved,
            k=n,
            backend=backend,
            weights=query.weights,
            filters=query.filters,
            sample_rate=query.sample_rate,
            musical=query.musical,
        )

    k = query.k or queries.settings.index.default_k
    return Folded(grouped(browse, run, k, query.collapse, own.ids, query.not_under), own)


def text_groups(queries: LibraryQueries, browse: LibraryBrowse, query: TextQuery) -> Folded:
    """``query`` answered as groups (the text embedded once per read)."""
    backend = queries.text_backend(query.backend)

    def run(n: int) -> list[Hit]:
        return queries.search_text(query.text, k=n, backend=backend, filters=query.filters)

    k = query.k or queries.settings.index.default_k
    return Folded(grouped(browse, run, k, query.collapse, frozenset(), query.not_under))
