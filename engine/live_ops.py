"""Library changes the live engine makes besides decoding: renames, revivals, root states.

Each writes the catalog in one transaction first, then the indexes, then publishes events, so a
crash between steps leaves the catalog right and the index rebuilt from it on the next open.
"""
from __future__ import annotations

import logging
import time

from engine import catalog_writes as cat
from engine.events import RootState, SampleAdded, SampleRemoved, SampleUpdated
from engine.library import Library

log = logging.getLogger(__name__)

#: A sample deleted at most this long after an identical file was added is taken as moved there.
LATE_MOVE_SECONDS = 30.0


def move(library: Library, src: str, dest: str) -> int:
    """Follow a rename of a file or folder: same ids, tags, favourites and vectors; returns count."""
    root = library.root_of(dest)
    with library.lock.hold():
        with library.catalog.transaction() as tx:
            moved, replaced = cat.move_paths(tx, src, dest, root)
        _remove_from_indexes(library, replaced)
    for sid in replaced:
        library.events.publish(SampleRemoved(sid, dest, "removed"))
    for sid, path in moved:
        library.events.publish(SampleUpdated(sid, path))
    if moved:
        log.info("followed a rename %s -> %s (%d samples)", src, dest, len(moved))
    return len(moved)


def revive(library: Library, ids: list[int]) -> int:
    """Samples whose file is back unchanged: status ok and their stored vectors searchable again."""
    if not ids:
        return 0
    with library.lock.hold():
        with library.catalog.transaction() as tx:
            cat.set_status(tx, ids, "ok", None)
        for backend in library.settings.engine.backends:
            found, matrix = library.catalog.vectors_of(ids, backend)
            if found:
                library.index(backend).add(found, matrix)
    for row in library.catalog.samples(ids).values():
        library.events.publish(SampleAdded(row.id, row.path))
    return len(ids)


def adopt_recent_copies(library: Library, gone: list[int], window: float = LATE_MOVE_SECONDS) -> int:
    """Samples just marked gone whose content arrived elsewhere moments before keep their identity.

    A move between roots is seen as a create in one and a delete in the other, in either order.
    When the copy was recorded first it got a new row; the old row (favourite, tags) takes it over.
    """
    pairs, since, taken = [], time.time() - window, set(gone)
    with library.lock.hold():
        with library.catalog.transaction() as tx:
            for old_id in gone:
                new_id = cat.recent_twin(tx, old_id, since, exclude=taken)
                if new_id is not None:  # each row adopts at most one copy, and is adopted by none
                    cat.adopt(tx, old_id, new_id)
                    pairs.append((old_id, new_id))
                    taken.add(new_id)
        if not pairs:
            return 0
        _remove_from_indexes(library, [new for _, new in pairs])
        for backend in library.settings.engine.backends:
            found, matrix = library.catalog.vectors_of([old for old, _ in pairs], backend)
            if found:
                library.index(backend).add(found, matrix)
    rows = library.catalog.samples(old for old, _ in pairs)
    for old_id, new_id in pairs:
        if old_id in rows:
            library.events.publish(SampleRemoved(new_id, rows[old_id].path, "removed"))
            library.events.publish(SampleUpdated(old_id, rows[old_id].path))
    return len(pairs)


def set_root_online(library: Library, root: str, online: bool, watching: str = "") -> None:
    with library.lock.hold():
        library.catalog.set_root_online(root, online)
    library.events.publish(RootState(root, online, watching))


def _remove_from_indexes(library: Library, ids: list[int]) -> None:
    if ids:
        for backend in library.settings.engine.backends:
            library.index(backend).remove(ids)
