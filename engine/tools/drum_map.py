"""A 2D map of the library where similar sounds sit together, stable across sessions and new files.

The projection is linear and fitted once: the first two principal axes of the backend's
``overall`` aspect where it has one (the built-in's class block: kicks, snares, hats and cymbals
form regions; on the labelled dev drums 80% of each sound's 10 nearest map neighbours share its
class, against 75% for the full ranking vectors and 52% for the raw vectors), else of its
ranking vectors (the geometry ``similar`` uses), fitted on up to ``FIT_SAMPLE`` vectors and stored in
``<data dir>/map/<backend>.npz`` with the backend signature. Every later sample is projected with
the stored axes, so a new file lands where it belongs and nothing already there moves. The map is
refitted only when the backend's vectors change meaning (a new signature), when asked, or while it
was fitted on fewer than ``SETTLED`` samples and the library has since doubled (a map fitted on a
first folder of 20 sounds should not define a library of 100k).

Why not UMAP or t-SNE: they need a heavy stack (numba, llvmlite) for the core install, and they
place new points by refitting or approximating, which reshuffles a live library. PCA is numpy,
fits 20k vectors in well under a second and projects 100k in milliseconds.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from soundalike.engine.tags import UNSURE_MARK

log = logging.getLogger(__name__)

FIT_SAMPLE = 20_000
#: The most samples one map places: past this, a sample of them chosen by id (the same ones each time,
#: so a growing library's map does not flicker). A terminal map has a few thousand cells; placing a
#: million points (reading every vector and every sample's tag) took half a minute.
MAX_POINTS = 50_000
MARGIN = 0.05  # of the span, around the 1st..99th percentile box
OTHER = "other"
MAP_ASPECT = "overall"
SETTLED = 500  # fitted on this many samples, the map stays put (before that, a doubling refits it)


@dataclass(frozen=True)
class Projection:
    signature: str
    mean: np.ndarray  # (d,)
    axes: np.ndarray  # (d, 2)
    bounds: tuple[float, float, float, float]  # x0, x1, y0, y1 of the fitted cloud
    fitted_on: int

    def project(self, vectors: np.ndarray) -> np.ndarray:
        """(n, 2) float32 positions, the fitted cloud inside 0..1 (new outliers may fall outside)."""
        xy = np.asarray(vectors, np.float32) @ self.axes - self.mean @ self.axes  # no centred copy of them all
        x0, x1, y0, y1 = self.bounds
        return ((xy - [x0, y0]) / [max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)]).astype(np.float32)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            signature=np.array(self.signature),
            mean=self.mean,
            axes=self.axes,
            bounds=np.array(self.bounds),
            fitted_on=np.array(self.fitted_on),
        )
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Projection | None:
        try:
            with np.load(path, allow_pickle=False) as data:
                x0, x1, y0, y1 = (float(v) for v in data["bounds"])
                return cls(str(data["signature"]), data["mean"], data["axes"], (x0, x1, y0, y1), int(data["fitted_on"]))
        except (OSError, KeyError, ValueError) as e:
            if path.exists():
                log.warning("map projection %s is unreadable (%s): refitting", path, e)
            return None


def sample_ids(ids: np.ndarray, count: int) -> np.ndarray:
    """About ``count`` of ``ids``, chosen by a hash of each id: the same id is chosen again as the
    library grows by a little, so a map read again keeps its points."""
    ids = np.asarray(ids, np.int64)
    if len(ids) <= count:
        return ids
    hashed = (ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(40)  # 24 well-mixed bits
    return ids[hashed < np.uint64(int(count / len(ids) * (1 << 24)))]


def fit(vectors: np.ndarray, signature: str, seed: int = 0) -> Projection:
    """PCA to two axes on (a seeded sample of) ``vectors``; signs fixed so refits agree in orientation."""
    vectors = np.asarray(vectors, np.float32)
    if len(vectors) > FIT_SAMPLE:
        vectors = vectors[np.random.default_rng(seed).choice(len(vectors), FIT_SAMPLE, replace=False)]
    mean = vectors.mean(axis=0)
    centred = vectors - mean
    if len(vectors) >= 2:
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        axes = vt[:2].T.copy()
    else:
        axes = np.zeros((vectors.shape[1], 2), np.float32)
    if axes.shape[1] < 2:
        axes = np.pad(axes, ((0, 0), (0, 2 - axes.shape[1])))
    axes *= np.where(axes.sum(axis=0) < 0, -1.0, 1.0)  # a deterministic sign per axis
    xy = centred @ axes
    low, high = np.percentile(xy, [1, 99], axis=0) if len(xy) else (np.zeros(2), np.ones(2))
    span = np.maximum(high - low, 1e-6)
    low, high = low - MARGIN * span, high + MARGIN * span
    return Projection(
        signature,
        mean,
        axes.astype(np.float32),
        (float(low[0]), float(high[0]), float(low[1]), float(high[1])),
        len(vectors),
    )


@dataclass
class MapPoints:
    """The samples on the map: ids, positions and each one's kind (index into ``kinds``)."""

    ids: np.ndarray  # (n,) int64
    xy: np.ndarray  # (n, 2) float32
    kind: np.ndarray  # (n,) int16
    kinds: tuple[str, ...]
    total: int = -1  # how many samples these were chosen from (-1: all of them are here)

    @property
    def of(self) -> int:
        """How many samples the map stands for (more than it places past its limit)."""
        return max(self.total, len(self))

    def __len__(self) -> int:
        return int(self.ids.size)

    def nearest(self, x: float, y: float, within: tuple[float, float, float, float] | None = None) -> int | None:
        """Index of the point nearest (x, y), only among those inside ``within`` when given."""
        if not len(self):
            return None
        dist = (self.xy[:, 0] - x) ** 2 + (self.xy[:, 1] - y) ** 2
        if within is not None:
            x0, x1, y0, y1 = within
            outside = (self.xy[:, 0] < x0) | (self.xy[:, 0] > x1) | (self.xy[:, 1] < y0) | (self.xy[:, 1] > y1)
            dist = np.where(outside, np.inf, dist)
        best = int(np.argmin(dist))
        return best if np.isfinite(dist[best]) else None


