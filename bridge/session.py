"""The browsing session the bridge keeps between requests: the last query, its results, a cursor.

It is shared by OSC and MIDI: a footswitch's "next" walks the results of the last OSC ``similar``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from soundalike.engine.library.facade import Hit


@dataclass(frozen=True)
class Selection:
    path: str
    rank: int  # 1-based rank in the results; 0 for the query itself
    score: float


class Session:
    """The query being explored: its path, its results and which result is selected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._query: str | None = None
        self._hits: list[Hit] = []
        self._cursor = -1  # -1: on the query itself

    def set_results(self, query: str | None, hits: list[Hit]) -> None:
        with self._lock:
            self._query, self._hits, self._cursor = query, list(hits), -1

    def current(self) -> str | None:
        """The selected result's path, or the query's when nothing is selected."""
        with self._lock:
            if 0 <= self._cursor < len(self._hits):
                return self._hits[self._cursor].path
            return self._query

    def move(self, step: int) -> Selection | None:
        """Select the next (+1) or previous (-1) result, stopping at the ends; None when no results."""
        with self._lock:
            if not self._hits:
                return None
            self._cursor = min(max(self._cursor + step, 0), len(self._hits) - 1)
            hit = self._hits[self._cursor]
            return Selection(hit.path, self._cursor + 1, hit.score)
