"""Worker processes that live as long as the live engine, for ``serve``'s and the app's ingest.

``soundalike index`` forks its workers (:mod:`executors`), which is only safe in a process
that runs no other thread. The live engine always runs threads (watchdog's observers, the
indexer, the app's and the bridge's), so its workers are *spawned*: each starts as a fresh
interpreter that imports the engine and unpickles the backends once (well under a second, in
the background while the engine starts), then decodes and embeds every live batch for the
engine's lifetime. Spawning copies no lock and leaves no server process behind (a forkserver
would stay a child of ours until we exit).

Used when every backend is ``process_safe`` (the built-in one), ``[engine] worker_processes`` is
on and there are at least two workers (at most ``MAX_WORKERS``). A worker that dies (a decoder crash) breaks the pool:
ingest finishes that batch on threads (no file lost) and the next batch gets a fresh pool, up to
``MAX_RESTARTS`` times; after that the engine keeps threads. ``close`` stops the workers and
waits for them, so stopping the engine leaves no process behind.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from soundalike.engine.config import EngineSettings
from soundalike.engine.embedders.base import Embedder
from soundalike.engine.pipeline.workers import processes_allowed, start_spawned_worker, warm_up

if TYPE_CHECKING:
    from soundalike.engine.pipeline.ingest import Ingestor

log = logging.getLogger(__name__)

#: How a worker makes each backend: its class and its ``[backends.<name>]`` options.
Recipe = dict[str, tuple[type[Embedder], Mapping[str, Any] | None]]

#: At most this many live workers: unlike forked ones, spawned workers share no memory (~66 MB
#: each), and a live batch is at most ``[watch] batch_files`` files.
MAX_WORKERS = 8

#: A pool that breaks this many times is not started again: the engine keeps threads.
MAX_RESTARTS = 3


def wanted(embedders: Mapping[str, Embedder], settings: EngineSettings) -> bool:
    """True when live ingest should run on worker processes (see the module notes)."""
    return settings.worker_count() > 1 and bool(embedders) and processes_allowed(embedders, settings)


class LiveWorkerPool:
    """Spawned worker processes holding one Ingestor, reused for every live batch."""

    def __init__(self, settings: EngineSettings):
        self.settings = settings
        self.embedders: dict[str, Embedder] = {}  # what the workers hold; empty until started
        self.restarts = 0
        self._recipe: Recipe = {}
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False

    def start(self, embedders: Mapping[str, Embedder], options: Mapping[str, Mapping[str, Any] | None]) -> bool:
        """Spawn workers that make the same ``embedders`` (their class and ``[backends.<name>]``
        ``options``) now, when they are wanted (they import and load in the background); False:
        live ingest keeps threads."""
        if not wanted(embedders, self.settings):
            return False
        with self._lock:
            self.embedders = dict(embedders)
            self._recipe = {name: (type(embedder), options.get(name)) for name, embedder in embedders.items()}
            return self._open() is not None

    def executor_for(self, ingestor: Ingestor) -> Executor | None:
        """The pool to run ``ingestor``'s chunks on; None when it cannot (not started, other
        backends or settings than the workers hold, closed, broken too often): use threads."""
        if (
            not self.embedders
            or ingestor.settings != self.settings
            or ingestor.embedders.keys() != self.embedders.keys()
        ):
            return None
        if any(ingestor.embedders[name] is not embedder for name, embedder in self.embedders.items()):
            return None
        with self._lock:
            return self._open()

    def broken(self) -> None:
        """A worker died: drop this pool (the next batch starts a fresh one)."""
        with self._lock:
            executor, self._executor = self._executor, None
            self.restarts += 1
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        if self.restarts >= MAX_RESTARTS:
            log.warning("ingest worker processes failed %d times: live ingest keeps threads", self.restarts)

    def close(self) -> None:
        """Stop the workers and wait for them (the chunk a worker is on is finished first)."""
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _open(self) -> Executor | None:
        if self._closed or self.restarts >= MAX_RESTARTS:
            return None
        if self._executor is None:
            try:
                with real_stderr():
                    self._executor = self._spawn()
            except Exception as e:  # no process to be had (EAGAIN, ENOMEM ...): threads this time
                log.warning("cannot start ingest worker processes (%s): live ingest uses threads", e)
                log.debug("details", exc_info=True)
                self.restarts += 1
                return None
        return self._executor

    def _spawn(self) -> ProcessPoolExecutor:
        """The workers get how to make the backends, not the backends: a spawned child that dies
        before reading what it is sent leaves the parent blocked writing it, for ever, once that
        is more than a pipe holds (64 KiB; the built-in model pickles to 2 MB; seen in CPython 3.11)."""
        workers = min(self.settings.worker_count(), MAX_WORKERS)
        executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=start_spawned_worker,
            initargs=(self._recipe, self.settings),
        )
        try:
            for _ in range(workers):  # a spawned pool starts a worker per waiting task: all of them now
                executor.submit(warm_up)
        except BaseException:
            executor.shutdown(wait=True, cancel_futures=True)
            raise
        return executor


@contextmanager
def real_stderr() -> Iterator[None]:
    """The process's own stderr in ``sys.stderr`` while workers start.

    Textual replaces ``sys.stderr`` with a capture whose ``fileno()`` is -1, and multiprocessing's
    resource tracker hands ``sys.stderr.fileno()`` to the process it starts: under the app that
    fails with "bad value(s) in fds_to_keep"."""
    current = sys.stderr
    try:
        usable = current is not None and current.fileno() >= 0
    except (AttributeError, OSError, ValueError):
        usable = False
    if not usable:
        sys.stderr = sys.__stderr__
    try:
        yield
    finally:
        sys.stderr = current
