"""The engine service: owns one library, keeps it in step with disk, and publishes events.

The TUI and the bridge run one of these in-process and use ``service.library`` for queries and
``service.events`` for live updates. Threads: watchdog's observers feed the change tracker
(debounce), the tracker's thread passes settled paths to the work queue, and one indexer thread
drains the queue into the library (decoding on the ingest workers: spawned worker processes that
live as long as the service for the built-in backend, threads otherwise). Only the indexer
thread writes; queries may come from any thread. On a shared catalog one more thread follows
other machines' vector changes into this machine's indexes (:mod:`soundalike.engine.library.follow`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Sequence

from soundalike.engine.config import Settings
from soundalike.engine.embedders.registry import BACKENDS, Registry
from soundalike.engine.events import EventBus
from soundalike.engine.library.facade import Library
from soundalike.engine.library.follow import IndexFollower
from soundalike.engine.library.parts import LibraryParts
from soundalike.engine.live.debounce import ChangeTracker
from soundalike.engine.live.indexer import LiveIndexer
from soundalike.engine.live.roots import Roots
from soundalike.engine.live.watcher import ObserverFactory, Watcher, default_observer
from soundalike.engine.live.work_queue import WorkQueue
from soundalike.engine.pipeline.executors import Executors
from soundalike.engine.pipeline.live_pool import LiveWorkerPool

log = logging.getLogger(__name__)

#: The engine's own threads (the start-up scan, live indexing, settling) run this much nicer than
#: the threads that answer queries (on Linux, where a thread has its own priority), so a query does
#: not wait for the CPU behind a scan of a large library. Measured in one process at 100k samples
#: on a loaded 2-core machine: a thread walking and stat-ing every file raised folded queries' p50
#: from ~7 ms to 8.5-14.7 ms; niced, 5.0-6.8 ms.
BACKGROUND_NICE = 10

_IDLE_SETTLE_SECONDS = 0.1


class EngineService:
    def __init__(
        self, settings: Settings, backends: Registry = BACKENDS, observer_factory: ObserverFactory = default_observer
    ):
        self.settings = settings
        self.events = EventBus()
        self.workers = LiveWorkerPool(settings.engine)  # decoding processes, spawned in start() when wanted
        parts = LibraryParts.open(settings, backends, self.events, Executors(self.workers))
        self.library = Library(settings, backends, parts=parts)
        self.lock, self._writer = parts.lock, parts.writer
        self.queue = WorkQueue()
        self.tracker = ChangeTracker(settings.watch.debounce_seconds, self.queue.add_paths)
        self.watcher = Watcher(
            settings.watch, settings.engine.extensions, self.tracker, self.queue.add_move, self.events, observer_factory
        )
        self.roots = Roots(
            self.library, parts.writer, parts.scanner, self.watcher, self.tracker, self.queue, settings.watch
        )
        self.indexer = LiveIndexer(
            self.library, parts.writer, parts.scanner, self.queue, self.roots, settings, self.tracker.touch
        )
        # on a shared catalog: other machines' vector changes reach this machine's indexes as they land
        self.follower = IndexFollower(parts.catalog, parts.indexes, self.events) if settings.store.url else None
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def start(self, roots: Sequence[str] = (), owner: str = "soundalike serve") -> None:
        """Take the library lock, add ``roots``, start watching, and catch up in the background.

        Raises soundalike.engine.store.lock.LibraryLocked (a UserError naming the owner) when another process
        owns the library. ``owner``: how another process names this one ("soundalike serve", the app).
        """
        self.lock.acquire(owner)
        try:
            self._writer.load_backends()  # load models now (a missing one fails here), record which made the vectors
            self.workers.start(
                {name: self.library.embedder(name) for name in self.settings.engine.backends}, self.settings.backends
            )
            for root in roots:
                self.library.add_root(root)
            if self.settings.store.index:
                self.roots.check()  # watch every present root and queue its start-up reconciliation
        except BaseException:
            self.watcher.stop()
            self.workers.close()
            self.lock.release()
            raise
        for name, target in (("engine-settle", self.tracker.run), ("engine-index", self.indexer.run)):
            thread = threading.Thread(target=_in_background, args=(target, self._stop), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        if self.follower is not None:
            self.follower.start()
        if self.settings.store.index:
            log.info("engine started on %s: %s", self.library.data_dir, self.roots.snapshot())
        else:
            log.info(
                "engine started on %s as a reader ([store] index = false): the share is not watched",
                self.library.data_dir,
            )

    def forget_folder(self, folder: str) -> int:
        """Stop watching a library folder, drop its pending work, and forget its rows (files stay)."""
        root = self.library.root_named(folder)
        with self.indexer.round:  # between rounds: no batch of that folder is being written
            self.roots.forget(root)
            return self.library.forget_folder(root)

    def idle(self) -> bool:
        """No path settling, nothing queued, and no file left waiting on another indexer."""
        drained = self.queue.idle() and not self.indexer.waiting
        return self.tracker.pending() == 0 and (drained or self.indexer.fatal is not None)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no path is settling and the queue is drained (for a moment); True when idle."""
        deadline = None if timeout is None else time.monotonic() + timeout
        quiet_since = None
        while True:
            now = time.monotonic()
            if self.idle():
                quiet_since = quiet_since or now
                if now - quiet_since >= _IDLE_SETTLE_SECONDS:
                    return True
            else:
                quiet_since = None
            if deadline is not None and now >= deadline:
                return False
            time.sleep(0.02)

    def status(self) -> dict:
        """A JSON-able summary for status bars and ``serve``'s log."""
        owner = self.lock.owner
        return {
            "busy": not self.idle(),
            "queue": len(self.queue) + self.tracker.pending(),
            "settling": self.tracker.pending(),
            "jobs": self.queue.pending_jobs(),
            "elsewhere": len(self.indexer.waiting),  # files another indexer holds, looked at again soon
            "progress": {"done": self.indexer.done, "total": self.indexer.total},
            "roots": self.roots.snapshot(),
            "lock": owner.as_dict() if owner else None,
            "data_dir": str(self.library.data_dir),
            "error": self.indexer.fatal,
        }

    def stop(self) -> None:
        """Stop watching and indexing (the batch in flight is committed or dropped whole), save, unlock."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        self.watcher.stop()
        for thread in self._threads:
            thread.join()
        if self.follower is not None:
            self.follower.stop()
        self.workers.close()  # after the indexer: it may be waiting on a worker's chunk
        self.library.close()
        if self.lock.held:
            self.lock.release()
        log.info("engine stopped")

    def __enter__(self) -> EngineService:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def _in_background(target, stop: threading.Event) -> None:
    """Run ``target(stop)`` at a lower priority than the threads that answer queries."""
    if sys.platform.startswith("linux"):  # elsewhere the whole process would be niced
        try:
            thread = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, thread, min(19, os.getpriority(os.PRIO_PROCESS, thread) + BACKGROUND_NICE))
        except OSError as e:
            log.debug("engine thread not niced: %s", e)
    target(stop)
