"""The worker side of ingest's processes: what a forked or spawned worker runs, and how it lives.

Which pool a run gets (threads, forked processes, the live engine's spawned ones) is decided in
:mod:`soundalike.engine.pipeline.executors`; this module holds what runs inside a worker
process and the rules for when one is allowed.

Two threads decoding and embedding small one-shots spend most of their time waiting for each
other: each file is hundreds of small numpy calls, and every call holds the GIL. Forked worker
processes do not share a GIL, so on two cores they index nearly twice as many files per second
(bench/bench_index.py). They are used only where that is safe and pays:

* every backend in the run says it may run in a forked process (``Embedder.process_safe``: the
  built-in one; the neural ones keep threads, as torch does not survive a fork well);
* the platform forks cheaply and safely (Linux): the children start as copies of this process,
  with the backends already loaded and everything already imported, so they cost no start-up;
* this process runs no other Python thread, as in ``soundalike index`` and ``embed``: a fork
  copies every lock as it is at that moment, and a lock another thread held (a terminal writer in
  the TUI, a watcher in ``serve``) would stay held in the children forever. ``serve``'s live
  ingest and the TUI therefore keep worker threads;
* the run has enough files to pay for two forks (``PROCESS_MIN_FILES``), and ``[engine]
  worker_processes`` is on.

The children only decode and embed (``Ingestor.process``); they never touch the catalog, the
index or the lock (they close their copies of its descriptors when forked:
:mod:`soundalike.engine.store.lock`), they ignore Ctrl-C (the parent stops them), and they die
with the parent however it ends: the kernel sends them SIGKILL when it does (``PR_SET_PDEATHSIG``;
a forked pool's children cannot watch a pipe, as each holds its siblings' copies open). A child that dies (a decoder
crash), or workers that cannot start (fork refused), break only the pool: the chunks not yet
done are then processed on threads.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from soundalike.engine.config import EngineSettings
    from soundalike.engine.embedders.base import Embedder
    from soundalike.engine.pipeline.ingest import Ingestor, Job, Processed
    from soundalike.engine.pipeline.live_pool import Recipe

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>

#: The Ingestor a worker process runs chunks with. Set once per child by ``_start_worker`` (the
#: only way to hand a forked pool's workers an object without pickling it); never set in the parent.
_worker_ingestor: Ingestor | None = None
#: A spawned worker's one-BLAS-thread limit, held for the worker's life (set once per child).
_worker_blas: contextlib.ExitStack | None = None


def processes_allowed(embedders: Mapping[str, Embedder], settings: EngineSettings) -> bool:
    """``[engine] worker_processes`` is on and every backend may run in a worker process."""
    return settings.worker_processes and all(e.process_safe for e in embedders.values())


def only_thread() -> bool:
    """True when the calling thread is this process's only Python thread (safe to fork)."""
    return threading.current_thread() is threading.main_thread() and threading.active_count() == 1


def process_chunk(chunk: Sequence[Job]) -> list[Processed]:
    """Run in a worker process: decode and embed one chunk with the forked Ingestor."""
    if _worker_ingestor is None:
        raise RuntimeError("process_chunk runs only in an ingest worker process")
    return _worker_ingestor.process(chunk)


def start_forked_worker(ingestor: Ingestor, parent: int) -> None:
    die_with_parent(parent)
    _start_worker(ingestor)


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when ``parent`` (the thread that forked it) ends; exit now
    if it already has. Linux only (elsewhere nothing happens)."""
    if sys.platform != "linux":
        return
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except (OSError, AttributeError) as e:
        log.debug("no prctl: %s", e)
    if os.getppid() != parent:  # the parent died before the signal was set
        os._exit(0)


def _start_worker(ingestor: Ingestor) -> None:
    global _worker_ingestor
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _worker_ingestor = ingestor


def start_spawned_worker(recipe: Recipe, settings: EngineSettings) -> None:
    """Initializer of the live engine's spawned workers (:mod:`live_pool`): make the backends from
    ``recipe``, one BLAS thread, caches warm."""
    global _worker_blas
    from soundalike.engine.embedders.registry import create_embedder
    from soundalike.engine.pipeline.blas import one_blas_thread
    from soundalike.engine.pipeline.ingest import Ingestor

    _worker_blas = contextlib.ExitStack()
    _worker_blas.enter_context(one_blas_thread())
    ingestor = Ingestor(
        {name: create_embedder(name, options, {name: cls}) for name, (cls, options) in recipe.items()}, settings
    )
    _start_worker(ingestor)
    ingestor.prepare_for_fork()  # imports and caches now, not on the first live file
    parent = multiprocessing.parent_process()
    if parent is not None:  # a parent killed outright (SIGKILL) never stops us: end with it
        threading.Thread(target=_exit_with, args=(parent.sentinel,), name="parent-watch", daemon=True).start()


def _exit_with(parent_sentinel: int) -> None:
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(0)


def warm_up() -> int:
    """A no-op task: submitting one per worker makes a spawned pool start them all at once."""
    return 0
