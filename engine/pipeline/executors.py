"""Where ingest's chunks run: the one place that hands out an executor.

Three kinds, picked per run (the rules are in :mod:`soundalike.engine.pipeline.workers`):

* worker threads: the default, and always the fallback;
* forked worker processes, opened for one run of ``soundalike index`` or ``embed`` when every
  backend may run in one and this process runs no other thread;
* the live engine's spawned workers (:class:`~soundalike.engine.pipeline.live_pool.LiveWorkerPool`),
  kept open for the life of ``serve`` or the app and handed to :class:`Executors` when it is made.

The :class:`Executors` is given to the ``Library`` once; the library's writer asks it to run an
:class:`~soundalike.engine.pipeline.ingest.Ingestor` over jobs and never learns which kind ran them.
Worker processes that cannot start or that die break only their pool: the chunks not yet done
are finished on threads.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sized
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from soundalike.engine.pipeline.blas import one_blas_thread
from soundalike.engine.pipeline.ingest import Ingestor, Job, Processed
from soundalike.engine.pipeline.live_pool import LiveWorkerPool
from soundalike.engine.pipeline.workers import only_thread, process_chunk, processes_allowed, start_forked_worker

log = logging.getLogger(__name__)

CHUNK_FILES = 16

#: Fewer files than this are processed on threads: forking the workers costs more than it saves.
PROCESS_MIN_FILES = 64


class Executors:
    """Runs an Ingestor's jobs on threads, forked processes, or the live engine's workers (``live``)."""

    def __init__(self, live: LiveWorkerPool | None = None):
        self._live = live

    def run(
        self, ingestor: Ingestor, jobs: Iterable[Job], stop: threading.Event | None = None
    ) -> Iterator[list[Processed]]:
        """Process ``jobs`` with ``ingestor``, yielding finished chunks in submission order."""
        stop = stop or threading.Event()
        workers = ingestor.settings.worker_count()
        chunks: Iterator[list[Job]] = _chunks(jobs, CHUNK_FILES)
        with one_blas_thread():
            pool, own = self._process_pool(ingestor, jobs, workers)
            if pool is not None:
                unfinished: list[list[Job]] = []
                yield from _drive(pool, process_chunk, chunks, workers, stop, unfinished, own)
                if not unfinished:
                    return
                if self._live is not None and not own:
                    self._live.broken()
                chunks = itertools.chain(unfinished, chunks)
            yield from _drive(open_pool(ingestor, workers, False), ingestor.process, chunks, workers, stop)

    def _process_pool(self, ingestor: Ingestor, jobs: Iterable[Job], workers: int) -> tuple[Executor | None, bool]:
        """The worker processes for this run and whether it owns them; (None, False): threads."""
        if self._live is not None:
            return self._live.executor_for(ingestor), False
        if wants_processes(ingestor, workers, len(jobs) if isinstance(jobs, Sized) else None):
            return open_pool(ingestor, workers, True), True
        return None, False


def wants_processes(ingestor: Ingestor, workers: int, files: int | None) -> bool:
    """True when this run should use forked worker processes (see :mod:`workers`)."""
    return (
        processes_allowed(ingestor.embedders, ingestor.settings)
        and workers > 1
        and sys.platform == "linux"
        and files is not None
        and files >= PROCESS_MIN_FILES
        and only_thread()
    )


def open_pool(ingestor: Ingestor, workers: int, processes: bool) -> Executor:
    if not processes:
        return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ingest")
    ingestor.prepare_for_fork()  # imports and caches once here, not once per child
    for stream in (sys.stdout, sys.stderr):  # children flush what they inherit when they exit
        if stream is not None:
            stream.flush()
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=start_forked_worker,
        initargs=(ingestor, os.getpid()),
    )


def _drive(
    pool: Executor,
    work: Callable[[list[Job]], list[Processed]],
    chunks: Iterator[list[Job]],
    workers: int,
    stop: threading.Event,
    unfinished: list[list[Job]] | None = None,
    own: bool = True,
) -> Iterator[list[Processed]]:
    """Keep ``2 * workers`` chunks in flight. Worker processes that cannot start (fork refused)
    or die (a decoder crash) break the pool: its chunks not yet done go to ``unfinished`` (the
    caller finishes them on threads). A pool the run does not ``own`` is left open."""
    pending: deque[tuple[list[Job], Future]] = deque()
    submitting: list[list[Job]] = []  # the chunk being handed over, if that fails
    with pool if own else contextlib.nullcontext():
        try:
            for chunk in chunks:
                if stop.is_set():
                    break
                submitting = [chunk]
                pending.append((chunk, pool.submit(work, chunk)))
                submitting = []
                while len(pending) >= 2 * workers:
                    yield _next_result(pending)
            while pending and not stop.is_set():
                yield _next_result(pending)
        except (BrokenProcessPool, OSError) as e:
            if unfinished is None:
                raise
            log.warning("ingest worker processes failed (%s): finishing on threads", e)
            unfinished.extend([chunk for chunk, _ in pending] + submitting)
            pending.clear()
        finally:
            for _, future in pending:
                future.cancel()


def _next_result(pending: deque[tuple[list[Job], Future]]) -> list[Processed]:
    result = pending[0][1].result()  # stays pending if this raises, for the fallback to redo
    pending.popleft()
    return result


def _chunks(jobs: Iterable[Job], size: int) -> Iterator[list[Job]]:
    chunk: list[Job] = []
    for job in jobs:
        chunk.append(job)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
