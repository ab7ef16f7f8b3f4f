"""Opening a saved FAISS index (:class:`soundalike.engine.store.index.VectorIndex`) from its files.

The index is a cache of the catalog's vectors. When it is opened its bytes are checked against the
checksum kept beside it and its ids against the catalog; on any disagreement (flipped bytes
included) it is rebuilt from the stored vectors, which costs no decoding or embedding. The saved
approximate index (``<backend>.approximate.faiss``) is searched again when its bytes match their
checksum and it was saved with the exact index opened; else it is built again in the background,
exact search answering meanwhile. The files themselves are :mod:`soundalike.engine.store.index_files`.

Each function fills in a freshly made, empty ``VectorIndex`` (through ``adopt``): its classmethods
``open``, ``open_unchecked`` and ``load`` are the way in.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import faiss as faiss_module
import numpy as np

from soundalike.engine.store import index_files
from soundalike.engine.store.approximate import Approximate

if TYPE_CHECKING:
    from soundalike.engine.store.index import VectorIndex

# faiss's bundled type stubs describe the C++ signatures, not the numpy wrappers the module exposes.
faiss: Any = faiss_module

log = logging.getLogger(__name__)


def open_checked(
    index: VectorIndex,
    expected_ids: np.ndarray,
    vectors_loader,
    checksum: str | None = None,
    approximate_checksum: str | None = None,
) -> None:
    """Load ``index.path`` if its bytes match ``checksum`` (when known) and it holds exactly
    ``expected_ids``; else rebuild via ``vectors_loader()``. The saved approximate index is
    searched too when its bytes match ``approximate_checksum`` (which the caller gives only when
    it was saved with this exact index) and it holds as many vectors; otherwise it is built
    again in the background when needed (exact answers meanwhile)."""
    path = index.path
    assert path is not None
    loaded, found = _read(path, index.dim, checksum)
    if loaded is not None and np.array_equal(np.sort(index_files.ids_of(loaded)), np.sort(expected_ids)):
        index.adopt(loaded, found, loaded_from=checksum)
        approximate = index.approximate
        if approximate_checksum is not None and approximate is not None and approximate.approximate_above:
            _load_approximate(index, approximate_checksum)
        return
    if loaded is not None or len(expected_ids):
        log.info("index %s disagrees with the catalog: rebuilding from %d stored vectors", path.name, len(expected_ids))
    ids, matrix = vectors_loader()
    if matrix is not None and len(ids):
        index.add(ids, matrix)
    del matrix
    index.save()


def open_unchecked(index: VectorIndex, checksum: str) -> bool:
    """The saved index memory-mapped, its bytes and ids taken on trust (the caller knows it was
    saved for the catalog's vectors as they are): for one question in a process that changes
    nothing, which then reads only the pages its search touches. False when it is absent, of
    another length than ``checksum`` records, or of another shape."""
    assert index.path is not None
    loaded = index_files.read_unchecked(index.path, checksum)
    if loaded is None or loaded.d != index.dim or not isinstance(loaded, faiss.IndexIDMap2):
        return False
    index.adopt(loaded, checksum, loaded_from=checksum)
    return True


def load(index: VectorIndex, checksum: str | None = None) -> bool:
    """The saved index at ``index.path`` as it is (its bytes checked against ``checksum`` when
    known); False when missing, damaged or of another shape: for catching up from a change log."""
    assert index.path is not None
    loaded, found = _read(index.path, index.dim, checksum)
    if loaded is None:
        return False
    index.adopt(loaded, found)
    return True


def _load_approximate(index: VectorIndex, checksum: str) -> None:
    """Search the saved approximate index when it is sound and holds what the exact one does."""
    assert index.approximate is not None
    path = index.approximate_path
    saved, found = index_files.read(path, checksum, mapped=False)  # its lists change
    if saved is None:
        return
    try:
        approx = Approximate.adopt(saved, index.approximate.approximate_probe)
    except (RuntimeError, TypeError) as e:
        log.warning("approximate index %s is not one (%s): building it again", path, e)
        return
    if approx.dim != index.dim or len(approx) != len(index):
        log.info("approximate index %s is out of step: building it again", path.name)
        return
    index.adopt_approximate(approx, found)


def _read(path: Path, dim: int, checksum: str | None = None):
    """(index, checksum of its bytes), or (None, None) when missing, damaged or of another shape."""
    saved, found = index_files.read(path, checksum)
    if saved is None:
        return None, None
    if saved.d != dim or not isinstance(saved, faiss.IndexIDMap2):
        log.warning("index %s has dimension %d, expected %d: rebuilding it", path, saved.d, dim)
        return None, None
    return saved, found
