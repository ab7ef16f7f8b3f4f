"""What the library view is filtered by, as one immutable value the keys step through."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from soundalike.engine.config import TuiSettings
from soundalike.engine.library.browse import Filters
from soundalike.engine.musical.analysis import Musical
from soundalike.engine.musical.filters import TEMPO_TOLERANCE, describe
from soundalike.engine.musical.keys import NOTE_NAMES, compatible_keys

#: name -> (label, min seconds, max seconds)
DURATIONS = {
    "any": ("", None, None),
    "short": ("< 0.5 s", None, 0.5),
    "medium": ("0.5–2 s", 0.5, 2.0),
    "long": ("> 2 s", 2.0, None),
}
KINDS = ("any", "one-shot", "loop")
STATUSES = ("any", "ok", "failed", "missing", "offline")
SORTS = ("name", "bpm", "key")


@dataclass(frozen=True)
class MusicalMatch:
    """What "fits" a chosen sample: its tempo range and compatible keys (a loop), its root (a one-shot)."""

    label: str
    bpm: tuple[float, float] | None
    keys: tuple[int, ...]
    roots: tuple[int, ...]


def musical_match(facts: Musical | None) -> MusicalMatch | None:
    """The match for a sample's facts; None when it has no tempo, key or root to match."""
    if facts is None:
        return None
    if facts.kind == "loop" and (facts.bpm or facts.key is not None):
        bpm = (
            (round(facts.bpm * (1 - TEMPO_TOLERANCE), 2), round(facts.bpm * (1 + TEMPO_TOLERANCE), 2))
            if facts.bpm
            else None
        )
        keys = compatible_keys(facts.key) if facts.key is not None else ()
        return MusicalMatch(describe(facts).removeprefix("loop "), bpm, keys, ())
    if facts.root is not None:
        return MusicalMatch(f"root {NOTE_NAMES[facts.root % 12]}", None, (), (facts.root % 12,))
    return None


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
    sort: str = "name"  # name, bpm or key
    fits: MusicalMatch | None = None  # only samples that fit a chosen one musically

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
        if what == "sort":
            return dataclasses.replace(self, sort=_next(SORTS, self.sort))
        raise ValueError(f"unknown filter {what!r}")

    def cleared(self) -> FilterState:
        """No filters; the place (folder, collection or recently added) and the sort stay."""
        return FilterState(folder=self.folder, collection=self.collection, recent=self.recent, sort=self.sort)

    def at(self, folder: str | None = None, collection: str | None = None, recent: bool = False) -> FilterState:
        """The same filters over another place (one of a folder, a collection, the recently added)."""
        return dataclasses.replace(self, folder=folder, collection=collection, recent=recent)

    def query(self, settings: TuiSettings) -> Filters:
        _, low, high = DURATIONS[self.duration]
        fits = self.fits or MusicalMatch("", None, (), ())
        return Filters(
            under=self.folder,
            status=None if self.status == "any" else self.status,
            favourites_only=self.favourites,
            min_duration=low,
            max_duration=high,
            bpm=fits.bpm,
            keys=fits.keys,
            roots=fits.roots,
            words=tuple(self.text.split()),
            tag=self.tag,
            tag_min_score=settings.tag_min_score,
            kind=None if self.kind == "any" else self.kind,
            guess_kind=True,
            loop_min_seconds=settings.loop_min_seconds,
            collection=self.collection,
            order=self.order(),
        )

    def order(self) -> str:
        """The listing order: newest first in the recently added view, else the chosen sort."""
        return "added" if self.recent else {"name": "path"}.get(self.sort, self.sort)

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
        if self.fits:
            parts.append(f"fits {self.fits.label}")
        if self.sort != "name":
            parts.append(f"by {self.sort.upper() if self.sort == 'bpm' else self.sort}")
        return " · ".join(parts)

    def folder_label(self) -> str:
        if self.collection:
            return f"collection {self.collection}"
        if self.recent:
            return "recently added (newest first)"
        return os.path.basename(self.folder.rstrip(os.sep)) if self.folder else "all samples"
