"""The one planner: what to do with each file under a path, given what the catalog knows.

Both ``index`` (:class:`soundalike.engine.library.scan.Scanner`) and ``serve``'s live indexer use it, so
they agree. A path may be a file, a folder (everything below it is compared) or gone. For each
candidate file on disk, against its catalog row:

==========================================  ===========================================
file on disk vs its row                     plan
==========================================  ===========================================
no row (new), or it cannot be stat-ed       decode it for every backend (a job)
size or mtime differ (changed)              decode it for every backend
same size and mtime, ctime/inode moved      the content hash decides: same content is
                                            unchanged (and its ctime/inode refreshed),
                                            else changed; a file over 64 MiB (hashed by
                                            its head and tail only) is changed
unchanged, ok                               nothing; a job for the backends it lacks
                                            (a backend added), or with no backends when
                                            its musical facts are missing or old, or
                                            its copy facts (fingerprint) are missing
unchanged, offline or missing (came back)   revived from its stored vectors, no decoding;
                                            decoded again only when it lacks a backend
unchanged, failed                           skipped, unless ``forced`` (an event touched
                                            it): then tried again
changed, failed                             tried again (like any changed file)
unchanged, ok, ``forced``, unreadable now   decoded, so the reason is recorded
==========================================  ===========================================

Rows (ok or failed) whose file is not there are ``gone``: the caller marks them missing (or
offline when many went at once). Offline rows whose file is still not there stay offline (they
come back when their file does). A whole root that is not there is handled by :func:`root_away`.

:func:`plan` is pure over its inputs (disk entries, catalog rows, two lookups); only the content
hash of a file whose ctime or inode moved reads that file. :func:`plan_path` feeds it from the
disk and a catalog. Nothing here writes.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from soundalike.engine.pipeline.audio import file_hash, hashed_whole
from soundalike.engine.pipeline.ingest import Job
from soundalike.engine.pipeline.walk import FileEntry, has_temporary_part, is_candidate, stat_entry, walk
from soundalike.engine.store.catalog import Known
from soundalike.engine.store.interface import Store

#: sample ids -> the backends each has a stored vector from
HeldLookup = Callable[[Sequence[int]], Mapping[int, Collection[str]]]
#: sample ids -> those without current musical facts
UnanalysedLookup = Callable[[Sequence[int]], Collection[int]]


@dataclass
class Plan:
    root: str
    jobs: list[Job] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)  # ok or failed samples whose file is not there
    revive: list[int] = field(default_factory=list)  # offline or missing samples back unchanged
    refresh: list[tuple[int, float, int]] = field(default_factory=list)  # (id, ctime, inode) verified same
    bulk: bool = False  # a folder walk: its jobs wait behind files that landed alone
    seen: int = 0  # candidate files on disk
    skipped: int = 0  # of those, failed files left alone (unchanged, not forced)


def plan(
    entries: Iterable[FileEntry],
    known: Mapping[str, Known],
    root: str,
    backends: tuple[str, ...],
    forced: bool,
    held: HeldLookup,
    unanalysed: UnanalysedLookup | None = None,
    bulk: bool = False,
) -> Plan:
    """Plan the files ``entries`` against the rows ``known`` (path -> row, for the same span).

    ``forced``: an event touched these paths, so failed files are tried again. ``unanalysed``:
    when given, unchanged ok samples it names get a job with no backends (musical facts only).
    """
    result = Plan(root, bulk=bulk)
    on_disk: set[str] = set()
    unchanged: list[tuple[FileEntry, Known]] = []
    for entry in entries:
        if entry.path in on_disk:
            continue
        on_disk.add(entry.path)
        result.seen += 1
        row = known.get(entry.path)
        decision = decide(entry, row, forced, result.refresh)
        if decision == "job":
            result.jobs.append(Job(entry, backends))
        elif decision == "skip":
            result.skipped += 1
        elif row is not None:
            unchanged.append((entry, row))
    _split_unchanged(unchanged, backends, held, unanalysed, result)
    result.gone = [row.id for path, row in known.items() if path not in on_disk and row.status in ("ok", "failed")]
    return result


def decide(entry: FileEntry, known: Known | None, forced: bool, refresh: list[tuple[int, float, int]]) -> str:
    """'job' (decode it), 'same' (unchanged and ok), 'back' (unchanged, was away) or 'skip'."""
    if known is None or entry.problem or not unchanged_on_disk(entry, known, refresh):
        return "job"
    if known.status in ("missing", "offline"):
        return "back"
    if known.status == "failed":
        return "job" if forced else "skip"
    if forced and not os.access(entry.path, os.R_OK):
        return "job"  # permission taken away: decoding records the reason
    return "same"


def unchanged_on_disk(entry: FileEntry, known: Known, refresh: list[tuple[int, float, int]]) -> bool:
    """Whether the file is the one recorded. Size and mtime must match; when its ctime or inode
    moved (renamed, touched, or overwritten keeping its mtime) the content hash decides, and a
    match is added to ``refresh`` so the next look costs one ``stat`` again."""
    if (known.size, known.mtime) != (entry.size, entry.mtime):
        return False
    if known.ctime is None or (known.ctime, known.inode) == (entry.ctime, entry.inode):
        return True
    if not hashed_whole(entry.size):  # its hash misses the middle: decode it again (that reads only its head)
        return False
    try:
        same = known.content_hash is not None and file_hash(entry.path, entry.size) == known.content_hash
    except OSError:
        return False
    if same:
        refresh.append((known.id, entry.ctime, entry.inode))
    return same


def _split_unchanged(
    unchanged: list[tuple[FileEntry, Known]],
    backends: tuple[str, ...],
    held: HeldLookup,
    unanalysed: UnanalysedLookup | None,
    result: Plan,
) -> None:
    """Unchanged files that lack a backend's vector get a job for it; those away come back."""
    ids = [row.id for _, row in unchanged]
    have = held(ids) if ids else {}
    stale = set(unanalysed(ids)) if unanalysed is not None and ids else set()
    for entry, row in unchanged:
        lacking = tuple(name for name in backends if name not in have.get(row.id, ()))
        if row.status in ("missing", "offline"):
            if lacking:
                result.jobs.append(Job(entry, backends))
            else:
                result.revive.append(row.id)
        elif lacking or row.id in stale:
            result.jobs.append(Job(entry, lacking))


