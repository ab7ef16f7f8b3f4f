"""Keeping a library's indexes current with a shared catalog other machines write.

:class:`IndexFollower` runs one thread that listens to the store for other machines' vector changes
(:meth:`~soundalike.engine.store.interface.Store.follow_vectors`) and catches the indexes up on each
(:meth:`~soundalike.engine.library.indexes.LibraryIndexes.catch_up`), so a file indexed on one
machine is searchable on the others within moments, without reading every vector again. While the
catalog is out of reach the indexes answer as they are; once it is back they catch up from its
change log. The live engine (``serve``, the app) runs one; a one-off reader (the CLI) needs none:
its indexes check for changes as they are searched.
"""

from __future__ import annotations

import logging
import threading

from soundalike.engine.library.indexes import LibraryIndexes
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.interface import Store

log = logging.getLogger(__name__)


class IndexFollower:
    def __init__(self, catalog: Store, indexes: LibraryIndexes):
        self._catalog, self._indexes = catalog, indexes
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.caught_up = 0  # samples changed by other machines' writes, applied so far

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="index-follower", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._indexes.follow(False)

    def _run(self) -> None:
        try:
            self._catalog.follow_vectors(self._changed, self._lost, self._stop)
        except Exception:
            log.exception("stopped following the catalog's changes: indexes check as they are searched")
        self._indexes.follow(False)

    def _changed(self, backend: str | None) -> None:
        try:
            changed = self._indexes.catch_up(None if backend is None else [backend])
        except StoreError as e:  # the listener heard, the store's own connection did not: next notice
            self._lost(e)
            return
        except Exception:  # a bug: logged, and searches check for changes themselves
            log.exception("could not catch up with the catalog's changes")
            self._lost(StoreError("could not catch up"))
            return
        self._indexes.follow(True)
        self.caught_up += changed

    def _lost(self, error: StoreError) -> None:
        self._indexes.follow(False)  # meanwhile each search checks (and answers as it is while out of reach)
