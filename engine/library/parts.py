"""The parts one library is made of, opened together.

:class:`~soundalike.engine.library.facade.Library` is the door everyone uses. The live engine
also needs two of its parts for itself (the writer, for renames, revivals and root states, and
the scanner, for planning what changed): it opens the parts, makes its ``Library`` from them and
hands those two to its own pieces through their constructors. Nobody reaches into a ``Library``
for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from soundalike.engine.config import Settings
from soundalike.engine.embedders.registry import BACKENDS, Registry, check_names
from soundalike.engine.events import EventBus
from soundalike.engine.library.backends import LibraryBackends
from soundalike.engine.library.browse import LibraryBrowse
from soundalike.engine.library.files import LibraryFolder
from soundalike.engine.library.indexes import LibraryIndexes
from soundalike.engine.library.queries import LibraryQueries
from soundalike.engine.library.scan import Scanner
from soundalike.engine.library.writer import LibraryWriter
from soundalike.engine.pipeline.executors import Executors
from soundalike.engine.store.factory import open_store
from soundalike.engine.store.interface import Store
from soundalike.engine.store.lock import LibraryLock


@dataclass(frozen=True)
class LibraryParts:
    settings: Settings
    events: EventBus
    data_dir: Path
    folder: LibraryFolder
    catalog: Store
    lock: LibraryLock
    backends: LibraryBackends
    indexes: LibraryIndexes
    writer: LibraryWriter
    scanner: Scanner
    queries: LibraryQueries
    browse: LibraryBrowse

    @classmethod
    def open(
        cls,
        settings: Settings,
        backends: Registry = BACKENDS,
        events: EventBus | None = None,
        executors: Executors | None = None,
        one_query: bool = False,
    ) -> LibraryParts:
        """Open the library in ``settings``' data folder. ``executors``: where ingest runs (threads
        or this process's own forked workers when None; the live engine passes its worker pool);
        ``one_query``: for a process that asks one question (saved indexes opened on trust)."""
        events = events or EventBus()
        data_dir = settings.engine.resolved_data_dir()
        check_names({settings.engine.default_backend, *settings.engine.backends}, backends)
        folder = LibraryFolder(data_dir, settings.store.url)
        catalog = open_store(folder.catalog_path, settings.store)
        folder.remember()
        lock = LibraryLock(data_dir)
        parts = LibraryBackends(settings, backends)
        indexes = LibraryIndexes(settings, catalog, lock, data_dir, lambda name: parts.get(name).dim, one_query)
        writer = LibraryWriter(
            settings, catalog, lock, indexes, parts, events, data_dir, executors=executors or Executors()
        )
        return cls(
            settings,
            events,
            data_dir,
            folder,
            catalog,
            lock,
            parts,
            indexes,
            writer,
            Scanner(settings, catalog, lock, writer, indexes),
            LibraryQueries(settings, catalog, indexes, parts, str(data_dir)),
            LibraryBrowse(catalog),
        )
