"""The live indexer's to-do list: renames, paths to compare with the catalog, files to decode.

Thread-safe. Each kind is de-duplicated by path, so a burst of events on one file makes one
job, and a job planned again (the file changed meanwhile) replaces the older one. Renames keep
their order and come out before paths, and paths before decode jobs, so a sample is marked gone
before its moved copy is recorded (which is how it keeps its identity).

Decode jobs wait in two lanes: files that landed one by one ("fresh") are taken before the jobs
of a folder walk (a pack dropped in, a start-up catch-up: the "bulk" backlog), so a new file is
searchable after about one batch however large the backlog is. A folder receiving files one by
one in quick succession (``cp -r``: :mod:`soundalike.engine.live.drops`) is a drop too: its files
join the backlog.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from soundalike.engine.live.drops import DropDetector
from soundalike.engine.pipeline.ingest import Job


@dataclass
class Changes:
    moves: list[tuple[str, str]] = field(default_factory=list)
    paths: dict[str, bool] = field(default_factory=dict)  # path -> forced (an event touched it)

    def __bool__(self) -> bool:
        return bool(self.moves or self.paths)


class WorkQueue:
    def __init__(self, drops: DropDetector | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self._drops, self._clock = drops or DropDetector(), clock
        self._cond = threading.Condition()
        self._moves: deque[tuple[str, str]] = deque()
        self._paths: dict[str, bool] = {}
        self._jobs: dict[str, Job] = {}  # fresh lane
        self._bulk: dict[str, Job] = {}
        self._active = 0  # items taken and not yet marked done

    def add_move(self, src: str, dest: str) -> None:
        with self._cond:
            self._moves.append((src, dest))
            self._cond.notify_all()

    def add_paths(self, paths, forced: bool = True) -> None:
        with self._cond:
            for path in paths:
                self._paths[path] = self._paths.get(path, False) or forced
            self._cond.notify_all()

    def add_jobs(self, jobs, bulk: bool = False) -> None:
        """Queue decode jobs; ``bulk`` ones (a folder walk) wait behind files that landed alone."""
        with self._cond:
            now = self._clock()
            for job in jobs:
                path = job.entry.path
                waiting = self._bulk.get(path)
                # a folder moved in also reports each file in it: those stay in the backlog
                backlog = bulk or (waiting is not None and waiting.entry == job.entry)
                if not backlog and path not in self._jobs and self._drops.arrived(path, job.entry.root, now):
                    backlog = True
                    self._move_drop_to_backlog(now)
                self._jobs.pop(path, None)  # re-planned: goes to the back with fresh facts
                self._bulk.pop(path, None)
                (self._bulk if backlog else self._jobs)[path] = job
            self._cond.notify_all()

    def _move_drop_to_backlog(self, now: float) -> None:
        """Fresh jobs of a folder just found to be receiving a drop join the backlog."""
        for path, job in list(self._jobs.items()):
            if self._drops.in_drop(path, job.entry.root, now):
                self._bulk[path] = self._jobs.pop(path)

    def add_moves(self, moves) -> None:
        with self._cond:
            self._moves.extend(moves)
            self._cond.notify_all()

    def drop_under(self, folder: str) -> None:
        """Forget queued jobs below ``folder`` (its root went offline)."""
        prefix = folder.rstrip("/") + "/"
        with self._cond:
            for lane in (self._jobs, self._bulk):
                for path in [p for p in lane if p.startswith(prefix)]:
                    del lane[path]

    def wait(self, timeout: float) -> bool:
        """Block until something is queued (True) or ``timeout`` passes (False)."""
        with self._cond:
            return self._cond.wait_for(self._has_work, timeout)

    def take_changes(self) -> Changes:
        with self._cond:
            changes = Changes(list(self._moves), dict(self._paths))
            self._moves.clear()
            self._paths.clear()
            self._active += 1
            return changes

    def take_jobs(self, limit: int) -> list[Job]:
        with self._cond:
            jobs: list[Job] = []
            for lane in (self._jobs, self._bulk):
                while lane and len(jobs) < limit:
                    jobs.append(lane.pop(next(iter(lane))))
            self._active += 1
            return jobs

    def done(self) -> None:
        """Mark one take finished (its results are applied)."""
        with self._cond:
            self._active = max(0, self._active - 1)
            self._cond.notify_all()

    def pending_jobs(self) -> int:
        with self._cond:
            return len(self._jobs) + len(self._bulk)

    def __len__(self) -> int:
        with self._cond:
            return len(self._moves) + len(self._paths) + len(self._jobs) + len(self._bulk)

    def idle(self) -> bool:
        with self._cond:
            return not self._has_work() and self._active == 0

    def wait_idle(self, timeout: float | None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._has_work() or self._active:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def _has_work(self) -> bool:
        return bool(self._moves or self._paths or self._jobs or self._bulk)
