"""The bridge's kit and span requests (issue 18), kept out of the main handler table's module.

Each client has its own current kit: ``/kit`` builds one around a sound, ``/kit_edit`` cycles,
locks or rerolls it, ``/kit_export`` writes it. Kits are kept for the most recent clients only.
"""
from __future__ import annotations

import os
import random
import threading
from collections import OrderedDict

from soundalike.bridge import protocol as p
from soundalike.bridge.protocol import Reply
from soundalike.engine.errors import QueryError
from soundalike.engine.kits.builder import Kit, KitBuilder
from soundalike.engine.kits.export import export_kit
from soundalike.engine.library.facade import Hit, Library
from soundalike.engine.pipeline.recording import span_of_file

EDITS = ("next", "previous", "lock", "reroll")


def similar_span(library: Library, path: str, start: float, end: float, k: int, prefs) -> list[Hit]:
    """The first hit between ``start`` and ``end`` seconds of ``path``, as the query."""
    clip = span_of_file(path, start, end)
    return library.similar(clip.audio, k=k, backend=prefs.backend, weights=prefs.weights, filters=prefs.filters,
                           sample_rate=clip.sample_rate)


class KitSessions:
    """Each client's current kit (the ``capacity`` most recent clients)."""

    def __init__(self, capacity: int = 64):
        self.capacity = capacity
        self._kits: OrderedDict[tuple[str, int], Kit] = OrderedDict()
        self._lock = threading.Lock()
        self._rng = random.Random()

    def build(self, library: Library, client: tuple[str, int], seed: str) -> Kit:
        kit = KitBuilder(library).build(seed)
        with self._lock:
            self._kits[client] = kit
            self._kits.move_to_end(client)
            while len(self._kits) > self.capacity:
                self._kits.popitem(last=False)
        return kit

    def current(self, client: tuple[str, int]) -> Kit:
        with self._lock:
            kit = self._kits.get(client)
        if kit is None:
            raise QueryError("no kit yet: send /soundalike/kit path first")
        return kit

    def edit(self, client: tuple[str, int], action: str, slot: str) -> Kit:
        if action not in EDITS:
            raise QueryError(f"unknown kit edit {action!r}; one of {', '.join(EDITS)}")
        kit = self.current(client)
        if action == "reroll":
            kit.reroll(self._rng)
        elif not slot:
            raise QueryError(f"{action} needs a slot, e.g. snare")
        elif action == "lock":
            kit.toggle_lock(slot)
        else:
            kit.cycle(slot, 1 if action == "next" else -1)
        return kit


def kit_replies(request_id: int, kit: Kit) -> list[Reply]:
    replies = [(p.KIT_SLOT, (request_id, c.slot.name, c.slot.note, c.pick.path, float(c.pick.score),
                             c.index + 1, len(c.choices), int(c.locked)))
               for c in kit.slots if c.pick is not None]
    unfilled = [(p.KIT_UNFILLED, (request_id, c.slot.name, c.slot.note)) for c in kit.slots if c.pick is None]
    return [*replies, *unfilled, (p.DONE, (request_id, len(replies)))]


def export_replies(kit: Kit, request_id: int, folder: str, fmt: str) -> list[Reply]:
    if not os.path.isabs(folder):
        raise QueryError(f"{folder!r} is not an absolute path")
    written = export_kit(kit, folder, fmt)
    return [(p.EXPORTED, (request_id, str(written))), (p.DONE, (request_id, len(kit.picks())))]
