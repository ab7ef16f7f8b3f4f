"""The library: the one engine API the CLI, the TUI and the bridge use.

A data directory holding the catalog (``catalog.sqlite``) and one FAISS index per backend. This
facade composes parts with one job each: backends, the index set, the writer (``writer``: also
what the live engine changes), the scanner with the one planner (``scanner``), the queries.
Reads never take the lock and are safe from any thread. Writes take the library lock
(:mod:`soundalike.engine.store.lock`): while another process (``serve``) owns the library, this one still reads
it (indexes built in memory), and any write raises a UserError naming the owner.
"""
from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Mapping

import numpy as np

from soundalike.engine.config import Settings
from soundalike.engine.embedders.base import Embedder
from soundalike.engine.embedders.registry import BACKENDS, Registry, check_names
from soundalike.engine.events import EventBus
from soundalike.engine.library.backends import LibraryBackends
from soundalike.engine.library.browse import LibraryBrowse
from soundalike.engine.library.files import LibraryFolder
from soundalike.engine.library.indexes import LibraryIndexes
from soundalike.engine.library.queries import Hit, LibraryQueries
from soundalike.engine.library.scan import Scanner, check_catalog
from soundalike.engine.library.writer import LibraryWriter, ProgressCallback, ScanReport
from soundalike.engine.musical.analysis import Musical
from soundalike.engine.store.browse import BrowseQuery
from soundalike.engine.store.catalog import Catalog, Filters, SampleRow
from soundalike.engine.store.index import VectorIndex
from soundalike.engine.store.lock import LibraryLock

Query = str | os.PathLike | int | np.ndarray


class Library:
    def __init__(self, settings: Settings, backends: Registry = BACKENDS, events: EventBus | None = None):
        self.settings = settings
        self.backends = backends
        self.events = events or EventBus()
        self.data_dir = settings.engine.resolved_data_dir()
        check_names({settings.engine.default_backend, *settings.engine.backends}, backends)
        self._folder = LibraryFolder(self.data_dir)
        self._catalog = Catalog(self._folder.catalog_path)
        self._folder.remember()
        self.lock = LibraryLock(self.data_dir)
        self._backends = LibraryBackends(settings, backends)
        self._indexes = LibraryIndexes(settings, self._catalog, self.lock, self.data_dir,
                                       lambda name: self._backends.get(name).dim)
        self.writer = LibraryWriter(settings, self._catalog, self.lock, self._indexes, self._backends,
                                    self.events, self.data_dir)
        self.scanner = Scanner(settings, self._catalog, self.lock, self.writer, self._indexes)
        self._queries = LibraryQueries(settings, self._catalog, self._indexes, self._backends, str(self.data_dir))
        self.browse = LibraryBrowse(self._catalog)  # listings, counts, tags, folders (issue 14b)

    def check_still_there(self) -> None:
        """Raise UserError when the library folder was deleted or replaced while we ran."""
        self._folder.check_still_there()

    def close(self) -> None:
        self._indexes.close(folder_gone=not self._folder.still_there())
        self._backends.close()
        self._catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- backends and indexes (reads: nothing is written) ------------------------------------
    def embedder(self, name: str) -> Embedder:
        return self._backends.get(name)

    def index(self, backend: str) -> VectorIndex:
        return self._indexes.get(backend)

    def save_indexes(self, min_interval: float = 0.0) -> None:
        self._indexes.save(min_interval)

    # --- roots, scanning and writes ----------------------------------------------------------
    def roots(self) -> list[str]:
        return self._catalog.roots()

    def add_root(self, folder: str | os.PathLike) -> str:
        return self.writer.add_root(folder)

    def scan(self, roots: Iterable[str] | None = None, progress: ProgressCallback | None = None,
             stop: threading.Event | None = None) -> ScanReport:
        return self.scanner.scan(roots, progress, stop)

    def check_catalog(self) -> None:
        check_catalog(self._catalog)

    def set_favourite(self, sample_id: int, favourite: bool = True) -> None:
        self.writer.set_favourite(sample_id, favourite)

    def tag_samples(self, ids: Iterable[int], tag: str, remove: bool = False) -> str:
        return self.writer.tag_samples(ids, tag, remove)

    def add_to_collection(self, name: str, ids: Iterable[int]) -> str:
        return self.writer.add_to_collection(name, ids)

    def remove(self, paths: Iterable[str | os.PathLike]) -> int:
        return self.writer.remove(paths)

    # --- reads -------------------------------------------------------------------------------
    def similar(self, to: Query, k: int | None = None, backend: str | None = None,
                weights: Mapping[str, float] | None = None, filters: Filters | BrowseQuery | None = None,
                sample_rate: int | None = None, musical: bool = False) -> list[Hit]:
        return self._queries.similar(to, k, backend, weights, filters, sample_rate, musical)

    def search_text(self, text: str, k: int | None = None, backend: str | None = None,
                    filters: Filters | BrowseQuery | None = None) -> list[Hit]:
        return self._queries.search_text(text, k, backend, filters)

    def text_backend(self, backend: str | None = None) -> str:
        return self._queries.text_backend(backend)

    def query_vector(self, to: Query, backend: str, sample_rate: int | None = None) -> tuple[np.ndarray, int | None]:
        return self._queries.query_vector(to, backend, sample_rate)

    def embed_file(self, path: str | os.PathLike, backend: str | None = None) -> np.ndarray:
        return self._queries.embed_file(path, backend)

    def tag_file(self, path: str | os.PathLike) -> dict[str, dict[str, float]]:
        return self._queries.tag_file(path)

    def musical_of(self, ids: Iterable[int]) -> dict[int, Musical]:
        return self._queries.musical_of(ids)

    def analyse_musical(self, path: str | os.PathLike) -> Musical:
        return self._queries.analyse_musical(path)

    def sample(self, sample_id: int) -> SampleRow | None:
        return self._queries.sample(sample_id)

    def sample_by_path(self, path: str | os.PathLike) -> SampleRow | None:
        return self._queries.sample_by_path(path)

    def tags(self, sample_id: int) -> dict[str, dict[str, float]]:
        return self._queries.tags(sample_id)

    def best_tags(self, min_score: float | None = None) -> dict[int, str]:
        return self._queries.best_tags(min_score)

    def stored_vectors(self, backend: str) -> tuple[np.ndarray, np.ndarray | None]:
        return self._queries.stored_vectors(backend)

    def stats(self) -> dict:
        return self._queries.stats()
