"""State the bridge keeps between requests: each client's preferences, and the shared browsing session.

Preferences are keyed by the client's address (Max's [udpsend] keeps one source port), so two
Max devices can use different backends. The session (last query, its results, a cursor) is shared
by OSC and MIDI: a footswitch's "next" walks the results of the last OSC ``similar``.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from soundalike.bridge.musical_keys import MusicalPrefs
from soundalike.engine.library.browse import Filters
from soundalike.engine.library.facade import Hit
from soundalike.engine.library.scope import LEAVING_OUT, folder_left_out

__all__ = ["FORMATS", "LEAVING_OUT", "ClientPrefs", "ClientTable"]

FORMATS = ("hits", "list", "both")


@dataclass(frozen=True)
class ClientPrefs:
    backend: str | None = None  # None: the library's default backend
    weights: dict[str, float] | None = None  # aspect weighting, None: the backend's default
    format: str = "hits"  # "hits": /result per hit; "list": /results lists; "both"
    reply_port: int = 0  # 0: the configured reply port, else the sender's port
    k: int = 0  # 0: the library's default k
    filters: Filters = Filters()
    collapse: bool = True  # fold copies and velocity layers of one sound into one result (issue 17)
    scope: str = "everywhere"  # or "other folders", "other packs": leave out the query's folder or pack
    not_under: str | None = None  # a folder whose samples are never results

    def left_out(self, path: str, roots: Sequence[str]) -> str | None:
        """The folder whose samples are not results for a query at ``path``."""
        return self.not_under or folder_left_out(self.scope, path, roots)
    musical: MusicalPrefs = MusicalPrefs()  # issue 16: key text, compatible, prefer, result fields


class ClientTable:
    """Preferences of the most recent ``capacity`` clients. When full, the least recent client that
    only chose how replies look is forgotten first: one that set a ``reply_port`` or is ``kept``
    (subscribed) goes only when every client left did the same, so throw-away senders cannot push
    a patch's reply port out."""

    def __init__(self, capacity: int = 256, kept: Callable[[tuple[str, int]], bool] = lambda client: False):
        self._prefs: OrderedDict[tuple[str, int], ClientPrefs] = OrderedDict()
        self._capacity = capacity
        self._kept = kept
        self._lock = threading.Lock()

    def get(self, client: tuple[str, int]) -> ClientPrefs:
        with self._lock:
            prefs = self._prefs.get(client)
            if prefs is not None:
                self._prefs.move_to_end(client)
            return prefs or ClientPrefs()

    def update(self, client: tuple[str, int], change: Callable[[ClientPrefs], ClientPrefs]) -> ClientPrefs:
        """Replace ``client``'s preferences by ``change(old)`` (an exception leaves them as they were)."""
        with self._lock:
            prefs = change(self._prefs.get(client, ClientPrefs()))
            self._prefs[client] = prefs
            self._prefs.move_to_end(client)
            while len(self._prefs) > self._capacity:
                del self._prefs[self._least_needed()]
            return prefs

    def _least_needed(self) -> tuple[str, int]:
        for client, prefs in self._prefs.items():  # least recent first
            if not prefs.reply_port and not self._kept(client):
                return client
        return next(iter(self._prefs))

    def __len__(self) -> int:
        return len(self._prefs)

    def snapshot(self) -> dict[tuple[str, int], ClientPrefs]:
        """Every known client's preferences, oldest first (to save them across restarts)."""
        with self._lock:
            return dict(self._prefs)

    def restore(self, saved: dict[tuple[str, int], ClientPrefs]) -> None:
        for client, prefs in saved.items():
            self.update(client, _replaced_by(prefs))


def _replaced_by(prefs: ClientPrefs) -> Callable[[ClientPrefs], ClientPrefs]:
    return lambda _old: prefs


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
