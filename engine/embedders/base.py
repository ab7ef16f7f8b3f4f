"""The one interface every embedding backend implements.

A backend turns mono float32 audio at its own sample rate into unit-norm vectors. Vectors may be
split into named *aspects* (for example timbre, envelope, pitch): each aspect is a slice of the
vector that is unit-norm on its own, scaled by ``1/sqrt(len(aspects))`` so the whole vector is
unit-norm. Weighting aspects per query is then a matter of scaling the query's slices, and an
exact inner-product index answers weighted queries with no extra work.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from soundalike.engine.errors import QueryError

Tags = dict[str, float]


@dataclass(frozen=True)
class BackendInfo:
    """What `soundalike models` shows about a backend."""

    good_for: str
    licence: str
    size: str = "built in"
    needs: str = ""  # install hint when unusable, empty when always usable


@dataclass
class Analysis:
    """Vectors for a batch, and per-item tags when the backend can name what it hears."""

    vectors: np.ndarray  # (N, dim) float32, unit-norm rows
    tags: list[Tags] | None = None


class Embedder(ABC):
    """A named embedding backend.

    Subclasses set ``name``, ``sample_rate`` and ``info`` as class attributes and ``dim`` (and
    optionally ``aspects``) on the instance, then implement :meth:`embed`.
    """

    name: ClassVar[str]
    sample_rate: ClassVar[int]
    info: ClassVar[BackendInfo]
    dim: int
    #: aspect name -> slice of the vector; empty for backends with one undivided vector.
    aspects: Mapping[str, slice] = {}
    #: weights used when a query names no aspect weighting.
    default_weights: Mapping[str, float] = {}
    #: longest audio, in seconds, that the backend looks at; longer input is cropped or pooled.
    window_seconds: float = 10.0
    #: when set, the backend never looks past this many seconds of its input (it crops, not
    #: pools), so indexing resamples no more than that; None: it reads the whole clip.
    reads_seconds: float | None = None
    batch_size: int = 32
    #: the backend may run in a forked worker process (numpy-only state, no threads or devices of
    #: its own); indexing then uses processes instead of threads (engine/pipeline/workers.py).
    process_safe: ClassVar[bool] = False

    @abstractmethod
    def embed(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        """Return an (N, dim) float32 array of unit-norm rows for N mono clips at sample_rate."""

    def analyse(self, batch: Sequence[np.ndarray]) -> Analysis:
        """Vectors plus tags; backends that can tag override this to share the work."""
        return Analysis(vectors=self.embed(batch))

    def query_vector(self, vector: np.ndarray, weights: Mapping[str, float] | None = None) -> np.ndarray:
        """Scale a stored vector's aspect slices by ``weights`` (default weights when None)."""
        weights = dict(self.default_weights if weights is None else weights)
        if not self.aspects or not weights:
            return np.asarray(vector, dtype=np.float32)
        unknown = set(weights) - set(self.aspects)
        if unknown:
            raise QueryError(f"unknown aspect(s) {sorted(unknown)}; {self.name} has {sorted(self.aspects)}")
        if any(w < 0 for w in weights.values()) or not any(w > 0 for w in weights.values()):
            raise QueryError("aspect weights must be zero or more, and at least one above zero")
        query = np.zeros_like(vector, dtype=np.float32)
        for aspect, part in self.aspects.items():
            query[..., part] = vector[..., part] * float(weights.get(aspect, 0.0))
        norm = np.linalg.norm(query, axis=-1, keepdims=True)
        return (query / np.maximum(norm, 1e-12)).astype(np.float32)

    def score_scale(self, weights: Mapping[str, float] | None = None) -> float:
        """What ``query_vector(v, weights) @ v`` comes to for any stored ``v``: dividing scores by
        it gives the weighted mean of per-aspect cosines, 1.0 for an identical sound."""
        weights = dict(self.default_weights if weights is None else weights)
        if not self.aspects or not weights:
            return 1.0
        used = [max(float(weights.get(a, 0.0)), 0.0) for a in self.aspects]
        norm = float(np.sqrt(sum(w * w for w in used)))
        return sum(used) / (np.sqrt(len(self.aspects)) * norm) if norm > 0 else 1.0

    def ranking_vectors(self, vectors: np.ndarray, weights: Mapping[str, float] | None = None) -> np.ndarray:
        """Stored vectors re-weighted so that plain cosine between two of them ranks neighbours
        exactly as ``similar`` does with ``weights`` (default weights when None).

        ``similar`` scores a candidate by the weighted sum of per-aspect cosines; scaling each
        aspect by the square root of its weight gives that sum as a cosine. This is what
        ``soundalike embed`` writes, so outside tools measure what the library answers.
        """
        weights = dict(self.default_weights if weights is None else weights)
        vectors = np.asarray(vectors, dtype=np.float32)
        if not self.aspects or not weights:
            return vectors
        scaled = np.zeros_like(vectors)
        for aspect, part in self.aspects.items():
            scaled[..., part] = vectors[..., part] * np.sqrt(max(float(weights.get(aspect, 0.0)), 0.0))
        return unit_rows(scaled)

    def signature(self) -> str:
        """Identity of the vectors this backend makes; stored vectors with another are re-made."""
        return f"{self.name}/{self.dim}"

    def prepare_for_fork(self) -> None:  # noqa: B027 - an optional hook: most backends need nothing
        """Import and cache, in this process, what embedding needs, so forked workers inherit it
        instead of each doing it again; the default needs nothing."""

    def close(self) -> None:  # noqa: B027 - an optional hook: most backends hold nothing to release
        """Release models or threads; the default holds nothing."""


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """L2-normalise rows, leaving all-zero rows at zero."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
