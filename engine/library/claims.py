"""Claims on the files a library is about to decode, so indexers sharing a catalog never decode
one file twice.

The writer hands its jobs through :meth:`Claims.take` on their way to the decoders: a batch at a
time, just before it is decoded, each file is claimed in the store. A file another indexer holds
is set aside (``elsewhere``: its row lands when that indexer records it, or its claim expires and
it is planned again here). In a shared catalog a claimed file is planned again against the rows as
they are now, since another indexer may have recorded it since it was planned. Claims are extended
while the work goes on and released once the batch is recorded; those of a killed indexer expire
after ``[store] claim_seconds``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from soundalike.engine.config import Settings
from soundalike.engine.library.planner import still_to_do
from soundalike.engine.pipeline.ingest import Job
from soundalike.engine.store.factory import is_shared
from soundalike.engine.store.interface import Store

log = logging.getLogger(__name__)

#: How many files are claimed at once: about what the decoders take in at a time.
CLAIM_FILES = 32
#: The longest wait before files another indexer holds are looked at again.
POLL_SECONDS = 0.5


@dataclass
class Claimed:
    """The jobs of one run as they are claimed (iterate once); ``len`` is how many were asked for."""

    claims: Claims
    jobs: list[Job]
    elsewhere: list[tuple[str, str]] = field(default_factory=list)  # (path, root) another indexer held

    def __len__(self) -> int:
        return len(self.jobs)

    def __iter__(self) -> Iterator[Job]:
        for start in range(0, len(self.jobs), CLAIM_FILES):
            batch = self.jobs[start : start + CLAIM_FILES]
            yield from self.claims.claim(batch, self.elsewhere)


class Claims:
    def __init__(self, catalog: Store, settings: Settings):
        self._catalog = catalog
        self._seconds = settings.store.claim_seconds
        self._shared = is_shared(settings.store.url)
        self._engine = settings.engine
        self._held: set[str] = set()
        self._extended = time.monotonic()

    @property
    def poll_seconds(self) -> float:
        """How often files another indexer holds are looked at again: few (those it is decoding
        now), so often, for a run to end soon after the other indexer records its last ones."""
        return min(max(self._seconds / 4, 0.05), POLL_SECONDS)

    def take(self, jobs: list[Job]) -> Claimed:
        return Claimed(self, jobs)

    def claim(self, batch: list[Job], elsewhere: list[tuple[str, str]]) -> list[Job]:
        """The jobs of ``batch`` this indexer now holds and that are still to do; those another
        indexer holds are added to ``elsewhere``."""
        granted = set(self._catalog.claim([job.entry.path for job in batch], self._seconds))
        self._held |= granted
        self._extended = time.monotonic()
        mine = [job for job in batch if job.entry.path in granted]
        elsewhere += [(job.entry.path, job.entry.root) for job in batch if job.entry.path not in granted]
        if not self._shared or not mine:
            return mine
        todo = still_to_do(self._catalog, mine, tuple(self._engine.backends), self._engine.musical)
        if len(todo) < len(mine):
            kept = {job.entry.path for job in todo}
            self.release([job.entry.path for job in mine if job.entry.path not in kept])
            log.debug("%d claimed files were recorded by another indexer meanwhile", len(mine) - len(todo))
        return todo

    def keep(self) -> None:
        """Extend this indexer's claims when a third of their term has passed (call as work goes on)."""
        if self._held and time.monotonic() - self._extended >= self._seconds / 3:
            self._catalog.extend_claims(self._seconds)
            self._extended = time.monotonic()

    def release(self, paths: list[str]) -> None:
        mine = [path for path in paths if path in self._held]
        if mine:
            self._catalog.release_claims(mine)
            self._held -= set(mine)

    def release_all(self) -> None:
        self.release(sorted(self._held))
