"""The bridge's kit and span requests (issue 18), kept out of the main handler table's module."""
from __future__ import annotations

import os

from engine.kit import KitBuilder
from engine.kit_export import export_kit
from engine.library import Hit, Library
from engine.recording import span_of_file
from bridge import protocol as p
from bridge.protocol import Reply


def similar_span(library: Library, path: str, start: float, end: float, k: int, prefs) -> list[Hit]:
    """The first hit between ``start`` and ``end`` seconds of ``path``, as the query."""
    clip = span_of_file(path, start, end)
    return library.similar(clip.audio, k=k, backend=prefs.backend, weights=prefs.weights, filters=prefs.filters,
                           sample_rate=clip.sample_rate)


def kit_replies(library: Library, request_id: int, seed: str) -> list[Reply]:
    kit = KitBuilder(library).build(seed)
    replies = [(p.KIT_SLOT, (request_id, slot.name, slot.note, hit.path, float(hit.score)))
               for slot, hit in kit.picks()]
    return [*replies, (p.DONE, (request_id, len(replies)))]


def export_replies(library: Library, request_id: int, seed: str, folder: str, fmt: str) -> list[Reply]:
    if not os.path.isabs(folder):
        raise ValueError(f"{folder!r} is not an absolute path")
    kit = KitBuilder(library).build(seed)
    written = export_kit(kit, folder, fmt)
    return [(p.EXPORTED, (request_id, str(written))), (p.DONE, (request_id, len(kit.picks())))]
