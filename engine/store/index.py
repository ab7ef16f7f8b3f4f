"""One exact FAISS index per backend: inner product over unit vectors, keyed by sample id.

Past ``[index] approximate_above`` vectors an approximate index (:mod:`soundalike.engine.store.approximate`)
is built beside it on a thread, without blocking queries or writes, and answers unfiltered
searches once ready; the exact index stays the source of vectors and ids. The approximate index
is saved beside the exact one (``<backend>.approximate.faiss``) and searched again on the next
open when its bytes match their checksum and it was saved with the exact index opened; else it is
built again in the background, exact search answering meanwhile.

The index is a cache of the catalog's vectors, saved atomically (write, then rename) with a
checksum of its bytes kept beside it; opening it checks both and rebuilds it from the stored vectors
on any disagreement (:mod:`soundalike.engine.store.index_open`). It is opened memory-mapped and
copied into memory before its first change (:mod:`soundalike.engine.store.index_files`).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import faiss as faiss_module
import numpy as np

from soundalike.engine.config import IndexSettings
from soundalike.engine.store import index_files, index_open
from soundalike.engine.store.approximate import Approximate, lists_for, train_sample

# faiss's bundled type stubs describe the C++ signatures, not the numpy wrappers the module exposes.
faiss: Any = faiss_module

log = logging.getLogger(__name__)

#: Past this many vectors (or ``approximate_above`` when lower) the approximate index is built for
#: :meth:`VectorIndex.neighbours` (copy candidates at index time: near-duplicates, which it finds
#: as well as exact search does, at a fraction of the cost); queries use it past ``approximate_above``.
NEIGHBOURS_APPROXIMATE_ABOVE = 20_000
#: It is built again, with lists for the new size, each time the library grows this many times.
REBUILD_GROWTH = 4
#: Changes made while it was built are replayed outside the lock until at most this many are left.
REPLAY_LOCKED = 5_000


class VectorIndex:
    def __init__(self, dim: int, path: Path | None = None, threads: int = 1, approximate: IndexSettings | None = None):
        self.dim = dim
        self.path = path
        self.threads = threads
        self.approximate = approximate
        self._approx: Approximate | None = None  # searched once built
        self._approx_size = 0  # vectors it was built from
        self._changes: list[tuple[str, np.ndarray]] | None = None  # while one is built: changes to replay
        self._builder: threading.Thread | None = None
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self._members: set[int] = set()  # ids held: FAISS's remove_ids scans everything, so only call it when needed
        self._lock = threading.Lock()
        self._dirty = False
        self._mapped = False  # the vectors are the saved file's, memory-mapped: copied before a change
        self._approx_dirty = False
        self.checksum: str | None = None  # of the bytes last saved or loaded
        self.approximate_checksum: str | None = None  # of the approximate index's, likewise
        self.loaded_from: str | None = None  # the checksum the saved file was opened against (None: rebuilt)

    @classmethod
    def open(
        cls,
        path: Path,
        dim: int,
        expected_ids: np.ndarray,
        vectors_loader,
        threads: int = 1,
        checksum: str | None = None,
        approximate: IndexSettings | None = None,
        approximate_checksum: str | None = None,
    ) -> VectorIndex:
        """The saved index, checked, or else rebuilt via ``vectors_loader()``
        (:func:`soundalike.engine.store.index_open.open_checked`)."""
        index = cls(dim, path, threads, approximate)
        index_open.open_checked(index, expected_ids, vectors_loader, checksum, approximate_checksum)
        return index

    @classmethod
    def open_unchecked(
        cls, path: Path, dim: int, checksum: str, threads: int = 1, approximate: IndexSettings | None = None
    ) -> VectorIndex | None:
        """The saved index taken on trust, or None (:func:`soundalike.engine.store.index_open.open_unchecked`)."""
        index = cls(dim, path, threads, approximate)
        return index if index_open.open_unchecked(index, checksum) else None

    @classmethod
    def load(
        cls,
        path: Path,
        dim: int,
        threads: int = 1,
        checksum: str | None = None,
        approximate: IndexSettings | None = None,
    ) -> VectorIndex | None:
        """The saved index as it is, or None (:func:`soundalike.engine.store.index_open.load`)."""
        index = cls(dim, path, threads, approximate)
        return index if index_open.load(index, checksum) else None

    def adopt(self, loaded, checksum: str | None, loaded_from: str | None = None) -> None:
        """Take ``loaded``, a saved index read memory-mapped, as its vectors (when it is opened)."""
        self._index, self._mapped = loaded, True
        self._members = set(index_files.ids_of(loaded).tolist())
        self.checksum, self.loaded_from = checksum, loaded_from

    def adopt_approximate(self, approx: Approximate, checksum: str | None) -> None:
        """Search ``approx``, the saved approximate index read back, from now on."""
        self._approx, self._approx_size, self.approximate_checksum = approx, len(approx), checksum

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def ids(self) -> np.ndarray:
        with self._lock:
            return index_files.ids_of(self._index)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add or replace vectors by id (FAISS accepts duplicate ids, so replace = remove + add)."""
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), self.dim)
        with self._lock:
            self._own()
            present = [i for i in ids.tolist() if i in self._members]
            if present:
                self._index.remove_ids(np.array(present, dtype=np.int64))
            self._index.add_with_ids(vectors, ids)
            self._members.update(ids.tolist())
            self._dirty = True
            if self._approx is not None:
                if present:
                    self._approx.remove(present)
                self._approx.add(ids, vectors)
                self._approx_dirty = True
            if self._changes is not None:
                self._changes.append(("add", ids.copy()))
        self._maybe_approximate()

    def remove(self, ids) -> int:
        with self._lock:
            present = [int(i) for i in ids if int(i) in self._members]
            if not present:
                return 0
            self._own()
            removed = int(self._index.remove_ids(np.array(present, dtype=np.int64)))
            self._members.difference_update(present)
            self._dirty = self._dirty or removed > 0
            if self._approx is not None:
                self._approx.remove(present)
                self._approx_dirty = True
            if self._changes is not None:
                self._changes.append(("remove", np.array(present, dtype=np.int64)))
            return removed

    def _own(self) -> None:
        """Before the first change (the lock held): a private copy of the memory-mapped vectors."""
        if self._mapped:
            self._index, self._mapped = index_files.owned(self._index, self.path), False

    def reconstruct(self, sample_id: int) -> np.ndarray | None:
        with self._lock:
            try:
                return self._index.reconstruct(int(sample_id))
            except RuntimeError:
                return None

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of everything held, in storage order (one copy, no per-id lookups)."""
        with self._lock:
            n = int(self._index.ntotal)
            ids = index_files.ids_of(self._index)
            vectors = (
                faiss.downcast_index(self._index.index).reconstruct_n(0, n)
                if n
                else np.zeros((0, self.dim), np.float32)
            )
        return ids, vectors

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None, exclude: int | None = None
    ) -> list[tuple[int, float]]:
        """Best ``k`` (id, score) pairs for one query, optionally only among ``allowed`` ids."""
        query = np.ascontiguousarray(query, dtype=np.float32).reshape(1, self.dim)
        want = k + (1 if exclude is not None else 0)
        settings = self.approximate
        if (
            allowed is None
            and settings is not None
            and settings.approximate_above
            and len(self) > settings.approximate_above
        ):
            if self._approx is not None:
                return self._search_approximate(query, k, want, exclude)
            self._maybe_approximate()  # the first query past the size starts it; exact until it is ready
        params = None
        if allowed is not None:
            if not len(allowed):
                return []
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(np.ascontiguousarray(allowed, np.int64)))
        _use_threads(self.threads)
        with self._lock:
            want = min(want, int(self._index.ntotal))
            if want <= 0:
                return []
            scores, ids = self._index.search(query, want, params=params)
        hits = [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0 and i != exclude]
        return hits[:k]

    def _search_approximate(self, query: np.ndarray, k: int, want: int, exclude: int | None) -> list[tuple[int, float]]:
        """The approximate index's candidates, re-scored exactly with the stored vectors."""
        assert self.approximate is not None
        _use_threads(self.threads)
        with self._lock:
            approx = self._approx
            if approx is None:
                return []
            found = approx.candidates(query, max(want * self.approximate.approximate_rerank, want + 10))
            vectors = self._index.reconstruct_batch(found) if len(found) else np.zeros((0, self.dim), np.float32)
        scores = vectors @ query[0]
        order = np.argsort(-scores, kind="stable")
        hits = [(int(found[i]), float(scores[i])) for i in order if int(found[i]) != exclude]
        return hits[:k]

    # --- the approximate index -------------------------------------------------------------
    @property
    def approximate_ready(self) -> bool:
        return self._approx is not None

    def wait_approximate(self, timeout: float | None = None) -> bool:
        """Wait for an approximate index being built; True when one is searched now."""
        builder = self._builder
        if builder is not None:
            builder.join(timeout)
        return self._approx is not None

    def neighbours(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Like :meth:`search_many`, from the approximate index when there is one (scores then
        approximate, within about 0.01): for finding near-duplicates, not for ranking results."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        self._maybe_approximate(for_neighbours=True)
        _use_threads(self.threads)
        with self._lock:
            if self._approx is not None:
                return self._approx.near_duplicates(queries, k)
            return self._index.search(queries, k)

    def _maybe_approximate(self, for_neighbours: bool = False) -> None:
        """Start building the approximate index when this many vectors call for one: past
        ``approximate_above`` for queries (checked on adds and on the first query, never on open:
        an ``index`` run or a one-off query does not start one), past
        NEIGHBOURS_APPROXIMATE_ABOVE for copy candidates (checked when they are asked for, so a
        read-only query never starts one); again each time the index grows REBUILD_GROWTH times."""
        settings = self.approximate
        if settings is None or not settings.approximate_above or not settings.build_approximate:
            return
        size = len(self)
        need = (
            min(settings.approximate_above, NEIGHBOURS_APPROXIMATE_ABOVE)
            if for_neighbours
            else settings.approximate_above
        )
        if size <= need:
            return
        with self._lock:
            if self._builder is not None or (self._approx is not None and size <= REBUILD_GROWTH * self._approx_size):
                return
            self._builder = threading.Thread(target=self._build_approximate, name="approximate-index", daemon=True)
            self._builder.start()

    def _build_approximate(self) -> None:
        """Train and fill an approximate index from the exact one, a chunk under the lock at a time;
        changes made meanwhile are replayed before it is searched."""
        assert self.approximate is not None
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        try:
            with self._lock:
                ids = index_files.ids_of(self._index)
                self._changes = []
            approx = Approximate(self.dim, lists_for(self.approximate, len(ids)), self.approximate.approximate_probe)
            approx.train(self._vectors_of(train_sample(ids, approx.lists)))
            for chunk, vectors in self._chunks(ids):
                approx.add(chunk, vectors)
            while True:  # changes made meanwhile: replayed a batch at a time, the last few under the lock
                with self._lock:
                    changes, self._changes = self._changes or [], []
                    if sum(len(changed) for _, changed in changes) <= REPLAY_LOCKED:
                        self._replay(approx, changes, locked=True)
                        self._approx, self._changes, self._approx_size = approx, None, len(self)
                        self._approx_dirty = True
                        break
                self._replay(approx, changes)
            log.info("approximate index ready: %d vectors in %d lists", len(approx), approx.lists)
        except Exception:
            log.exception("could not build the approximate index: exact search goes on")
            with self._lock:
                self._changes = None
        finally:
            with self._lock:
                self._builder = None

    def _replay(self, approx: Approximate, changes: list[tuple[str, np.ndarray]], locked: bool = False) -> None:
        """Apply ``changes`` to ``approx`` in order; ``locked``: the caller holds the lock."""
        for what, changed in changes:
            approx.remove(changed)
            if what != "add":
                continue
            if locked:
                present = np.array([i for i in changed.tolist() if i in self._members], dtype=np.int64)
                if len(present):
                    approx.add(present, self._index.reconstruct_batch(present))
            else:
                for chunk, vectors in self._chunks(changed):
                    approx.add(chunk, vectors)

    def vectors_of(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(ids, vectors) of those of ``ids`` held (a few of a large index, without copying it all)."""
        with self._lock:
            present = np.array([i for i in np.asarray(ids).tolist() if i in self._members], dtype=np.int64)
            vectors = self._index.reconstruct_batch(present) if len(present) else np.zeros((0, self.dim), np.float32)
        return present, vectors

    def _vectors_of(self, ids: np.ndarray) -> np.ndarray:
        with self._lock:
            present = np.array([i for i in ids.tolist() if i in self._members], dtype=np.int64)
            return self._index.reconstruct_batch(present)

    def _chunks(self, ids: np.ndarray, size: int = 20_000) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, vectors) of those of ``ids`` still held, ``size`` at a time (the lock is let go
        between chunks, so queries and writes go on)."""
        for start in range(0, len(ids), size):
            with self._lock:
                chunk = np.array([i for i in ids[start : start + size].tolist() if i in self._members], dtype=np.int64)
                vectors = self._index.reconstruct_batch(chunk) if len(chunk) else None
            if vectors is not None:
                yield chunk, vectors

    def search_many(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) of the ``k`` nearest for each row of ``queries``; ids are -1 past the end."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dim)
        _use_threads(self.threads)
        with self._lock:
            return self._index.search(queries, k)

    def save(self) -> None:
        """Write to a temporary file, fsync, then rename over the old one; sets ``checksum``. The
        approximate index, when there is one and it changed, is saved beside it
        (:meth:`approximate_path`), with ``approximate_checksum``."""
        if self.path is None:
            return
        with self._lock:
            if self._dirty or self.checksum is None:
                self.checksum = index_files.write(self._index, self.path)
                self._dirty = False
            if self._approx is not None and self._approx_dirty:
                self.approximate_checksum = index_files.write(self._approx.index, self.approximate_path)
                self._approx_dirty = False

    @property
    def approximate_path(self) -> Path:
        assert self.path is not None
        return approximate_path(self.path)

    @property
    def dirty(self) -> bool:
        """Changed since it was last saved or loaded (the approximate index too)."""
        return self._dirty or (self._approx is not None and self._approx_dirty)

    def save_if_dirty(self) -> bool:
        """Save when changed since the last save or load (and it has a path); True when it wrote."""
        if self.path is None or not self.dirty:
            return False
        self.save()
        return True


def approximate_path(path: Path) -> Path:
    """Where the approximate index is saved: ``<backend>.approximate.faiss`` beside the exact one."""
    return path.with_name(path.stem + ".approximate" + path.suffix)


def _use_threads(threads: int) -> None:
    # OpenMP's thread count belongs to the calling thread: set it on every searching thread, or a
    # worker thread searches on all cores (single flat queries get slower, not faster).
    faiss.omp_set_num_threads(threads)
