"""What the library view is filtered by, as one immutable value the keys step through."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from engine.browse import BrowseQuery
from engine.catalog import Filters
from engine.config import TuiSettings

#: name -> (label, min seconds, max seconds)
DURATIONS = {"any": ("", None, None), "short": ("< 0.5 s", None, 0.5), "medium": ("0.5–2 s", 0.5, 2.0),
             "long": ("> 2 s", 2.0, None)}
KINDS = ("any", "one-shot", "loop")
STATUSES = ("any", "ok", "failed", "missing", "offline")


def _next(options, current):
    options = list(options)
    return options[(options.index(current) + 1) % len(options)]


@dataclass(frozen=True)
class FilterState:
    folder: str | None = None
    text: str = ""
    tag: str | None = None
    duration: str = "any"
    kind: str = "any"
    favourites: bool = False
    status: str = "any"
    collection: str | None = None  # browse a collection like a folder
    recent: bool = False  # the recently added view: newest first

    def cycled(self, what: str) -> FilterState:
        """The next value of a cyclable filter: 'duration', 'kind', 'favourites' or 'status'."""
        if what == "duration":
            return dataclasses.replace(self, duration=_next(DURATIONS, self.duration))
        if what == "kind":
            return dataclasses.replace(self, kind=_next(KINDS, self.kind))
        if what == "favourites":
            return dataclasses.replace(self, favourites=not self.favourites)
        if what == "status":
            return dataclasses.replace(self, status=_next(STATUSES, self.status))
        raise ValueError(f"unknown filter {what!r}")

    def cleared(self) -> FilterState:
        """No filters; the place (folder, collection or recently added) stays."""
        return FilterState(folder=self.folder, collection=self.collection, recent=self.recent)

    def at(self, folder: str | None = None, collection: str | None = None, recent: bool = False) -> FilterState:
        """The same filters over another place (one of a folder, a collection, the recently added)."""
        return dataclasses.replace(self, folder=folder, collection=collection, recent=recent)

    def query(self, settings: TuiSettings) -> BrowseQuery:
        _, low, high = DURATIONS[self.duration]
        filters = Filters(under=self.folder, status=None if self.status == "any" else self.status,
                          favourites_only=self.favourites, min_duration=low, max_duration=high)
        return BrowseQuery(filters=filters, words=tuple(self.text.split()), tag=self.tag, kind=self.kind,
                           loop_min_seconds=settings.loop_min_seconds, tag_min_score=settings.tag_min_score,
                           collection=self.collection, order="added" if self.recent else "path")

    def describe(self) -> str:
        """A short line for the filter bar ("" when only the folder is chosen)."""
        parts = []
        if self.text:
            parts.append(f"“{self.text}”")
        if self.tag:
            parts.append(f"tag {self.tag}")
        if self.duration != "any":
            parts.append(DURATIONS[self.duration][0])
        if self.kind != "any":
            parts.append(f"{self.kind}s")
        if self.favourites:
            parts.append("★ only")
        if self.status != "any":
            parts.append(self.status)
        return " · ".join(parts)

    def folder_label(self) -> str:
        if self.collection:
            return f"collection {self.collection}"
        if self.recent:
            return "recently added (newest first)"
        return os.path.basename(self.folder.rstrip(os.sep)) if self.folder else "all samples"
