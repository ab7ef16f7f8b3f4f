"""The live indexer: the one thread that writes the library while ``serve`` runs.

Each round it follows renames, compares settled paths with the catalog (marking vanished
samples missing, or offline when a large share of a root went at once), queues the decode jobs
that produces, then decodes and records one batch of jobs. Batches are small, so a new file
never waits long behind a 50,000-file drop, and every batch is committed to the catalog before
the next begins, so a kill at any point loses at most the batch in flight.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import replace

from engine import live_ops
from engine.config import Settings
from engine.errors import UserError
from engine.events import Notice, Progress
from engine.ingest import Job
from engine.library import Library
from engine.reconcile import Plan, plan_path
from engine.roots import Roots
from engine.scanner import stat_entry
from engine.work_queue import Changes, WorkQueue

log = logging.getLogger(__name__)


class LiveIndexer:
    def __init__(self, library: Library, queue: WorkQueue, roots: Roots, settings: Settings,
                 recheck: Callable[[str, str], None]):
        self.library, self.queue, self.roots = library, queue, roots
        self.settings = settings
        self.recheck = recheck  # (path, root): look at a path again later
        self.done = 0
        self.total = 0
        self.fatal: str | None = None

    def run(self, stop: threading.Event) -> None:
        warm = False
        while not stop.is_set():
            try:
                if not warm:  # load (or, after a crash, rebuild) the indexes before the first query
                    for backend in self.settings.engine.backends:
                        self.library.index(backend)
                    warm = True
                self.step(stop)
            except UserError as e:  # fatal (a backend became unusable): stop indexing, say why
                log.debug("fatal indexing error", exc_info=True)
                self.fatal = str(e)
                self.library.events.publish(Notice("error", f"indexing stopped: {e}"))
                return
            except Exception as e:  # keep serving; the next start-up reconcile repairs this round
                log.error("live indexing round failed: %s", e)
                log.debug("details", exc_info=True)
                self.library.events.publish(Notice("error", f"indexing round failed: {e}"))
                stop.wait(1.0)

    def step(self, stop: threading.Event) -> None:
        self.roots.check_due()
        if not self.queue.wait(self.settings.watch.root_check_seconds / 2):
            return
        changes = self.queue.take_changes()
        try:
            self.apply_changes(changes)
        finally:
            self.queue.done()
        jobs = self.queue.take_jobs(self.settings.watch.batch_files)
        try:
            self.run_jobs(jobs, stop)
        finally:
            self.queue.done()
        if self.queue.idle():
            self.library.save_indexes(self.settings.watch.index_save_seconds)
            self.done = self.total = 0

    # --- changes -----------------------------------------------------------------------------
    def apply_changes(self, changes: Changes) -> None:
        for src, dest in changes.moves:
            live_ops.move(self.library, src, dest)
        by_root: dict[str, dict[str, bool]] = {}
        for path, forced in changes.paths.items():
            root = self._root_of(path)
            if root is not None:
                by_root.setdefault(root, {})[path] = forced
        engine = self.settings.engine
        for root, paths in by_root.items():
            if not self.roots.present(root):
                self.roots.go_offline(root)
                continue
            plans = [plan_path(self.library.catalog, path, root, engine.extensions, tuple(engine.backends), forced,
                               engine.musical) for path, forced in paths.items()]
            self._apply_plans(root, plans)

    def _root_of(self, path: str) -> str | None:
        root = self.library.root_of(path)
        info = self.roots.states.get(root)
        return root if info is not None and info.online else None

    def _apply_plans(self, root: str, plans: list[Plan]) -> None:
        gone = sorted({sid for plan in plans for sid in plan.gone})
        revive = sorted({sid for plan in plans for sid in plan.revive})
        jobs = {job.entry.path: job for plan in plans for job in plan.jobs}
        if gone:
            self._mark_gone(root, gone)
        live_ops.revive(self.library, revive)
        if jobs:
            self.total += len(jobs)
            self.queue.add_jobs(jobs.values())

    def _mark_gone(self, root: str, ids: list[int]) -> None:
        watch = self.settings.watch
        live = self.library.catalog.live_count(root)
        if len(ids) >= watch.offline_min_files and len(ids) >= watch.offline_share * live:
            message = (f"{len(ids)} of the {live} samples under {root} vanished at once: marked offline "
                       f"(unplugged drive?); they come back when the files do")
            log.warning(message)
            self.library.events.publish(Notice("warning", message))
            self.library.set_status(ids, "offline", "vanished with many others at once (unplugged drive?)")
        else:
            self.library.set_status(ids, "missing", "file is no longer there")
        live_ops.adopt_recent_copies(self.library, ids)

    # --- decoding ----------------------------------------------------------------------------
    def run_jobs(self, jobs: list[Job], stop: threading.Event) -> None:
        fresh = [job for job in map(_refreshed, jobs) if job is not None]
        if len(fresh) < len(jobs):
            self.total -= len(jobs) - len(fresh)
        if not fresh:
            return
        self.library.ingest(fresh, stop)
        for job in fresh:  # changed while being decoded: look again once it settles
            now = stat_entry(job.entry.path)
            if (now.size, now.mtime) != (job.entry.size, job.entry.mtime):
                self.recheck(job.entry.path, job.entry.root)
        self.done += len(fresh)
        self.library.events.publish(Progress(self.done, max(self.total, self.done), fresh[-1].entry.path))


def _refreshed(job: Job) -> Job | None:
    """The job with the file's facts as they are now; None when the file went (its event follows)."""
    path = job.entry.path
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path):
        return None  # replaced by a folder: the folder's event plans its files
    entry = stat_entry(path, job.entry.root)
    return job if entry == job.entry else replace(job, entry=entry)
