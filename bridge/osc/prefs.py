"""Each OSC client's preferences (``settings_keys`` changes them), and the table of recent clients.

Preferences are keyed by the client's address (Max's [udpsend] keeps one source port), so two
Max devices can use different backends.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from soundalike.engine.library.browse import Filters
from soundalike.engine.library.scope import folder_left_out

#: How results come back: "hits" (a /result per hit), "list" (/results lists) or "both".
ReplyFormat = Literal["hits", "list", "both"]
FORMATS: tuple[ReplyFormat, ...] = get_args(ReplyFormat)


@dataclass(frozen=True)
class MusicalPrefs:
    key_text: str = ""  # as the client gave it, so "compatible" can widen or narrow it later
    compatible: bool = False
    prefer: bool = False  # similar: what fits the query (tempo, key / root) first
    fields: bool = False  # /result carries kind, bpm, key and root after the score


@dataclass(frozen=True)
class ClientPrefs:
    backend: str | None = None  # None: the library's default backend
    weights: dict[str, float] | None = None  # aspect weighting, None: the backend's default
    format: ReplyFormat = "hits"
    reply_port: int = 0  # 0: the configured reply port, else the sender's port
    k: int = 0  # 0: the library's default k
    filters: Filters = Filters()
    collapse: bool = True  # fold copies and velocity layers of one sound into one result
    scope: str = "everywhere"  # or "other folders", "other packs": leave out the query's folder or pack
    not_under: str | None = None  # a folder whose samples are never results

    def left_out(self, path: str, roots: Sequence[str]) -> str | None:
        """The folder whose samples are not results for a query at ``path``."""
        return self.not_under or folder_left_out(self.scope, path, roots)

    musical: MusicalPrefs = MusicalPrefs()  # key text, compatible, prefer, result fields


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
