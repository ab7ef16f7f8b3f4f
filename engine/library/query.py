"""The one value a library query is: what to sound like (or a description), and how to answer.

``library.similar(SimilarQuery(...))`` and ``library.search(TextQuery(...))`` take one each and
answer with folded groups; ``library.kit(KitQuery(...))`` answers with a kit (:class:`~soundalike.engine.library.collapse.Folded`), so no caller
folds, embeds or filters results itself.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from soundalike.engine.store.filters import Filters

#: What a similarity query can sound like: a file path, a library sample id, or audio (with its rate).
Sound = str | os.PathLike | int | np.ndarray


@dataclass(frozen=True)
class SimilarQuery:
    """The ``k`` sounds closest to ``to``.

    ``backend``/``weights``: which vectors and aspects compare (the default backend, all aspects);
    ``filters``: which samples may be results; ``sample_rate``: of ``to`` when it is audio;
    ``musical``: what fits the query musically first; ``collapse``: copies and velocity layers
    folded into one group each, the query's own copies and layers left out and reported (off:
    one group per hit, as the index ranks them); ``not_under``: a folder whose samples are not results.
    """

    to: Sound
    k: int | None = None
    backend: str | None = None
    weights: Mapping[str, float] | None = None
    filters: Filters | None = None
    sample_rate: int | None = None
    musical: bool = False
    collapse: bool = True
    not_under: str | None = None


@dataclass(frozen=True)
class KitQuery:
    """A drum kit around ``seed`` (its slot is filled by the seed itself when it is a library
    sample): ``alternatives`` per slot (None: the kit builder's default), ``weights`` (None: the
    backend's character aspects); the other fields as in :class:`SimilarQuery`."""

    seed: Sound
    backend: str | None = None
    alternatives: int | None = None
    weights: Mapping[str, float] | None = None
    filters: Filters | None = None
    sample_rate: int | None = None
    not_under: str | None = None


@dataclass(frozen=True)
class TextQuery:
    """The ``k`` sounds a description fits best (a backend that reads text: clap); the other
    fields as in :class:`SimilarQuery`."""

    text: str
    k: int | None = None
    backend: str | None = None
    filters: Filters | None = None
    collapse: bool = True
    not_under: str | None = None
