"""Decoded audio for audition and waveforms, kept for the last few samples touched.

Decoding happens on worker threads; the cache is shared between them, so it locks.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from soundalike.engine.library.browse import SampleRow
from soundalike.engine.pipeline.audio import Decoded, decode_file

MAX_SECONDS = 60.0


class ClipCache:
    def __init__(self, capacity: int = 32):
        self.capacity = capacity
        self._items: OrderedDict[tuple[str, float], Decoded] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sample: SampleRow) -> Decoded:
        """The decoded audio of ``sample`` (raises DecodeError with the reason)."""
        key = (sample.path, sample.mtime)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        decoded = decode_file(sample.path, MAX_SECONDS, silence_db=-200.0)
        with self._lock:
            self._items[key] = decoded
            while len(self._items) > self.capacity:
                self._items.popitem(last=False)
        return decoded
