"""The one filter value: which samples a listing, a count or a query's results keep, and in what order
a listing shows them. Plain data; each store translates it (SQLite: soundalike.engine.store.where).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from soundalike.engine.tags import TAG_CONFIDENCE

#: The fields that say how the others apply (not what they keep): left alone by ``is_empty``.
_HOW = ("tag_min_score", "guess_kind", "loop_min_seconds", "order")


@dataclass(frozen=True)
class Filters:
    """Every field left at its default keeps everything.

    ``words`` must each appear in the path below its root or in a tag scored at least ``tag_min_score``;
    ``tag`` likewise counts only when scored that high: by default only a sure tag counts
    (soundalike.engine.tags: an unsure one is shown "tom?" and filters nothing); 0 counts any score.
    ``kind`` is "loop" or "one-shot" as analysed (soundalike.engine.musical); samples analysed as unknown are
    neither. With ``guess_kind`` a sample not analysed yet counts by the old rule: a loop is a file whose path
    below its root says "loop" or that lasts at least ``loop_min_seconds``.
    ``bpm`` is a range (the tempo or its half/double matches), ``keys`` 24-key indexes, ``roots`` pitch
    classes 0-11. ``order`` is a listing's order (a key of soundalike.engine.store.where.ORDERS: "path",
    "added" newest first, "bpm", "key"); queries ignore it.
    """

    under: str | None = None  # this folder and everything below it
    not_under: str | None = None  # leave out this folder and everything below it
    path_contains: str | None = None  # case-insensitive substring of the path
    words: tuple[str, ...] = ()
    tag: str | None = None
    tag_min_score: float = TAG_CONFIDENCE
    status: str | None = None
    favourites_only: bool = False
    collection: str | None = None  # only the samples of this collection
    min_duration: float | None = None
    max_duration: float | None = None  # shorter than this (exclusive: adjacent ranges never overlap)
    kind: str | None = None
    guess_kind: bool = False
    loop_min_seconds: float = 2.5
    bpm: tuple[float, float] | None = None
    keys: tuple[int, ...] = ()
    roots: tuple[int, ...] = ()
    order: str = "path"

    def is_empty(self) -> bool:
        """Whether these filters keep every sample (how they would apply aside)."""
        return all(getattr(self, f.name) == f.default for f in dataclasses.fields(self) if f.name not in _HOW)
