"""Compare what is on disk under one path with what the catalog says, and plan the difference.

A path may be a file, a folder (everything below it is compared) or gone. Unchanged files (same
size, mtime, ctime and inode) cost one ``stat``; a file whose ctime or inode moved but whose size
and mtime did not (a rename, ``touch``, or an overwrite by ``cp -p``/``rsync -t``) is read once and
its content hash decides; only new or changed files become decode jobs. Samples marked
offline or missing whose file is back unchanged are revived from their stored vectors, without
decoding. Nothing here writes: the live indexer applies the plan.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from engine.audio import file_hash
from engine.catalog import Catalog, Known
from engine.ingest import Job
from engine.musical.store import unanalysed_among, with_stored_tags
from engine.scanner import FileEntry, has_temporary_part, is_candidate, stat_entry, walk

log = logging.getLogger(__name__)


@dataclass
class Plan:
    root: str
    jobs: list[Job] = field(default_factory=list)
    gone: list[int] = field(default_factory=list)  # ok or failed samples whose file is not there
    revive: list[int] = field(default_factory=list)  # offline or missing samples back unchanged
    refresh: list[tuple[int, float, int]] = field(default_factory=list)  # (id, ctime, inode) verified same
    bulk: bool = False  # a folder walk: its jobs wait behind files that landed alone


def plan_path(catalog: Catalog, path: str, root: str, extensions: tuple[str, ...],
              backends: tuple[str, ...], forced: bool, musical: bool = False) -> Plan:
    """Plan ``path`` (under ``root``). ``forced``: an event touched it, so retry failed files.

    ``musical``: unchanged samples without current musical facts get a job with no backends
    (decoded and analysed only), so an existing library is analysed in the background.
    """
    plan = Plan(root, bulk=os.path.isdir(path))
    known = catalog.known_files(root) if path == root else catalog.known_under(path)
    entries = {entry.path: entry for entry in disk_entries(path, root, extensions)}
    unchanged: list[tuple[FileEntry, int]] = []
    for entry in entries.values():
        decision = _decide(entry, known.get(entry.path), forced, plan.refresh)
        if decision == "job":
            plan.jobs.append(Job(entry, backends))
        elif decision in ("same", "back"):
            unchanged.append((entry, known[entry.path].id))
    _split_unchanged(catalog, unchanged, known, backends, plan, musical)
    plan.gone = [k.id for p, k in known.items() if p not in entries and k.status in ("ok", "failed")]
    return plan


def disk_entries(path: str, root: str, extensions: tuple[str, ...]) -> list[FileEntry]:
    """Candidate files at ``path``: itself when it is one, all below it when it is a folder."""
    if path != root and has_temporary_part(path, root):
        return []
    if os.path.isdir(path):
        return list(walk(root, extensions, start=path))
    if not os.path.lexists(path) or not is_candidate(os.path.basename(path), extensions):
        return []
    return [stat_entry(path, root)]


def _decide(entry: FileEntry, known: Known | None, forced: bool, refresh: list) -> str:
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
    try:
        same = known.content_hash is not None and file_hash(entry.path, entry.size) == known.content_hash
    except OSError:
        return False
    if same:
        refresh.append((known.id, entry.ctime, entry.inode))
    return same


def _split_unchanged(catalog: Catalog, unchanged: list[tuple[FileEntry, int]], known: Known,
                     backends: tuple[str, ...], plan: Plan, musical: bool = False) -> None:
    """Unchanged files that lack a backend's vector get a job for it; those away come back."""
    have = catalog.backends_of([sid for _, sid in unchanged]) if unchanged else {}
    unanalysed = unanalysed_among(catalog, [sid for _, sid in unchanged]) if musical and unchanged else set()
    for entry, sid in unchanged:
        lacking = tuple(name for name in backends if name not in have.get(sid, ()))
        status = known[entry.path].status
        if status in ("missing", "offline"):
            if lacking:
                plan.jobs.append(Job(entry, backends))
            else:
                plan.revive.append(sid)
        elif lacking or sid in unanalysed:
            plan.jobs.append(Job(entry, lacking))
    plan.jobs[:] = with_stored_tags(catalog, plan.jobs, {entry.path: sid for entry, sid in unchanged})
