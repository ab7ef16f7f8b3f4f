"""What the results view asks the engine: a similar or text query with its filters, scope,
aspect, size and folding, as one immutable value that the view's keys step through."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from soundalike.engine.config import TuiSettings
from soundalike.engine.library.browse import Filters, SampleRow
from soundalike.engine.library.collapse import Folded
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery, TextQuery
from soundalike.tui.filters import FilterState

#: Where results may come from, relative to the query sample (the first folder below its root is its pack).
SCOPES = ("everywhere", "other packs", "other folders", "same pack")
#: One more scope when a folder was chosen in the library's tree: only samples under it.
BROWSED = "browsed folder"
OVERALL = "overall"


def pack_of(sample: SampleRow) -> str:
    """The first folder below the sample's root (the pack or kit it came in), or its folder."""
    relative = os.path.relpath(sample.path, sample.root)
    first = relative.split(os.sep)[0]
    return os.path.join(sample.root, first) if os.sep in relative else os.path.dirname(sample.path)


@dataclass(frozen=True)
class ResultsQuery:
    title: str  # "similar to kick.wav", "“dusty snare”"
    sample: SampleRow | None = None  # similar to this one; None: a text query
    text: str = ""
    filters: FilterState = FilterState()
    scope: str = "everywhere"
    aspect: str = OVERALL
    k: int = 20
    collapse: bool = True
    browsed: str | None = None  # the folder chosen in the library when the query was asked

    def cycled(self, what: str, aspects: tuple[str, ...] = ()) -> ResultsQuery:
        """The next scope ("scope"), aspect ("aspect": overall, then ``aspects``) or folding ("collapse")."""
        if what == "scope":
            options: tuple[str, ...] = SCOPES if self.sample is not None else SCOPES[:1]
            options += (BROWSED,) if self.browsed else ()
            return dataclasses.replace(self, scope=options[(options.index(self.scope) + 1) % len(options)])
        if what == "aspect":
            options = (OVERALL, *(a for a in aspects if a != OVERALL))  # builtin names its default part "overall"
            current = options.index(self.aspect) if self.aspect in options else 0
            return dataclasses.replace(self, aspect=options[(current + 1) % len(options)])
        if what == "collapse":
            return dataclasses.replace(self, collapse=not self.collapse)
        return dataclasses.replace(self, filters=self.filters.cycled(what))

    def browse_query(self, settings: TuiSettings) -> Filters:
        query = self.filters.query(settings)
        if self.scope == BROWSED and self.browsed:
            return dataclasses.replace(query, under=self.browsed)
        if self.sample is None or self.scope == "everywhere":
            return query
        if self.scope == "same pack":
            return dataclasses.replace(query, under=pack_of(self.sample))
        folder = pack_of(self.sample) if self.scope == "other packs" else os.path.dirname(self.sample.path)
        return dataclasses.replace(query, not_under=folder)

    def describe(self) -> str:
        """The title line's list of what steers these results ("" when nothing does)."""
        parts = [self.filters.describe()]
        if self.scope == BROWSED:
            parts.append(f"in {os.path.basename((self.browsed or '').rstrip(os.sep))}")
        elif self.scope != "everywhere":
            parts.append(self.scope)
        if self.aspect != OVERALL:
            parts.append(f"by {self.aspect}")
        if not self.collapse:
            parts.append("copies shown")
        return " · ".join(p for p in parts if p)


def aspects_of(library: Library) -> tuple[str, ...]:
    """The default backend's aspects (timbre, envelope, pitch, ...; none for a backend without)."""
    embedder = library.embedder(library.settings.engine.default_backend)
    return tuple(getattr(embedder, "aspects", {}) or ())


def run(library: Library, query: ResultsQuery, settings: TuiSettings) -> Folded:
    """The results, as collapsed groups (one per hit when folding is off), and the query's own
    copies and layers (not results). Runs on a worker thread."""
    where = query.browse_query(settings)
    filters = None if where.is_empty() else where
    if (sample := query.sample) is not None:
        weights = None if query.aspect == OVERALL else {query.aspect: 1.0}
        return library.similar(
            SimilarQuery(sample.id, k=query.k, weights=weights, filters=filters, collapse=query.collapse)
        )
    return library.search(TextQuery(query.text, k=query.k, filters=filters, collapse=query.collapse))
