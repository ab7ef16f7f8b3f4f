"""The library: the one engine API the CLI, the TUI and the bridge use.

A data directory holding the catalog (``catalog.sqlite``) and one FAISS index per backend. This
facade composes parts with one job each (:mod:`soundalike.engine.library.parts`): backends, the
index set, the writer, the scanner with the one planner, the queries, the browse reads. Only
``browse`` is reached through it; the live engine gets the writer and scanner from the parts it
opens, through its own constructors.
Reads never take the lock and are safe from any thread. Writes take the library lock
(:mod:`soundalike.engine.store.lock`): while another process (``serve``) owns the library, this one still reads
it (indexes built in memory), and any write raises a UserError naming the owner.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from soundalike.engine.config import Settings
from soundalike.engine.embedders.base import Embedder
from soundalike.engine.embedders.registry import BACKENDS, Registry
from soundalike.engine.events import EventBus
from soundalike.engine.library.collapse import Folded, Group, similar_groups, text_groups
from soundalike.engine.library.parts import LibraryParts
from soundalike.engine.library.queries import Hit
from soundalike.engine.library.query import KitQuery, SimilarQuery, Sound, TextQuery
from soundalike.engine.library.scan import check_catalog
from soundalike.engine.library.writer import ProgressCallback, ScanReport
from soundalike.engine.musical.analysis import Musical
from soundalike.engine.pipeline.executors import Executors
from soundalike.engine.pipeline.ingest import Processed
from soundalike.engine.store.index import VectorIndex

if TYPE_CHECKING:  # the kit builder (and libsndfile with it) loads when a kit is built, not for a query
    from soundalike.engine.kits.builder import Kit

__all__ = ["Folded", "Group", "Hit", "KitQuery", "Library", "ScanReport", "SimilarQuery", "TextQuery"]


class Library:
    def __init__(
        self,
        settings: Settings,
        backends: Registry = BACKENDS,
        events: EventBus | None = None,
        executors: Executors | None = None,
        parts: LibraryParts | None = None,
        one_query: bool = False,
    ):
        """Open the library in ``settings``' data folder; ``executors``: where ingest runs (see
        :mod:`soundalike.engine.pipeline.executors`); ``parts``: already opened (the live engine's);
        ``one_query``: a process that asks one question and changes nothing (a one-off ``similar``):
        saved indexes are opened on trust when their state matches the catalog (see
        :mod:`soundalike.engine.library.indexes`)."""
        parts = parts or LibraryParts.open(settings, backends, events, executors, one_query)
        self.settings = settings
        self.backends = backends
        self.events = parts.events
        self.data_dir = parts.data_dir
        self.lock = parts.lock
        self._folder, self._catalog = parts.folder, parts.catalog
        self._backends, self._indexes = parts.backends, parts.indexes
        self._writer, self._scanner, self._queries = parts.writer, parts.scanner, parts.queries
        self.browse = parts.browse  # listings, counts, tags, folders: every read of the catalog

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
    def add_root(self, folder: str | os.PathLike) -> str:
        return self._writer.add_root(folder)

    def scan(
        self,
        roots: Iterable[str] | None = None,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> ScanReport:
        return self._scanner.scan(roots, progress, stop)

    def record(self, processed: Iterable[Processed]) -> ScanReport:
        """Record files decoded and embedded elsewhere, as :meth:`scan` records the ones it decodes."""
        return self._writer.record(processed)

    def check_catalog(self) -> None:
        check_catalog(self._catalog)

    def set_favourite(self, sample_id: int, favourite: bool = True) -> None:
        self._writer.set_favourite(sample_id, favourite)

    def tag_samples(self, ids: Iterable[int], tag: str, remove: bool = False) -> str:
        return self._writer.tag_samples(ids, tag, remove)

    def add_to_collection(self, name: str, ids: Iterable[int]) -> str:
        return self._writer.add_to_collection(name, ids)

    def remove(self, paths: Iterable[str | os.PathLike]) -> int:
        return self._writer.remove(paths)

    def forget_folder(self, folder: str | os.PathLike) -> int:
        return self._writer.forget_folder(folder)

    def root_named(self, folder: str | os.PathLike) -> str:
        """The library folder ``folder`` names; UserError listing the library's folders when none."""
        return self._writer.known_root(folder)

    # --- reads -------------------------------------------------------------------------------
    def similar(self, query: SimilarQuery) -> Folded:
        """The sounds closest to ``query.to``, as groups best first (copies and velocity layers
        folded into one each unless ``query.collapse`` is off), the query's own copies and layers
        left out and reported (``Folded.own``). Folding reads stored facts only: no audio is decoded."""
        return similar_groups(self._queries, self.browse, query)

    def search(self, query: TextQuery) -> Folded:
        """The sounds ``query.text`` describes best, as groups like :meth:`similar`."""
        return text_groups(self._queries, self.browse, query)

    def kit(self, query: KitQuery) -> Kit:
        """A drum kit built around ``query.seed``: one sound per slot and alternatives for each."""
        from soundalike.engine.kits.builder import DEFAULT_ALTERNATIVES, KitBuilder

        alternatives = query.alternatives if query.alternatives is not None else DEFAULT_ALTERNATIVES
        return KitBuilder(self, query.backend, alternatives, query.weights, query.filters, query.not_under).build(
            query.seed, query.sample_rate
        )

    def text_backend(self, backend: str | None = None) -> str:
        return self._queries.text_backend(backend)

    def query_vector(self, to: Sound, backend: str, sample_rate: int | None = None) -> tuple[np.ndarray, int | None]:
        return self._queries.query_vector(to, backend, sample_rate)

    def embed_file(self, path: str | os.PathLike, backend: str | None = None) -> np.ndarray:
        return self._queries.embed_file(path, backend)

    def tag_file(self, path: str | os.PathLike) -> dict[str, dict[str, float]]:
        return self._queries.tag_file(path)

    def analyse_musical(self, path: str | os.PathLike) -> Musical:
        return self._queries.analyse_musical(path)

    def best_tags(self, min_score: float | None = None) -> dict[int, str]:
        return self._queries.best_tags(min_score)

    def stats(self) -> dict:
        return self._queries.stats()
