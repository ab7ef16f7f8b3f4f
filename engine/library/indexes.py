"""A library's index set: one FAISS index per backend, its state file, and when to save it.

Each index is a cache of the catalog's vectors (``index/<backend>.faiss``, with a state file
naming the catalog vector version it holds and a checksum, :mod:`soundalike.engine.library.files`). It is
opened when first asked for: the saved file when it matches the catalog, else rebuilt from the
stored vectors, which costs no decoding. While another process owns the library, indexes are
built in memory only and never saved. A process that asks one question (``one_query``) opens the
saved file on trust when it was saved for the catalog's vectors as they are, without reading
every id and byte of it; else as above.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from soundalike.engine.config import Settings
from soundalike.engine.errors import UserError
from soundalike.engine.library.files import (
    read_approximate_state,
    read_state,
    write_approximate_state,
    write_state,
)
from soundalike.engine.store.errors import disk_full, is_disk_full
from soundalike.engine.store.index import VectorIndex, approximate_path
from soundalike.engine.store.interface import Store
from soundalike.engine.store.lock import LibraryLock

log = logging.getLogger(__name__)


class LibraryIndexes:
    def __init__(
        self,
        settings: Settings,
        catalog: Store,
        lock: LibraryLock,
        data_dir: Path,
        dim_of: Callable[[str], int],
        one_query: bool = False,
    ):
        self.settings = settings
        self._catalog = catalog
        self._lock_file = lock
        self._data_dir = data_dir
        self._dim_of = dim_of  # a backend's vector width, when the catalog holds none of its vectors yet
        self._indexes: dict[str, VectorIndex] = {}
        self._versions: dict[str, int] = {}  # catalog vector version each index holds
        self._last_save = time.monotonic()
        self._lock = threading.RLock()
        self._one_query = one_query

    def get(self, backend: str) -> VectorIndex:
        with self._lock:
            if backend not in self._indexes:
                version = self._catalog.vectors_version(backend)
                trusted = self._open_unchecked(backend, version) if self._one_query else None
                if trusted is not None:
                    self._indexes[backend], self._versions[backend] = trusted, version
                    return trusted
                ids = self._catalog.vector_ids(backend)  # the vectors themselves only if a rebuild needs them
                dim = self._catalog.vector_dim(backend) or self._dim_of(backend)
                self._indexes[backend] = self._open(backend, dim, ids, version)
                self._versions[backend] = version
            return self._indexes[backend]

    def _open_unchecked(self, backend: str, version: int) -> VectorIndex | None:
        """The saved index on trust when its state says it holds catalog vector version ``version``."""
        path = self._data_dir / "index" / f"{backend}.faiss"
        saved_version, checksum = read_state(path)
        dim = self._catalog.vector_dim(backend)
        if saved_version != version or checksum is None or dim is None:
            return None
        return VectorIndex.open_unchecked(path, dim, checksum, self.settings.index.search_threads, self.settings.index)

    def _open(self, backend: str, dim: int, ids: np.ndarray, version: int) -> VectorIndex:
        """The saved index when it matches the catalog; else rebuilt (in memory only when read-only)."""
        path = self._data_dir / "index" / f"{backend}.faiss"
        with self._lock_file.try_hold() as writable:
            if writable:
                try:
                    return self._open_saved(path, backend, dim, ids, version)
                except OSError as e:  # a full disk or a read-only folder: work from memory
                    (log.info if is_disk_full(e) else log.warning)(
                        "cannot write the index %s (%s): using one in memory", path, e.strerror or e
                    )
        index = VectorIndex(
            dim, None, self.settings.index.search_threads, self.settings.index
        )  # another process owns the files
        ids, matrix = self._catalog.vectors(backend)
        if matrix is not None and len(ids):
            index.add(ids, matrix)
        return index

    def _open_saved(self, path: Path, backend: str, dim: int, ids: np.ndarray, version: int) -> VectorIndex:
        saved_version, checksum = read_state(path)
        if saved_version != version:
            path.unlink(missing_ok=True)  # older than the catalog's vectors: rebuild it
        saved_with, approximate = read_approximate_state(approximate_path(path))
        index = VectorIndex.open(
            path,
            dim,
            ids,
            lambda: self._catalog.vectors(backend),
            self.settings.index.search_threads,
            checksum,
            self.settings.index,
            approximate if checksum is not None and saved_with == checksum else None,
        )
        _write_states(index, version)
        if approximate and saved_with == index.loaded_from != index.checksum and index.checksum:
            # the same bytes, their checksum now recorded the fast way: still the approximate one's
            write_approximate_state(index.approximate_path, index.checksum, approximate)
        return index

    def save(self, min_interval: float = 0.0) -> None:
        """Write dirty indexes (atomically), at most every ``min_interval`` seconds; only while
        this process may write the library."""
        if time.monotonic() - self._last_save < min_interval:
            return
        with self._lock, self._lock_file.try_hold() as writable:
            for name, index in list(self._indexes.items()) if writable else ():
                try:
                    if index.save_if_dirty():
                        _write_states(index, self._versions.get(name, 0))
                except OSError as e:
                    if is_disk_full(e):
                        raise disk_full(self._data_dir) from e
                    raise
        self._last_save = time.monotonic()

    def close(self, folder_gone: bool) -> None:
        """Save what changed, unless the library folder is gone (then nothing is written there)."""
        if folder_gone:
            log.info("not saving indexes: the library folder %s is gone", self._data_dir)
            with self._lock:
                self._indexes.clear()
            return
        try:
            self.save()
        except UserError as e:  # a full disk (said already): the indexes are rebuilt from the catalog
            log.info("indexes not saved: %s", e)

    # --- changes, after the catalog's --------------------------------------------------------
    def add(self, backend: str, ids: Sequence[int], matrix: np.ndarray, version: int | None = None) -> None:
        """Add (or replace) vectors; ``version``: the catalog vector version they bring it to."""
        self.get(backend).add(np.asarray(ids, dtype=np.int64), matrix)
        if version is not None:
            self._versions[backend] = version

    def remove(self, ids: Sequence[int]) -> None:
        """Take samples out of every index (loaded or enabled): not searchable any more."""
        if ids:
            for backend in set(self._indexes) | set(self.settings.engine.backends):
                self.get(backend).remove(ids)

    def restore(self, ids: Iterable[int]) -> None:
        """Put samples' stored vectors back into every enabled backend's index (no decoding)."""
        ids = list(ids)
        for backend in self.settings.engine.backends:
            found, matrix = self._catalog.vectors_of(ids, backend)
            if found and matrix is not None:
                self.add(backend, found, matrix)

    # --- which model made the vectors --------------------------------------------------------
    def adopt(self, backend: str, signature: str) -> None:
        """Record ``signature`` as the model of ``backend``'s vectors; when another model made the
        stored ones they are dropped (catalog and index) and made again by the next scan. Takes
        the library lock: call it before planning a scan, never from a getter."""
        with self._lock_file.hold():
            if self._catalog.set_backend_signature(backend, signature):
                with self._lock:
                    self._indexes.pop(backend, None)  # reopened from the catalog: mismatch -> rebuilt

    def check_model(self, backend: str, signature: str) -> None:
        """UserError when ``backend``'s stored vectors come from another model than the one loaded
        (a query would compare vectors of two models); nothing is written."""
        stored = self._catalog.backend_signature(backend)
        if stored is not None and stored != signature:
            raise UserError(
                f"the {backend} backend's model changed since this library was indexed: run "
                f"`soundalike index` (or `serve`) to embed its samples again"
            )


def _write_states(index: VectorIndex, version: int) -> None:
    """Record beside the saved files what they hold (after the files themselves)."""
    if index.path is None:
        return
    write_state(index.path, version, index.checksum)
    if index.checksum is not None and index.approximate_checksum is not None:
        write_approximate_state(index.approximate_path, index.checksum, index.approximate_checksum)
