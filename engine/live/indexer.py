"""The live indexer: the one thread that writes the library while ``serve`` runs.

Each round it follows renames, compares settled paths with the catalog (marking vanished
samples missing, or offline when a large share of a root went at once), queues the decode jobs
that produces, then decodes and records one batch of jobs. Batches are small, so a new file
never waits long behind a 50,000-file drop, and every batch is committed to the catalog before
the next begins, so a kill at any point loses at most the batch in flight.

One failing item never sinks its round: each move and each planned path is applied on its own,
and a round that fails anyway is put back on the queue and retried (a path that fails
``MAX_ATTEMPTS`` times in a row is given up, named in the log). A full disk, or a shared catalog
whose server is out of reach, pauses indexing, with one notice, until it is back (no file is given
up for it); a library folder deleted under us stops it.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from soundalike.engine.config import Settings
from soundalike.engine.errors import UserError
from soundalike.engine.events import Notice, Progress
from soundalike.engine.library.facade import Library
from soundalike.engine.library.planner import Plan
from soundalike.engine.library.scan import MISSING_REASON, Scanner
from soundalike.engine.library.writer import LibraryWriter
from soundalike.engine.live.roots import Roots
from soundalike.engine.live.work_queue import Changes, WorkQueue
from soundalike.engine.pipeline.ingest import Job
from soundalike.engine.pipeline.walk import stat_entry
from soundalike.engine.store.errors import CatalogOutOfReach, is_disk_full
from soundalike.engine.store.text import readable

log = logging.getLogger(__name__)

#: A path whose round fails this many times in a row is given up (until its next event).
MAX_ATTEMPTS = 3
#: How long a round that failed (or found the disk full) waits before it is retried.
RETRY_SECONDS = 1.0


class LiveIndexer:
    def __init__(
        self,
        library: Library,
        writer: LibraryWriter,
        scanner: Scanner,
        queue: WorkQueue,
        roots: Roots,
        settings: Settings,
        recheck: Callable[[str, str], None],
    ):
        self.library, self.queue, self.roots = library, queue, roots
        self.writer, self.scanner = writer, scanner
        self.settings = settings
        self.recheck = recheck  # (path, root): look at a path again later
        self.done = 0
        self.total = 0
        self.fatal: str | None = None
        self.paused: str | None = None  # why indexing waits (a full disk), None while it runs
        self._attempts: dict[str, int] = {}  # path -> failed rounds in a row
        self._failed_now: set[str] = set()  # paths that failed in this round
        #: held while a round works (not while it waits): a folder is forgotten between rounds
        self.round = threading.Lock()
        #: files another indexer holds (a shared catalog): path -> when to look again
        self.waiting: dict[str, float] = {}

    def run(self, stop: threading.Event) -> None:
        warm = False
        while not stop.is_set():
            try:
                self.library.check_still_there()
                if not warm:  # load (or, after a crash, rebuild) the indexes before the first query
                    self.library.check_catalog()  # here, not in start(): a large catalog takes a moment
                    for backend in self.settings.engine.backends:
                        self.library.index(backend)
                    warm = True
                self.step(stop)
                self._resume()
            except Exception as e:
                if is_disk_full(e):
                    self._pause(f"the disk holding {self.library.data_dir} is full", "once there is space")
                elif isinstance(e, CatalogOutOfReach):
                    self._pause(str(e), "once the catalog is back")
                elif isinstance(e, UserError):  # fatal (backend unusable, library gone): stop, say why
                    self._stop_for(e)
                    return
                else:
                    log.info("live indexing round failed (it is retried): %s", e)  # the Notice shows it
                    log.debug("details", exc_info=True)
                    self.library.events.publish(Notice("error", f"indexing round failed (it is retried): {e}"))
                stop.wait(RETRY_SECONDS)

    def _stop_for(self, error: UserError) -> None:
        log.debug("fatal indexing error", exc_info=error)
        log.info("indexing stopped: %s", error)
        self.fatal = str(error)
        self.library.events.publish(Notice("error", f"indexing stopped: {error}"))

    def _pause(self, why: str, until: str) -> None:
        if self.paused is None:
            message = f"{why}: indexing is paused, and resumes by itself {until}"
            log.info(message)
            self.library.events.publish(Notice("warning", message))
        self.paused = why

    def _resume(self) -> None:
        if self.paused is not None:
            self.paused = None
            log.info("indexing resumed")
            self.library.events.publish(Notice("info", "indexing resumed"))

    def step(self, stop: threading.Event) -> None:
        if self.settings.store.index:  # a reader neither watches nor scans the share
            with self.round:
                self.roots.check_due()
        self._look_again()
        wait = self.settings.watch.root_check_seconds / 2
        if not self.queue.wait(min(wait, self.writer.claim_poll_seconds) if self.waiting else wait):
            return
        with self.round:
            self._work(stop)

    def _work(self, stop: threading.Event) -> None:
        changes = self.queue.take_changes()
        self._failed_now = set()
        try:
            self.apply_changes(changes)
            for path in set(changes.paths) - self._failed_now:  # "in a row": a success starts again
                self._attempts.pop(path, None)
        except BaseException as e:
            self._retry_changes(changes, e)
            raise
        finally:
            self.queue.done()
        jobs = self.queue.take_jobs(self.settings.watch.batch_files)
        try:
            self.run_jobs(jobs, stop)
            for job in jobs:
                self._attempts.pop(job.entry.path, None)
        except BaseException as e:
            self._retry_jobs(jobs, e)
            raise
        finally:
            self.queue.done()
        if self.queue.idle():
            self.library.save_indexes(self.settings.watch.index_save_seconds)
            self.done = self.total = 0

    # --- retrying a failed round ------------------------------------------------------------
    def _retry_changes(self, changes: Changes, error: BaseException) -> None:
        self.queue.add_moves(changes.moves)
        for forced in (True, False):
            self.queue.add_paths(
                self._still_worth_it([p for p, f in changes.paths.items() if f == forced], error), forced
            )

    def _retry_jobs(self, jobs: list[Job], error: BaseException) -> None:
        keep = set(self._still_worth_it([job.entry.path for job in jobs], error))
        self.queue.add_jobs([job for job in jobs if job.entry.path in keep], bulk=True)

    def _still_worth_it(self, paths: list[str], error: BaseException) -> list[str]:
        """The paths to try again: all of them after a full disk or a catalog out of reach, else
        those failed < MAX_ATTEMPTS."""
        if is_disk_full(error) or isinstance(error, (UserError, CatalogOutOfReach)):
            return paths
        kept = []
        for path in paths:
            self._attempts[path] = self._attempts.get(path, 0) + 1
            if self._attempts[path] < MAX_ATTEMPTS:
                kept.append(path)
            else:
                del self._attempts[path]
                log.error("giving up on %s after %d failed rounds: %s", readable(path), MAX_ATTEMPTS, error)
        return kept

    # --- changes -----------------------------------------------------------------------------
    def apply_changes(self, changes: Changes) -> None:
        for src, dest in changes.moves:
            self._isolated(self.writer.move, src, dest, paths=(src, dest))
        by_root: dict[str, dict[str, bool]] = {}
        for path, forced in changes.paths.items():
            root = self._root_of(path)
            if root is not None:
                by_root.setdefault(root, {})[path] = forced
        for root, paths in by_root.items():
            if not self.roots.present(root):
                self.roots.go_offline(root)
                continue
            plans = [
                self._isolated(self.scanner.plan, path, root, forced, paths=(path,)) for path, forced in paths.items()
            ]
            self._apply_plans(root, [plan for plan in plans if plan is not None])

    def _isolated(self, action, *args, paths: tuple[str, ...]):
        """``action(*args)``; when it fails (short of a fatal error or a full disk) the paths are
        looked at again next round instead of sinking this one."""
        try:
            return action(*args)
        except Exception as e:
            if is_disk_full(e) or isinstance(e, (UserError, CatalogOutOfReach)):
                raise  # not the path's fault: the round waits and is tried again whole
            log.error("could not apply a change to %s (retried): %s", ", ".join(map(readable, paths)), e)
            log.debug("details", exc_info=True)
            self._failed_now.update(paths)
            self.queue.add_paths(self._still_worth_it(list(paths), e), forced=True)
            return None

    def _root_of(self, path: str) -> str | None:
        root = self.writer.root_of(path)
        info = self.roots.states.get(root)
        return root if info is not None and info.online else None

    def _apply_plans(self, root: str, plans: list[Plan]) -> None:
        gone = sorted({sid for plan in plans for sid in plan.gone})
        revive = sorted({sid for plan in plans for sid in plan.revive})
        jobs = {job.entry.path: job for plan in plans for job in plan.jobs}
        in_bulk = {job.entry.path for plan in plans if plan.bulk for job in plan.jobs}  # a folder's walk
        self.writer.refresh_identity([pair for plan in plans for pair in plan.refresh])
        if gone:
            self._mark_gone(root, gone)
        self.writer.revive(revive)
        if jobs:
            self.total += len(jobs)
            for bulk in (False, True):
                self.queue.add_jobs([j for p, j in jobs.items() if (p in in_bulk) == bulk], bulk=bulk)

    def _mark_gone(self, root: str, ids: list[int]) -> None:
        watch = self.settings.watch
        live = self.scanner.live_count(root)
        if len(ids) >= watch.offline_min_files and len(ids) >= watch.offline_share * live:
            message = (
                f"{len(ids)} of the {live} samples under {root} vanished at once: marked offline "
                f"(unplugged drive?); they come back when the files do"
            )
            log.info(message)
            self.library.events.publish(Notice("warning", message))
            self.writer.set_status(ids, "offline", "vanished with many others at once (unplugged drive?)")
        else:
            self.writer.set_status(ids, "missing", MISSING_REASON)
        self.writer.adopt_recent_copies(ids)

    # --- decoding ----------------------------------------------------------------------------
    def run_jobs(self, jobs: list[Job], stop: threading.Event) -> None:
        fresh = [job for job in map(_refreshed, jobs) if job is not None]
        if len(fresh) < len(jobs):
            self.total -= len(jobs) - len(fresh)
        if not fresh:
            return
        report = self.writer.ingest(fresh, stop)
        if report.elsewhere:  # another indexer holds them: look again once its rows may have landed
            due = time.monotonic() + self.writer.claim_poll_seconds
            self.waiting.update({path: due for path, _ in report.elsewhere})
            self.total -= len(report.elsewhere)
        for job in fresh:  # changed while being decoded: look again once it settles
            now = stat_entry(job.entry.path)
            if (now.size, now.mtime) != (job.entry.size, job.entry.mtime):
                self.recheck(job.entry.path, job.entry.root)
        self.done += len(fresh)
        self.library.events.publish(Progress(self.done, max(self.total, self.done), fresh[-1].entry.path))

    def _look_again(self) -> None:
        """Plan again the files another indexer held whose time has come (their row landed, or
        their claim expired and they are decoded here)."""
        now = time.monotonic()
        due = [path for path, when in self.waiting.items() if when <= now]
        for path in due:
            del self.waiting[path]
        if due:
            self.queue.add_paths(due, forced=False)


def _refreshed(job: Job) -> Job | None:
    """The job with the file's facts as they are now; None when the file went (its event follows)."""
    path = job.entry.path
    if not os.path.lexists(path):
        return None
    if os.path.isdir(path):
        return None  # replaced by a folder: the folder's event plans its files
    entry = stat_entry(path, job.entry.root)
    return job if entry == job.entry else replace(job, entry=entry)
