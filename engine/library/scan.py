"""Bring a library's catalog in step with the files on disk, with the one planner.

``index`` (:meth:`Scanner.scan`) walks whole roots; ``serve``'s live indexer plans single paths
(:meth:`Scanner.plan`) and applies the plans itself. Both ask :mod:`soundalike.engine.library.planner`, so they
decide every case the same way; the writer applies what it says.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable

from soundalike.engine.config import Settings
from soundalike.engine.errors import UserError
from soundalike.engine.library.indexes import LibraryIndexes
from soundalike.engine.library.planner import Plan, plan_path, root_away
from soundalike.engine.library.writer import LibraryWriter, ProgressCallback, ScanReport
from soundalike.engine.pipeline.ingest import Job
from soundalike.engine.store.interface import Store
from soundalike.engine.store.lock import LibraryLock

log = logging.getLogger(__name__)

OFFLINE_REASON = "root folder is not there (unplugged drive?)"
MISSING_REASON = "file is no longer there"


def check_catalog(catalog: Store) -> None:
    """Raise CatalogDamaged (one clear line: run `soundalike repair`) when the catalog is corrupt."""
    catalog.check()


class Scanner:
    def __init__(
        self, settings: Settings, catalog: Store, lock: LibraryLock, writer: LibraryWriter, indexes: LibraryIndexes
    ):
        self.settings = settings
        self._catalog, self._lock, self._writer, self._indexes = catalog, lock, writer, indexes

    def plan(self, path: str, root: str, forced: bool) -> Plan:
        """What to do with ``path`` (under ``root``); ``forced``: an event touched it. Reads only."""
        engine = self.settings.engine
        return plan_path(self._catalog, path, root, engine.extensions, tuple(engine.backends), forced, engine.musical)

    def scan(
        self,
        roots: Iterable[str] | None = None,
        progress: ProgressCallback | None = None,
        stop: threading.Event | None = None,
    ) -> ScanReport:
        """Bring the catalog in step with the files under ``roots`` (all roots when None).

        Unchanged files (same size and mtime) cost nothing; files gone from an existing root are
        marked missing; a root that is no longer there is marked offline, its samples kept; files
        back unchanged are revived from their stored vectors.
        """
        roots = None if roots is None else list(roots)
        if missing := [str(r) for r in roots or () if not os.path.isdir(os.path.expanduser(r))]:
            raise UserError(f"{', '.join(missing)} {'is not a folder' if len(missing) == 1 else 'are not folders'}")
        with self._lock.hold():  # (a missing folder is told first, even while another process owns the library)
            check_catalog(self._catalog)
            started, report = time.monotonic(), ScanReport()
            self._writer.load_backends()
            jobs: list[Job] = []
            for root in [self._writer.add_root(r) for r in roots] if roots is not None else self._catalog.roots():
                jobs += self._scan_root(root, report)
            try:
                self._writer.ingest(jobs, stop, report, progress, publish=True)
                self._follow_other_indexers(report, stop, progress)
            except KeyboardInterrupt:
                report.interrupted = True
                raise
            finally:
                for name in self.settings.engine.backends:
                    self._indexes.get(name)
                self._indexes.save()
                report.seconds = time.monotonic() - started
            return report

    def _follow_other_indexers(
        self, report: ScanReport, stop: threading.Event | None, progress: ProgressCallback | None
    ) -> None:
        """Files another indexer held (a shared catalog): wait until it records them, or until its
        claims expire (it was killed) and they are decoded here; the scan ends with every file recorded."""
        while report.elsewhere and not (stop and stop.is_set()):
            (stop or threading.Event()).wait(self._writer.claim_poll_seconds)
            waiting, report.elsewhere = report.elsewhere, []
            jobs = [job for path, root in waiting for job in self.plan(path, root, forced=False).jobs]
            if jobs:  # none: every row landed
                self._writer.ingest(jobs, stop, report, progress, publish=True)

    def _scan_root(self, root: str, report: ScanReport) -> list[Job]:
        """Apply a whole root's plan except its decoding; returns the decode jobs."""
        if not os.path.isdir(root):
            self.root_away(root)
            report.offline_roots.append(root)
            return []
        plan = self.plan(root, root, forced=False)
        self._writer.refresh_identity(plan.refresh)
        self._writer.set_status(plan.gone, "missing", MISSING_REASON)
        report.revived += self._writer.revive(plan.revive)
        report.seen += plan.seen
        report.unchanged += plan.seen - len(plan.jobs)
        report.missing += len(plan.gone)
        return plan.jobs

    # --- roots -------------------------------------------------------------------------------
    def root_away(self, root: str) -> int:
        """A root that is not there (unplugged drive): its samples go offline, kept; returns how many.
        In a shared catalog they stay as they are: the share is away from this machine only."""
        if self.settings.store.url:
            log.warning("%s is not there on this machine: the other machines' view of it is left as it is", root)
            return 0
        ids = root_away(self._catalog.known_files(root))
        self._writer.set_status(ids, "offline", OFFLINE_REASON)
        return len(ids)

    def live_count(self, root: str) -> int:
        """Samples under ``root`` whose file was there at the last look (ok or failed)."""
        return self._catalog.live_count(root)

    def offline_paths(self, root: str, limit: int, offset: int = 0) -> list[str]:
        """Some paths of ``root``'s offline samples (to probe whether they are back)."""
        return self._catalog.paths_with_status(root, "offline", limit, offset)
