"""Keeping a library's indexes current with a shared catalog other machines write.

:class:`IndexFollower` runs one thread that listens to the store for other machines' vector changes
(:meth:`~soundalike.engine.store.interface.Store.follow_vectors`) and catches the indexes up on each
(:meth:`~soundalike.engine.library.indexes.LibraryIndexes.catch_up`), so a file indexed on one
machine is searchable on the others within moments, without reading every vector again. While the
catalog is out of reach the indexes answer as they are; once it is back they catch up from its
change log. Each sample so changed is published on the engine's event bus (``SampleUpdated``, or
``SampleRemoved`` once gone), so the app's listings and OSC subscribers see files land on other
machines as they see this machine's own. The live engine (``serve``, the app) runs one; a one-off
reader (the CLI) needs none: its indexes check for changes as they are searched.
"""

from __future__ import annotations

import logging
import threading

from soundalike.engine.events import EventBus, SampleRemoved, SampleUpdated
from soundalike.engine.library.indexes import LibraryIndexes
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.interface import Store

log = logging.getLogger(__name__)


class IndexFollower:
    def __init__(self, catalog: Store, indexes: LibraryIndexes, events: EventBus | None = None):
        self._catalog, self._indexes, self._events = catalog, indexes, events
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
        ids: set[int] = set()
        try:
            changed = self._indexes.catch_up(None if backend is None else [backend], ids)
            self._publish(ids)
        except StoreError as e:  # the listener heard, the store's own connection did not: next notice
            self._lost(e)
            return
        except Exception:  # a bug: logged, and searches check for changes themselves
            log.exception("could not catch up with the catalog's changes")
            self._lost(StoreError("could not catch up"))
            return
        self._indexes.follow(True)
        self.caught_up += changed

    def _publish(self, ids: set[int]) -> None:
        """Tell the bus of the samples other machines changed (a row left out here, under a root
        this machine does not map, is told of as gone)."""
        if self._events is None or not ids:
            return
        rows = self._catalog.samples(sorted(ids))
        for sid in sorted(ids):
            row = rows.get(sid)
            if row is not None and row.status == "ok":
                self._events.publish(SampleUpdated(sid, row.path))
            else:
                self._events.publish(SampleRemoved(sid, row.path if row else "", row.status if row else "removed"))

    def _lost(self, error: StoreError) -> None:
        self._indexes.follow(False)  # meanwhile each search checks (and answers as it is while out of reach)