def root_away(known: Mapping[str, Known]) -> list[int]:
    """A root that is not there (unplugged drive): its ok and failed samples go offline."""
    return [row.id for row in known.values() if row.status in ("ok", "failed")]


def plan_path(
    catalog: Store,
    path: str,
    root: str,
    extensions: tuple[str, ...],
    backends: tuple[str, ...],
    forced: bool,
    musical: bool = False,
) -> Plan:
    """Plan ``path`` (under ``root``) from the disk and ``catalog``; see :func:`plan`.

    ``musical``: unchanged samples without current musical facts get a job with no backends
    (decoded and analysed only), so an existing library is analysed in the background; so do
    samples without a stored fingerprint (indexed before copies were found at index time).
    """
    known = catalog.known_files(root) if path == root else catalog.known_under(path)
    result = plan(
        disk_entries(path, root, extensions),
        known,
        root,
        backends,
        forced,
        catalog.backends_of,
        _stale_lookup(catalog, musical),
        bulk=os.path.isdir(path),
    )
    # analyse-only jobs carry the stored tags, so the drum gate decides as it did at first indexing
    if any(not job.backends for job in result.jobs):  # (the mapping costs 0.7 s at a million rows)
        result.jobs = with_stored_tags(catalog, result.jobs, {p: row.id for p, row in known.items()})
    return result


def _stale_lookup(catalog: Store, musical: bool) -> UnanalysedLookup:
    def stale(ids: Sequence[int]) -> set[int]:  # decoded again without embedding: facts only
        return (catalog.unanalysed_among(ids) if musical else set()) | catalog.without_facts(ids)

    return stale


def still_to_do(catalog: Store, jobs: Sequence[Job], backends: tuple[str, ...], musical: bool) -> list[Job]:
    """Of ``jobs`` planned a moment ago, those the catalog as it is now still wants decoded (another
    indexer sharing it may have recorded some since). Failed files unchanged are not tried again."""
    by_root: dict[str, list[Job]] = {}
    for job in jobs:
        by_root.setdefault(job.entry.root, []).append(job)
    wanted: set[str] = set()
    for root, group in by_root.items():
        known: dict[str, Known] = {}
        for job in group:
            known.update(catalog.known_under(job.entry.path))
        entries = [job.entry for job in group]
        fresh = plan(entries, known, root, backends, False, catalog.backends_of, _stale_lookup(catalog, musical))
        wanted |= {job.entry.path for job in fresh.jobs}
    return [job for job in jobs if job.entry.path in wanted]


def disk_entries(path: str, root: str, extensions: tuple[str, ...]) -> list[FileEntry]:
    """Candidate files at ``path``: itself when it is one, all below it when it is a folder."""
    if path != root and has_temporary_part(path, root):
        return []
    if os.path.isdir(path):
        return list(walk(root, extensions, start=path))
    if not os.path.lexists(path) or not is_candidate(os.path.basename(path), extensions):
        return []
    return [stat_entry(path, root)]


def with_stored_tags(catalog: Store, jobs: list[Job], id_of: Mapping[str, int]) -> list[Job]:
    """``jobs`` where those with no backends (decode and analyse only: the file is unchanged) carry
    the tags stored for it, so the drum gate (soundalike.engine.musical.drums) works there as at first indexing."""
    ids = [id_of[job.entry.path] for job in jobs if not job.backends and job.entry.path in id_of]
    if not ids:
        return jobs
    stored = catalog.stored_tags(ids)
    return [
        dataclasses.replace(job, tags=stored.get(id_of[job.entry.path]))
        if not job.backends and job.entry.path in id_of
        else job
        for job in jobs
    ]
