"""The library: the one engine API the CLI, the TUI and the bridge use.

A library is a data directory holding the catalog (``catalog.sqlite``) and one FAISS index per
backend (``index/<backend>.faiss``). Reads are safe from any thread while a scan writes.

Writes take the library lock (:mod:`engine.lock`): while another process (``serve``) owns the
library, this one may still read it, with indexes built in memory from the catalog, but any
write raises a UserError naming the owner.
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

from engine import catalog_writes as cat
from engine.catalog import Catalog, Known, SampleRow
from engine.catalog_repair import problems
from engine.catalog_text import damaged, disk_full, is_disk_full, readable
from engine.config import Settings
from engine.embedders.base import Embedder
from engine.embedders.registry import BACKENDS, Registry, check_names, create_embedder
from engine.errors import UserError
from engine.events import EventBus, Progress, SampleAdded, SampleFailed, SampleRemoved, SampleUpdated
from engine.index import VectorIndex
from engine.library_queries import Hit, QueryMixin  # noqa: F401 - Hit is part of this API
from engine.ingest import Ingestor, Job, Processed
from engine.library_files import identity, make_library_folder, read_state, refuse_lost_catalog, write_state
from engine.lock import LibraryLock
from engine.reconcile import unchanged_on_disk
from engine.musical.store import ids_to_analyse, store_musical, with_stored_tags
from engine.scanner import FileEntry, walk

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int, str], None]
_SAVE_EVERY_SECONDS = 10.0
#: Tags scoring below this are not stored (a filter on "kick" should not match every hat at 2 %).
TAG_MIN_SCORE = 0.25


@dataclass
class ScanReport:
    seen: int = 0
    unchanged: int = 0
    indexed: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    missing: int = 0
    offline_roots: list[str] = field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0


def confident_tags(tags: Mapping[str, float], min_score: float = TAG_MIN_SCORE) -> dict[str, float]:
    """The tags worth keeping: every one scoring at least ``min_score``, and always the best one."""
    if not tags:
        return {}
    best = max(tags, key=tags.get)
    return {tag: score for tag, score in tags.items() if score >= min_score or tag == best}


class Library(QueryMixin):
    def __init__(self, settings: Settings, backends: Registry = BACKENDS, events: EventBus | None = None):
        self.settings = settings
        self.backends = backends
        self.events = events or EventBus()
        self.data_dir = settings.engine.resolved_data_dir()
        check_names({settings.engine.default_backend, *settings.engine.backends}, backends)
        make_library_folder(self.data_dir)
        refuse_lost_catalog(self.data_dir)
        self.catalog = Catalog(self.data_dir / "catalog.sqlite")
        self.lock = LibraryLock(self.data_dir)
        self._identity = self._where()
        self._embedders: dict[str, Embedder] = {}
        self._indexes: dict[str, VectorIndex] = {}
        self._versions: dict[str, int] = {}  # catalog vector version each index holds
        self._last_save = time.monotonic()
        self._lock = threading.RLock()

    def check_still_there(self) -> None:
        """Raise UserError when the library folder was deleted or replaced while we ran."""
        if self._where() != self._identity:
            raise UserError(f"the library folder {self.data_dir} was deleted or replaced while soundalike was "
                            f"running: stopped, nothing more is written there (start again to use a new one)")

    def _where(self) -> tuple:
        return identity(self.data_dir), identity(self.catalog.path)

    def close(self) -> None:
        if self._where() != self._identity:
            log.info("not saving indexes: the library folder %s is gone", self.data_dir)
            self._indexes.clear()
        else:
            try:
                self.save_indexes()
            except UserError as e:  # a full disk (said already): the indexes are rebuilt from the catalog
                log.info("indexes not saved: %s", e)
        for embedder in self._embedders.values():
            embedder.close()
        self.catalog.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- backends and indexes ----------------------------------------------------------------
    def embedder(self, name: str) -> Embedder:
        with self._lock:
            if name not in self._embedders:
                embedder = create_embedder(name, self.settings.backends.get(name), self.backends)
                with self.lock.try_hold() as writable:
                    if writable:
                        self.catalog.set_backend_signature(name, embedder.signature())
                self._embedders[name] = embedder
            return self._embedders[name]

    def index(self, backend: str) -> VectorIndex:
        with self._lock:
            if backend not in self._indexes:
                version = self.catalog.vectors_version(backend)
                ids = self.catalog.vector_ids(backend)  # the vectors themselves only if a rebuild needs them
                dim = self.catalog.vector_dim(backend) or self.embedder(backend).dim
                self._indexes[backend] = self._open_index(backend, dim, ids, version)
                self._versions[backend] = version
            return self._indexes[backend]

    def _open_index(self, backend: str, dim: int, ids: np.ndarray, version: int) -> VectorIndex:
        """The saved index when it matches the catalog; else rebuilt (in memory only when read-only)."""
        path = self.data_dir / "index" / f"{backend}.faiss"
        with self.lock.try_hold() as writable:
            if writable:
                try:
                    return self._open_saved_index(path, backend, dim, ids, version)
                except OSError as e:  # a full disk or a read-only folder: work from memory
                    (log.info if is_disk_full(e) else log.warning)(
                        "cannot write the index %s (%s): using one in memory", path, e.strerror or e)
        index = VectorIndex(dim, None, self.settings.index.search_threads)  # another process owns the files
        ids, matrix = self.catalog.vectors(backend)
        if matrix is not None and len(ids):
            index.add(ids, matrix)
        return index

    def _open_saved_index(self, path: Path, backend: str, dim: int, ids: np.ndarray, version: int) -> VectorIndex:
        saved_version, checksum = read_state(path)
        if saved_version != version:
            path.unlink(missing_ok=True)  # older than the catalog's vectors: rebuild it
        index = VectorIndex.open(path, dim, ids, lambda: self.catalog.vectors(backend),
                                 self.settings.index.search_threads, checksum)
        write_state(path, version, index.checksum)
        return index

    def save_indexes(self, min_interval: float = 0.0) -> None:
        """Write dirty indexes (atomically), at most every ``min_interval`` seconds."""
        if time.monotonic() - self._last_save < min_interval:
            return
        with self._lock, self.lock.try_hold() as writable:
            for name, index in list(self._indexes.items()):
                if writable and index.path is not None and index.dirty:
                    try:
                        index.save()
                        write_state(index.path, self._versions.get(name, 0), index.checksum)
                    except OSError as e:
                        if is_disk_full(e):
                            raise disk_full(self.data_dir) from e
                        raise
        self._last_save = time.monotonic()

    # --- roots and scanning ------------------------------------------------------------------
    def roots(self) -> list[str]:
        return self.catalog.roots()

    def add_root(self, folder: str | os.PathLike) -> str:
        root = os.path.abspath(os.path.expanduser(folder))
        if not os.path.isdir(root):
            raise UserError(f"{folder} is not a folder")
        with self.lock.hold():
            self.catalog.add_root(root)
        return root

    def scan(self, roots: Iterable[str] | None = None, progress: ProgressCallback | None = None,
             stop: threading.Event | None = None) -> ScanReport:
        """Bring the catalog in step with the files under ``roots`` (all roots when None).

        Unchanged files (same size and mtime) cost nothing; files gone from an existing root are
        marked missing; a root that is no longer there is marked offline, its samples kept.
        """
        with self.lock.hold():
            self.check_catalog()
            return self._scan(roots, progress, stop)

    def check_catalog(self) -> None:
        """Raise CatalogDamaged (one clear line: run `soundalike repair`) when the catalog is corrupt."""
        found = problems(self.catalog.path)
        if found:
            raise damaged(self.catalog.path, found[0])

    def _scan(self, roots, progress, stop) -> ScanReport:
        started, report = time.monotonic(), ScanReport()
        backends = tuple(self.settings.engine.backends)
        embedders = {name: self.embedder(name) for name in backends}
        jobs: list[Job] = []
        for root in [self.add_root(r) for r in roots] if roots is not None else self.roots():
            jobs += self._plan_root(root, backends, report)
        try:
            self._ingest(jobs, embedders, report, progress, stop)
        except KeyboardInterrupt:
            report.interrupted = True
            raise
        finally:
            for name in backends:
                self.index(name)
            self.save_indexes()
            report.seconds = time.monotonic() - started
        return report

    def ingest(self, jobs: list[Job], stop: threading.Event | None = None) -> ScanReport:
        """Decode, embed and record ``jobs`` (the live indexer's batches); no Progress events."""
        report = ScanReport()
        with self.lock.hold():
            embedders = {name: self.embedder(name) for name in self.settings.engine.backends}
            self._ingest(jobs, embedders, report, None, stop, publish=False)
        return report

    def _plan_root(self, root: str, backends: tuple[str, ...], report: ScanReport) -> list[Job]:
        known = self.catalog.known_files(root)
        if not os.path.isdir(root):
            self._set_status([k.id for k in known.values() if k.status == "ok"], "offline",
                             "root folder is not there (unplugged drive?)")
            report.offline_roots.append(root)
            return []
        lacking = {name: set(self.catalog.ids_lacking(name)) for name in backends}
        unanalysed = ids_to_analyse(self.catalog, root) if self.settings.engine.musical else set()
        jobs, seen, refresh = [], set(), []
        for entry in walk(root, self.settings.engine.extensions):
            seen.add(entry.path)
            report.seen += 1
            job = self._job_for(entry, known.get(entry.path), backends, lacking, refresh, unanalysed)
            if job is None:
                report.unchanged += 1
            else:
                jobs.append(job)
        self.refresh_identity(refresh)
        jobs = with_stored_tags(self.catalog, jobs, {path: k.id for path, k in known.items()})
        gone = [k.id for path, k in known.items() if path not in seen and k.status != "missing"]
        self._set_status(gone, "missing", "file is no longer there")
        report.missing += len(gone)
        return jobs

    @staticmethod
    def _job_for(entry: FileEntry, known: Known | None, backends, lacking, refresh,
                 unanalysed=frozenset()) -> Job | None:
        if known is None or entry.problem or not unchanged_on_disk(entry, known, refresh):
            return Job(entry, backends)
        if known.status in ("missing", "offline"):
            return Job(entry, backends)
        if known.status == "failed":
            return None
        needed = tuple(name for name in backends if known.id in lacking[name])
        return Job(entry, needed) if needed or known.id in unanalysed else None

    def refresh_identity(self, pairs: list[tuple[int, float, int]]) -> None:
        """Store the ctime and inode of files whose content hash showed them unchanged."""
        if pairs:
            with self.lock.hold(), self.catalog.transaction() as tx:
                cat.set_identity(tx, pairs)

    def _ingest(self, jobs, embedders, report, progress, stop, publish: bool = True) -> None:
        try:
            self._ingest_chunks(jobs, embedders, report, progress, stop, publish)
        except Exception as e:
            if is_disk_full(e) and not isinstance(e, UserError):
                raise disk_full(self.data_dir) from e
            raise

    def _ingest_chunks(self, jobs, embedders, report, progress, stop, publish: bool) -> None:
        done = 0
        for chunk in Ingestor(embedders, self.settings.engine).run(jobs, stop):
            self._apply(chunk, report)
            done += len(chunk)
            if publish:
                self.events.publish(Progress(done, len(jobs), chunk[-1].entry.path))
                self.save_indexes(_SAVE_EVERY_SECONDS)
            if progress:
                progress(done, len(jobs), chunk[-1].entry.path)
        report.interrupted = bool(stop and stop.is_set())

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
        ids: list[int] = []
        with self.catalog.transaction() as tx:
            for item in chunk:
                sid = self._record(tx, item)
                ids.append(sid)
                if item.error:
                    failed_ids.append(sid)
                    continue
                for backend, vector in item.vectors.items():
                    cat.store_vector(tx, sid, backend, vector)
                    added.setdefault(backend, []).append((sid, vector))
                for backend, tags in item.tags.items():
                    cat.store_tags(tx, sid, backend, confident_tags(tags))
                if item.musical is not None:
                    store_musical(tx, sid, item.musical)
            versions = {backend: cat.bump_vectors_version(tx, backend) for backend in added}
        report.failed += [(item.entry.path, item.error) for item in chunk if item.error]
        report.indexed += sum(1 for item in chunk if not item.error)
        self._remove_from_indexes(failed_ids)
        for backend, pairs in added.items():
            self.index(backend).add(np.array([p[0] for p in pairs]), np.stack([p[1] for p in pairs]))
            self._versions[backend] = versions[backend]
        self._publish_outcomes(chunk, ids)

    def _publish_outcomes(self, chunk: list[Processed], ids: list[int]) -> None:
        for item, sid in zip(chunk, ids):
            if item.error:
                self.events.publish(SampleFailed(item.entry.path, item.error))
            else:
                self.events.publish(SampleAdded(sid, item.entry.path))

    def _record(self, tx, item: Processed) -> int:
        entry = item.entry
        root = entry.root or self.root_of(entry.path)
        return cat.record_sample(tx, path=entry.path, root=root, size=entry.size, mtime=entry.mtime,
                                 content_hash=item.content_hash, status="failed" if item.error else "ok",
                                 reason=item.error, facts=item.facts, ctime=entry.ctime or None,
                                 inode=entry.inode or None)

    def root_of(self, path: str) -> str:
        matches = [r for r in self.roots() if path == r or path.startswith(r.rstrip(os.sep) + os.sep)]
        return max(matches, key=len) if matches else os.path.dirname(path)

    def _remove_from_indexes(self, ids: list[int]) -> None:
        if ids:
            for backend in set(self._indexes) | set(self.settings.engine.backends):
                self.index(backend).remove(ids)

    def set_status(self, ids: list[int], status: str, reason: str) -> None:
        """Mark samples missing/offline (out of the indexes) with the reason; publishes SampleRemoved."""
        with self.lock.hold():
            self._set_status(ids, status, reason)

    def _set_status(self, ids: list[int], status: str, reason: str) -> None:
        if not ids:
            return
        with self.catalog.transaction() as tx:
            cat.set_status(tx, ids, status, reason)
        self._remove_from_indexes(ids)
        for row in self.catalog.samples(ids).values():
            self.events.publish(SampleRemoved(row.id, row.path, status))

    def sample(self, sample_id: int) -> SampleRow | None:
        return self.catalog.sample(sample_id)

    def sample_by_path(self, path: str | os.PathLike) -> SampleRow | None:
        return self.catalog.sample_by_path(os.path.abspath(os.fspath(path)))

    def tags(self, sample_id: int) -> dict[str, dict[str, float]]:
        return self.catalog.tags(sample_id)

    def set_favourite(self, sample_id: int, favourite: bool = True) -> None:
        with self.lock.hold():
            self.catalog.set_favourite(sample_id, favourite)
        row = self.catalog.sample(sample_id)
        if row is not None:
            self.events.publish(SampleUpdated(sample_id, row.path))

    # --- removal and statistics --------------------------------------------------------------
    def remove(self, paths: Iterable[str | os.PathLike]) -> int:
        """Forget files (the files themselves are untouched); returns how many were known."""
        rows = [r for r in (self.sample_by_path(p) for p in paths) if r is not None]
        ids = [r.id for r in rows]
        with self.lock.hold():
            with self.catalog.transaction() as tx:
                tx.executemany("DELETE FROM samples WHERE id = ?", [(i,) for i in ids])
            self._remove_from_indexes(ids)
            self.save_indexes()
        for row in rows:
            self.events.publish(SampleRemoved(row.id, row.path, "removed"))
        return len(ids)

    def stats(self) -> dict:
        counts = self.catalog.status_counts()
        return {
            "data_dir": str(self.data_dir),
            "roots": self.roots(),
            "samples": sum(counts.values()),
            "by_status": counts,
            "failure_reasons": self.catalog.failure_reasons(),
            "vectors": self.catalog.vector_counts(),
            "indexed": {name: len(self.index(name)) for name in self.settings.engine.backends},
        }
