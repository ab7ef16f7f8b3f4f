"""The approximate index a large library searches: IVF lists with 8-bit codes and an HNSW coarse
quantiser, its candidates re-scored exactly against the exact index's vectors.

It is a second view of the exact index (:class:`soundalike.engine.store.index.VectorIndex`), built
beside it on a thread when the library grows past ``[index] approximate_above``, and kept in step
with it afterwards (IVF lists, unlike HNSW graphs, can remove ids). Until it is ready, and for any
query restricted to a set of ids (filters), the exact index answers. Its cost is recall: the share
of the exact top 10 it also finds (measured by ``bench/bench_1m.py``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

import faiss as faiss_module
import numpy as np

from soundalike.engine.config import IndexSettings

faiss: Any = faiss_module

log = logging.getLogger(__name__)

#: Lists searched for near-duplicates (copy candidates): a copy sits in its original's list or the next.
NEIGHBOUR_PROBE = 4
#: Training reads this many vectors per list (and at most TRAIN_MAX).
TRAIN_PER_LIST, TRAIN_MAX = 40, 200_000


def lists_for(settings: IndexSettings, count: int) -> int:
    """IVF lists for ``count`` vectors: ``approximate_lists``, or 4 x sqrt(count) (each trained on
    TRAIN_PER_LIST vectors at least)."""
    return settings.approximate_lists or max(16, min(int(4 * math.sqrt(count)), count // TRAIN_PER_LIST))


class Approximate:
    """IVF over unit vectors (inner product), ids as the exact index's; not thread-safe alone
    (the owning VectorIndex serialises calls under its lock)."""

    def __init__(self, dim: int, lists: int, probe: int):
        quantiser = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        self._index = faiss.IndexIVFScalarQuantizer(
            quantiser, dim, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        self._quantiser = quantiser  # FAISS does not own it from Python: keep it alive
        self._owner: Any = None
        self.set_probe(probe)

    @classmethod
    def adopt(cls, index, probe: int) -> Approximate:
        """One read back from a saved file (``faiss.read_index``: it owns its quantiser)."""
        self = cls.__new__(cls)
        self._owner = index  # owns the C++ index: the downcast view below does not
        self._index = faiss.downcast_index(index)
        if not isinstance(self._index, faiss.IndexIVFScalarQuantizer):
            raise TypeError(f"{type(self._index).__name__}, not IVF lists with 8-bit codes")
        self._quantiser = faiss.downcast_index(self._index.quantizer)
        self.set_probe(probe)
        return self

    def set_probe(self, probe: int) -> None:
        """Search ``probe`` lists per query (the quantiser searched wide enough to find them)."""
        self._quantiser.hnsw.efSearch = max(64, 2 * probe)  # the lists to probe must come from a wide enough search
        lists = int(self._index.nlist)
        self._params = faiss.SearchParametersIVF()
        self._params.nprobe = min(probe, lists)
        self._near = faiss.SearchParametersIVF()
        self._near.nprobe = min(NEIGHBOUR_PROBE, lists)
        self.lists = lists

    @property
    def index(self):
        """The FAISS index (to save it)."""
        return self._index

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def train(self, sample: np.ndarray) -> None:
        self._index.train(np.ascontiguousarray(sample, dtype=np.float32))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.ascontiguousarray(ids, np.int64))

    def remove(self, ids) -> None:
        self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))

    def candidates(self, query: np.ndarray, count: int) -> np.ndarray:
        """Ids of about the ``count`` best matches (unordered beyond that; -1s dropped)."""
        _, found = self._index.search(query.reshape(1, -1), count, params=self._params)
        return found[0][found[0] >= 0]

    def near_duplicates(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(approximate scores, ids) of each query's nearest, from the few lists near it: enough
        for vectors almost the same as the query, not for ranking results."""
        return self._index.search(queries, k, params=self._near)

    def __len__(self) -> int:
        return int(self._index.ntotal)


def train_sample(ids: np.ndarray, lists: int, seed: int = 0) -> np.ndarray:
    """Which ids train the lists: a random sample of TRAIN_PER_LIST per list (all when fewer)."""
    want = min(len(ids), lists * TRAIN_PER_LIST, TRAIN_MAX)
    return np.sort(np.random.default_rng(seed).choice(ids, size=want, replace=False))
