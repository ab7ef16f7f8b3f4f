"""A library's index set: one FAISS index per backend, its state file, and when to save it.

Each index is a cache of the catalog's vectors (``index/<backend>.faiss``, with a state file
naming the catalog vector version it holds and a checksum, :mod:`soundalike.engine.library.files`). It is
opened when first asked for: the saved file when it matches the catalog, else rebuilt from the
stored vectors, which costs no decoding. While another process owns the library, indexes are
built in memory only and never saved. A process that asks one question (``one_query``) opens the
saved file on trust when it was saved for the catalog's vectors as they are, without reading
every id and byte of it; else as above.

On a shared catalog (PostgreSQL, several machines) other machines change the vectors too: a saved
index older than the catalog catches up from the catalog's change log (only what changed since its
version), and a loaded one is kept current by :meth:`LibraryIndexes.catch_up`, called by a listener
(:mod:`soundalike.engine.library.follow`) or, without one, by ``get`` at most every
CHECK_EVERY_SECONDS. While the catalog is out of reach the indexes answer as they are.
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
from soundalike.engine.store.errors import CatalogOutOfReach, StoreError, disk_full, is_disk_full
from soundalike.engine.store.index import VectorIndex, approximate_path
from soundalike.engine.store.interface import Store
from soundalike.engine.store.lock import LibraryLock
from soundalike.engine.store.rows import VectorChanges

log = logging.getLogger(__name__)

#: On a shared catalog with no listener, ``get`` asks for other machines' changes at most this often.
CHECK_EVERY_SECONDS = 0.2


def apply_changes(index: VectorIndex, changes: VectorChanges) -> None:
    """Bring ``index`` from the version ``changes`` start at to ``changes.version``."""
    if changes.removed:
        index.remove(changes.removed)
    if len(changes.ids) and changes.matrix is not None:
        index.add(changes.ids, changes.matrix)


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
        self._shared = bool(settings.store.url)  # a shared catalog: other machines change its vectors too
        self._followed = False  # a listener catches up on each change (see follow)
        self._checked = 0.0  # when get last asked the catalog for changes
        self._out_of_reach = False
        self._one_query = one_query

    def get(self, backend: str) -> VectorIndex:
        with self._lock:
            if backend in self._indexes and self._shared and not self._followed:
                self._keep_current()
            return self._get(backend)

    def _get(self, backend: str) -> VectorIndex:
        if backend not in self._indexes:
            version = self._catalog.vectors_version(backend)
            trusted = self._open_unchecked(backend, version) if self._one_query else None
            if trusted is not None:
                self._indexes[backend], self._versions[backend] = trusted, version
                return trusted
            dim = self._catalog.vector_dim(backend) or self._dim_of(backend)
            self._indexes[backend], self._versions[backend] = self._open(backend, dim, version)
        return self._indexes[backend]

    def _open_unchecked(self, backend: str, version: int) -> VectorIndex | None:
        """The saved index on trust when its state says it holds catalog vector version ``version``."""
        path = self._data_dir / "index" / f"{backend}.faiss"
        saved_version, checksum = read_state(path)
        dim = self._catalog.vector_dim(backend)
        if saved_version != version or checksum is None or dim is None:
            return None
        return VectorIndex.open_unchecked(path, dim, checksum, self.settings.index.search_threads, self.settings.index)

    def _open(self, backend: str, dim: int, version: int) -> tuple[VectorIndex, int]:
        """The saved index when it matches the catalog (or catches up with it from its change log);
        else rebuilt (in memory only when read-only). With the catalog version it holds."""
        path = self._data_dir / "index" / f"{backend}.faiss"
        with self._lock_file.try_hold() as writable:
            if writable:
                try:
                    return self._open_saved(path, backend, dim, version)
                except OSError as e:  # a full disk or a read-only folder: work from memory
                    (log.info if is_disk_full(e) else log.warning)(
                        "cannot write the index %s (%s): using one in memory", path, e.strerror or e
                    )
        if self._shared:  # another process owns the files: its saved index, caught up, read-only here
            caught = self._read_only_from_log(path, backend, dim)
            if caught is not None:
                return caught
        index = VectorIndex(
            dim, None, self.settings.index.search_threads, self.settings.index
        )  # another process owns the files
        ids, matrix = self._catalog.vectors(backend)
        if matrix is not None and len(ids):
            index.add(ids, matrix)
        return index, version

    def _open_saved(self, path: Path, backend: str, dim: int, version: int) -> tuple[VectorIndex, int]:
        saved_version, checksum = read_state(path)
        if self._shared and saved_version is not None and saved_version != version:
            caught = self._from_log(path, backend, dim, saved_version, checksum)
            if caught is not None:
                return caught
        if saved_version != version:
            path.unlink(missing_ok=True)  # older than the catalog's vectors: rebuild it
        saved_with, approximate = read_approximate_state(approximate_path(path))
        index = VectorIndex.open(
            path,
            dim,
            self._catalog.vector_ids(backend),  # the vectors themselves only if a rebuild needs them
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
        return index, version

    def _from_log(
        self, path: Path, backend: str, dim: int, since: int, checksum: str | None
    ) -> tuple[VectorIndex, int] | None:
        """The saved index (at version ``since``) brought up to date by the catalog's change log,
        when the log reaches back that far and the result holds exactly the catalog's vectors."""
        changes = self._catalog.vector_changes(backend, since)
        index = VectorIndex.load(path, dim, self.settings.index.search_threads, checksum, self.settings.index)
        if changes is None or index is None:
            log.info("index %s cannot catch up from version %d: rebuilding it", path.name, since)
            return None
        for _ in range(2):  # once more when a change landed between the log and the ids read after it
            apply_changes(index, changes)
            if np.array_equal(np.sort(index.ids()), self._catalog.vector_ids(backend)):
                log.info("index %s caught up from version %d: %d changes", path.name, since, len(changes))
                return index, changes.version
            changes = self._catalog.vector_changes(backend, changes.version)
            if changes is None:
                break
        log.warning("index %s disagrees with the catalog after catching up: rebuilding it", path.name)
        return None

    def _read_only_from_log(self, path: Path, backend: str, dim: int) -> tuple[VectorIndex, int] | None:
        saved_version, checksum = read_state(path)
        caught = None if saved_version is None else self._from_log(path, backend, dim, saved_version, checksum)
        if caught is not None:
            caught[0].path = None  # never saved from here: the owner saves its own
        return caught

    # --- other machines' changes (a shared catalog) -----------------------------------------
    def catch_up(self, backends: Iterable[str] | None = None, changed_ids: set[int] | None = None) -> int:
        """Apply the catalog's vector changes since each loaded index's version (all loaded ones,
        or ``backends``); returns how many samples changed, and adds their ids to ``changed_ids``
        (an index read again whole adds none). A StoreError (the catalog out of reach) is raised,
        the indexes left as they were."""
        changed = 0
        with self._lock:
            for backend in list(self._indexes if backends is None else backends):
                if backend not in self._indexes:
                    continue
                held = self._versions.get(backend, 0)
                if self._catalog.vectors_version(backend) == held:
                    continue
                changes = self._catalog.vector_changes(backend, held)
                if changes is None:
                    log.info(
                        "the catalog's change log does not reach back to %s's version %d: reloading", backend, held
                    )
                    self._indexes.pop(backend)
                    changed += len(self._get(backend))
                    continue
                apply_changes(self._indexes[backend], changes)
                self._versions[backend] = changes.version
                changed += len(changes)
                if changed_ids is not None:
                    changed_ids.update(map(int, changes.ids), changes.removed)
        return changed

    def follow(self, followed: bool) -> None:
        """``followed``: a listener catches up on every change (no check on each ``get``), or it lost
        the catalog (each ``get`` checks again, at most every CHECK_EVERY_SECONDS)."""
        self._followed = followed

    def _keep_current(self) -> None:
        """Catch up when the last check is CHECK_EVERY_SECONDS old; out of reach, the local indexes
        answer as they are (said once)."""
        now = time.monotonic()
        if now - self._checked < CHECK_EVERY_SECONDS:
            return
        self._checked = now
        try:
            self.catch_up()
        except StoreError as e:
            if not self._out_of_reach:
                log.warning("%s: answering from this machine's indexes until it is back", e)
            self._out_of_reach = True
            return
        if self._out_of_reach:
            log.info("the catalog is back: indexes caught up")
        self._out_of_reach = False

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
        """Add (or replace) vectors; ``version``: the catalog vector version they bring it to. On a
        shared catalog the index catches up from the log instead (other machines write too)."""
        if self._shared:
            self._from_catalog([backend])
            return
        self.get(backend).add(np.asarray(ids, dtype=np.int64), matrix)
        if version is not None:
            self._versions[backend] = version

    def remove(self, ids: Sequence[int]) -> None:
        """Take samples out of every index (loaded or enabled): not searchable any more."""
        if ids:
            backends = set(self._indexes) | set(self.settings.engine.backends)
            if self._shared:
                self._from_catalog(backends)
                return
            for backend in backends:
                self.get(backend).remove(ids)

    def restore(self, ids: Iterable[int]) -> None:
        """Put samples' stored vectors back into every enabled backend's index (no decoding)."""
        if self._shared:
            self._from_catalog(self.settings.engine.backends)
            return
        ids = list(ids)
        for backend in self.settings.engine.backends:
            found, matrix = self._catalog.vectors_of(ids, backend)
            if found and matrix is not None:
                self.add(backend, found, matrix)

    def _from_catalog(self, backends: Iterable[str]) -> None:
        """On a shared catalog this machine's own writes reach its indexes through the change log too,
        in the catalog's order, so its changes and other machines' never cross in an index."""
        with self._lock:
            backends = list(backends)
            for backend in backends:
                self._get(backend)
            self.catch_up(backends)

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
        (a query would compare vectors of two models); nothing is written. While a shared catalog is
        out of reach (and never read) the local index answers unchecked: nothing writes vectors then."""
        try:
            stored = self._catalog.backend_signature(backend)
        except CatalogOutOfReach:
            return
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