class DrumMap:
    """Loads (or fits once and stores) the projection of a backend and places samples with it."""

    def __init__(self, library, backend: str | None = None):
        self.library = library
        self.backend = backend or library.settings.engine.default_backend
        self.embedder = library.embedder(self.backend)
        self.path = library.data_dir / "map" / f"{self.backend}.npz"
        self.projection: Projection | None = None

    def space(self, vectors: np.ndarray) -> np.ndarray:
        """What the map lays out: the ``overall`` (kind) block when the backend has one."""
        part = self.embedder.aspects.get(MAP_ASPECT)
        return vectors[:, part] if part is not None else self.embedder.ranking_vectors(vectors)

    def ensure_projection(self, refit: bool = False) -> Projection:
        signature = f"{self.embedder.signature()}/{MAP_ASPECT if MAP_ASPECT in self.embedder.aspects else 'ranking'}"
        if self.projection is None and not refit:
            stored = Projection.load(self.path)
            self.projection = stored if stored is not None and stored.signature == signature else None
            if self.projection is not None and self._outgrown(self.projection):
                self.projection = None
        if self.projection is None or refit:
            index = self.library.index(self.backend)
            ids = index.ids()
            _, vectors = index.vectors_of(sample_ids(ids, FIT_SAMPLE) if len(ids) > FIT_SAMPLE else ids)
            self.projection = fit(self.space(vectors), signature)
            try:
                self.projection.save(self.path)
            except OSError as e:  # a read-only library still gets a map, refitted each time
                log.warning("cannot store the map projection in %s: %s", self.path, e)
        return self.projection

    def _outgrown(self, projection: Projection) -> bool:
        """A projection fitted on a handful of samples is refitted once the library doubles, until
        it has been fitted on SETTLED samples; from then on it never moves by itself."""
        return projection.fitted_on < SETTLED and len(self.library.index(self.backend)) >= 2 * max(
            projection.fitted_on, 1
        )

    def points(self, ids: np.ndarray | None = None, limit: int | None = MAX_POINTS) -> MapPoints:
        """Every indexed sample (or only ``ids``) placed on the map, with its best tag as its kind;
        past ``limit`` (None: no limit), a sample of them (:func:`sample_ids`)."""
        projection = self.ensure_projection()
        index = self.library.index(self.backend)
        wanted = index.ids() if ids is None else np.intersect1d(index.ids(), np.asarray(ids, np.int64))
        total = len(wanted)
        if limit is not None and total > limit:
            wanted = sample_ids(wanted, limit)
        found, vectors = index.vectors_of(np.sort(wanted))
        xy = projection.project(self.space(vectors)) if len(found) else np.zeros((0, 2), np.float32)
        kinds, kind = kinds_of(self._best_tags(found), found)
        return MapPoints(found, xy, kind, kinds, total)

    def _best_tags(self, ids: np.ndarray) -> dict[int, str]:
        """Each of ``ids``' best tag when it is sure (read for those ids only, not the whole library)."""
        threshold = self.library.settings.engine.tag_confidence
        tags = self.library.browse.top_tags(ids.tolist(), threshold, per_sample=1)
        return {sid: best[0] for sid, best in tags.items() if best and not best[0].endswith(UNSURE_MARK)}


def kinds_of(best: Mapping[int, str], ids: np.ndarray) -> tuple[tuple[str, ...], np.ndarray]:
    """(kind names, per-id kind index): each sample's best tag (``best``: id -> tag), or "other"."""
    names = tuple(sorted({*best.values(), OTHER}))
    index = {name: i for i, name in enumerate(names)}
    other = index[OTHER]
    return names, np.array([index.get(best.get(int(i), OTHER), other) for i in ids], dtype=np.int16)
