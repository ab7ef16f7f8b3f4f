"""A library's writer: everything that changes the catalog and the indexes.

It records processed files (decoded and embedded by :mod:`soundalike.engine.pipeline.ingest`), sets statuses,
favourites and roots, forgets files, and makes the changes the live engine sees besides
decoding: renames, revivals and root states. Every write holds the inter-process library lock
(re-entrant: ``serve`` holds it for its lifetime). Each change writes the catalog in one
transaction first, then the indexes, then publishes events, so a crash between steps leaves
the catalog right and the index rebuilt from it on the next open.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from soundalike.engine.config import Settings
from soundalike.engine.errors import UserError
from soundalike.engine.events import (
    EventBus,
    Progress,
    RootState,
    SampleAdded,
    SampleFailed,
    SampleRemoved,
    SampleUpdated,
)
from soundalike.engine.library.backends import LibraryBackends
from soundalike.engine.library.claims import Claims
from soundalike.engine.library.families import Families
from soundalike.engine.library.indexes import LibraryIndexes
from soundalike.engine.pipeline.executors import Executors
from soundalike.engine.pipeline.ingest import Ingestor, Job, Processed
from soundalike.engine.store.errors import disk_full, is_disk_full
from soundalike.engine.store.interface import Store, Transaction
from soundalike.engine.store.lock import LibraryLock
from soundalike.engine.store.text import readable

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]
SAVE_EVERY_SECONDS = 10.0
#: Tags scoring below this are not stored (a filter on "kick" should not match every hat at 2 %).
TAG_MIN_SCORE = 0.25
#: A sample deleted at most this long after an identical file was added is taken as moved there.
LATE_MOVE_SECONDS = 30.0


@dataclass
class ScanReport:
    seen: int = 0
    unchanged: int = 0  # not decoded (revived ones included)
    indexed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    missing: int = 0
    offline_roots: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0
    revived: int = 0  # of the unchanged, samples back from missing or offline (their stored vectors)
    elsewhere: list[tuple[str, str]] = field(default_factory=list)  # (path, root) another indexer held


def confident_tags(tags: Mapping[str, float], min_score: float = TAG_MIN_SCORE) -> dict[str, float]:
    """The tags worth keeping: every one scoring at least ``min_score``, and always the best one."""
    if not tags:
        return {}
    best = max(tags, key=lambda tag: tags[tag])
    return {tag: score for tag, score in tags.items() if score >= min_score or tag == best}


class LibraryWriter:
    def __init__(
        self,
        settings: Settings,
        catalog: Store,
        lock: LibraryLock,
        indexes: LibraryIndexes,
        backends: LibraryBackends,
        events: EventBus,
        data_dir: Path,
        families: Families | None = None,
        executors: Executors | None = None,
    ):
        self.settings = settings
        self._executors = executors or Executors()
        self._catalog, self._lock, self._indexes = catalog, lock, indexes
        self._backends, self._events, self._data_dir = backends, events, data_dir
        self._families = families or Families(catalog, lambda: indexes.get(settings.engine.default_backend))
        self._adopted: set[str] = set()  # backends whose model this process recorded
        self._claims = Claims(catalog, settings)
        self._adopting = threading.Lock()

    # --- backends and roots ------------------------------------------------------------------
    def load_backends(self) -> None:
        """Load every enabled backend's model (a missing one fails here) and record which model
        makes its vectors (another model's stored vectors are dropped, to be made again)."""
        with self._lock.hold(), self._adopting:
            for name, embedder in self._backends.enabled().items():
                if name not in self._adopted:
                    self._indexes.adopt(name, embedder.signature())
                    self._adopted.add(name)

    def add_root(self, folder: str | os.PathLike) -> str:
        root = os.path.abspath(os.path.expanduser(folder))
        if not os.path.isdir(root):
            raise UserError(f"{folder} is not a folder")
        with self._lock.hold():
            self._catalog.add_root(root)
        return root

    def root_of(self, path: str) -> str:
        matches = [r for r in self._catalog.roots() if path == r or path.startswith(r.rstrip(os.sep) + os.sep)]
        return max(matches, key=len) if matches else os.path.dirname(path)

    def set_root_online(self, root: str, online: bool, watching: str = "") -> None:
        with self._lock.hold():
            self._catalog.set_root_online(root, online)
        self._events.publish(RootState(root, online, watching))

    # --- processed files ---------------------------------------------------------------------
    def ingest(
        self,
        jobs: list[Job],
        stop: threading.Event | None = None,
        report: ScanReport | None = None,
        progress: ProgressCallback | None = None,
        publish: bool = False,
    ) -> ScanReport:
        """Decode, embed and record ``jobs`` (on what the library's executors hand out); ``publish``:
        Progress events and index saves on the way."""
        report = report if report is not None else ScanReport()
        with self._lock.hold():
            self.load_backends()
            try:
                self._ingest_chunks(jobs, report, progress, stop, publish)
            except Exception as e:
                if is_disk_full(e) and not isinstance(e, UserError):
                    raise disk_full(self._data_dir) from e
                raise
        return report

    def record(self, processed: Iterable[Processed], chunk: int = 512) -> ScanReport:
        """Record files decoded and embedded elsewhere (``Processed``, as the ingest workers make
        them): the same catalog, index and family writes as :meth:`ingest`, without decoding."""
        report = ScanReport()
        with self._lock.hold():
            self.load_backends()
            batch: list[Processed] = []
            for item in processed:
                batch.append(item)
                if len(batch) == chunk:
                    self._apply(batch, report)
                    batch = []
            if batch:
                self._apply(batch, report)
        return report

    def _ingest_chunks(
        self,
        jobs: list[Job],
        report: ScanReport,
        progress: ProgressCallback | None,
        stop: threading.Event | None,
        publish: bool,
    ) -> None:
        done = 0
        claimed = self._claims.take(jobs)  # each file claimed just before it is decoded
        try:
            for chunk in self._executors.run(Ingestor(self._backends.enabled(), self.settings.engine), claimed, stop):
                self._apply(chunk, report)
                self._claims.release([item.entry.path for item in chunk])
                self._claims.keep()
                done += len(chunk)
                if publish:
                    self._events.publish(Progress(done, len(jobs), chunk[-1].entry.path))
                    self._indexes.save(SAVE_EVERY_SECONDS)
                if progress:
                    progress(done, len(jobs), chunk[-1].entry.path)
        finally:
            report.elsewhere += claimed.elsewhere
            try:
                self._claims.release_all()  # claimed but not decoded (stopped, or a failure): free for others
            except Exception as e:  # they expire all the same; the error that stopped the run is the one to see
                log.info("could not release claims (they expire by themselves): %s", e)
        report.interrupted = bool(stop and stop.is_set())

    @property
    def claim_poll_seconds(self) -> float:
        """How often files another indexer holds are looked at again."""
        return self._claims.poll_seconds

    def _apply(self, chunk: list[Processed], report: ScanReport) -> None:
        """Write one chunk (one transaction); if that fails, file by file, so one bad item costs
        only itself (it is reported failed, not recorded: the next scan tries it again)."""
        try:
            self._apply_chunk(chunk, report)
            return
        except Exception as e:
            if is_disk_full(e) or isinstance(e, UserError):
                raise
            log.info("recording %d files at once failed (%s): recording them one by one", len(chunk), e)
        for item in chunk:
            try:
                self._apply_chunk([item], report)
            except Exception as e:
                if is_disk_full(e) or isinstance(e, UserError):
                    raise
                log.error("cannot record %s in the catalog: %s", readable(item.entry.path), e)
                log.debug("details", exc_info=True)
                report.failed.append((item.entry.path, f"cannot record it in the catalog: {e}"))

    def _apply_chunk(self, chunk: list[Processed], report: ScanReport) -> None:
        """Write one chunk to the catalog (one transaction), then to the indexes."""
        added: dict[str, list[tuple[int, np.ndarray]]] = {}
        failed_ids: list[int] = []
        with self._catalog.transaction() as tx:
            ids = [self._record(tx, item) for item in chunk]
            before = self._families.labels_of(ids)  # families they were in (a changed file leaves its own)
            for sid, item in zip(ids, chunk, strict=True):
                if item.error:
                    failed_ids.append(sid)
                    continue
                self._families.record(tx, sid, item.fingerprint, item.entry.path)
                for backend, vector in item.vectors.items():
                    tx.store_vector(sid, backend, vector)
                    added.setdefault(backend, []).append((sid, vector))
                for backend, tags in item.tags.items():
                    tx.store_tags(sid, backend, confident_tags(tags))
                if item.musical is not None:
                    tx.store_musical(sid, item.musical)
            versions = {backend: tx.bump_vectors_version(backend) for backend in added}
        report.failed += [(item.entry.path, item.error) for item in chunk if item.error]
        report.indexed += sum(1 for item in chunk if not item.error)
        self._indexes.remove(failed_ids)
        for backend, pairs in added.items():
            self._indexes.add(backend, [p[0] for p in pairs], np.stack([p[1] for p in pairs]), versions[backend])
        self._families.regroup(before)
        self._families.joined([sid for sid, item in zip(ids, chunk, strict=True) if not item.error])
        self._publish_outcomes(chunk, ids)

    def _publish_outcomes(self, chunk: list[Processed], ids: list[int]) -> None:
        for item, sid in zip(chunk, ids, strict=True):
            if item.error:
                self._events.publish(SampleFailed(item.entry.path, item.error))
            else:
                self._events.publish(SampleAdded(sid, item.entry.path))

    def _record(self, tx: Transaction, item: Processed) -> int:
        entry = item.entry
        root = entry.root or self.root_of(entry.path)
        return tx.record_sample(
            path=entry.path,
            root=root,
            size=entry.size,
            mtime=entry.mtime,
            content_hash=item.content_hash,
            status="failed" if item.error else "ok",
            reason=item.error,
            facts=item.facts,
            ctime=entry.ctime or None,
            inode=entry.inode or None,
        )

    # --- statuses, favourites, user tags and collections, forgetting -------------------------
    def refresh_identity(self, pairs: list[tuple[int, float, int]]) -> None:
        """Store the ctime and inode of files whose content hash showed them unchanged."""
        if pairs:
            with self._lock.hold(), self._catalog.transaction() as tx:
                tx.set_identity(pairs)

    def set_status(self, ids: list[int], status: str, reason: str) -> None:
        """Mark samples missing/offline (out of the indexes) with the reason; publishes SampleRemoved."""
        if not ids:
            return
        with self._lock.hold():
            with self._catalog.transaction() as tx:
                tx.set_status(ids, status, reason)
            self._indexes.remove(ids)
            self._families.left(ids)
        for row in self._catalog.samples(ids).values():
            self._events.publish(SampleRemoved(row.id, row.path, status))

    def set_favourite(self, sample_id: int, favourite: bool = True) -> None:
        with self._lock.hold():
            self._catalog.set_favourite(sample_id, favourite)
        row = self._catalog.sample(sample_id)
        if row is not None:
            self._events.publish(SampleUpdated(sample_id, row.path, marks_only=True))

    def tag_samples(self, ids: Iterable[int], tag: str, remove: bool = False) -> str:
        """Give (or with ``remove`` take away) a user tag; returns the tag as stored."""
        with self._lock.hold():
            change = self._catalog.remove_user_tag if remove else self._catalog.add_user_tag
            return change(ids, tag)

    def add_to_collection(self, name: str, ids: Iterable[int]) -> str:
        """Add samples to the collection ``name`` (made when new); returns the name as stored."""
        with self._lock.hold():
            return self._catalog.add_to_collection(name, ids)

    def remove(self, paths: Iterable[str | os.PathLike]) -> int:
        """Forget files (the files themselves are untouched); returns how many were known."""
        rows = [
            r for r in (self._catalog.sample_by_path(os.path.abspath(os.fspath(p))) for p in paths) if r is not None
        ]
        ids = [r.id for r in rows]
        with self._lock.hold():
            families = self._families.labels_of(ids)
            with self._catalog.transaction() as tx:
                tx.delete_samples(ids)
            self._indexes.remove(ids)
            self._families.regroup(families)
            self._indexes.save()
        for row in rows:
            self._events.publish(SampleRemoved(row.id, row.path, "removed"))
        return len(ids)

    def forget_folder(self, folder: str | os.PathLike) -> int:
        """Forget a library folder: its samples' rows (vectors, tags, facts, favourites, collection
        items) and index entries go, the folder leaves the library; nothing on disk is touched.
        Returns how many samples were forgotten; UserError naming the folders when it is not one."""
        root = self.known_root(folder)
        with self._lock.hold():
            with self._catalog.transaction() as tx:
                ids = tx.forget_folder(root)
            self._indexes.remove(ids)
            self._indexes.save()
        for sid in ids:
            self._events.publish(SampleRemoved(sid, root, "removed"))
        log.info("forgot %s: %d samples", root, len(ids))
        return len(ids)

    def known_root(self, folder: str | os.PathLike) -> str:
        """The library folder ``folder`` names (as given, or made absolute); UserError listing them if none."""
        roots = self._catalog.roots()
        given = os.fspath(folder)
        for candidate in (given.rstrip(os.sep) or os.sep, os.path.abspath(os.path.expanduser(given))):
            if candidate in roots:
                return candidate
        listed = ", ".join(roots) if roots else "none yet"
        raise UserError(f"{folder} is not one of the library's folders (they are: {listed})")

    # --- what the live engine sees besides decoding ------------------------------------------
    def move(self, src: str, dest: str) -> int:
        """Follow a rename of a file or folder: same ids, tags, favourites and vectors; returns count."""
        root = self.root_of(dest)
        with self._lock.hold():
            families = self._families.labels_of([known.id for known in self._catalog.known_under(dest).values()])
            with self._catalog.transaction() as tx:
                moved, replaced = tx.move_paths(src, dest, root)
            self._indexes.remove(replaced)
            self._families.regroup(families)
            self._families.moved([sid for sid, _ in moved])
        for sid in replaced:
            self._events.publish(SampleRemoved(sid, dest, "removed"))
        for sid, path in moved:
            self._events.publish(SampleUpdated(sid, path))
        if moved:
            log.info("followed a rename %s -> %s (%d samples)", src, dest, len(moved))
        return len(moved)

    def revive(self, ids: list[int]) -> int:
        """Samples whose file is back unchanged: status ok and their stored vectors searchable again."""
        if not ids:
            return 0
        with self._lock.hold():
            with self._catalog.transaction() as tx:
                tx.set_status(ids, "ok", None)
            self._indexes.restore(ids)
            self._families.joined(ids)
        for row in self._catalog.samples(ids).values():
            self._events.publish(SampleAdded(row.id, row.path))
        return len(ids)

    def adopt_recent_copies(self, gone: list[int], window: float = LATE_MOVE_SECONDS) -> int:
        """Samples just marked gone whose content arrived elsewhere moments before keep their identity.

        A move between roots is seen as a create in one and a delete in the other, in either order.
        When the copy was recorded first it got a new row; the old row (favourite, tags) takes it over.
        """
        pairs: list[tuple[int, int]] = []
        since, taken = time.time() - window, set(gone)
        with self._lock.hold():
            families = self._families.labels_of(gone)
            with self._catalog.transaction() as tx:
                for old_id in gone:
                    new_id = tx.recent_twin(old_id, since, exclude=taken)
                    if new_id is not None:  # each row adopts at most one copy, and is adopted by none
                        families |= self._families.labels_of([new_id])
                        tx.adopt(old_id, new_id)
                        pairs.append((old_id, new_id))
                        taken.add(new_id)
            if not pairs:
                return 0
            self._indexes.remove([new for _, new in pairs])
            self._indexes.restore(old for old, _ in pairs)
            self._families.regroup(families)
            self._families.moved([old for old, _ in pairs])
        rows = self._catalog.samples(old for old, _ in pairs)
        for old_id, new_id in pairs:
            if old_id in rows:
                self._events.publish(SampleRemoved(new_id, rows[old_id].path, "removed"))
                self._events.publish(SampleUpdated(old_id, rows[old_id].path))
        return len(pairs)
