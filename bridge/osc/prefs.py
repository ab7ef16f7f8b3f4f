"""Each OSC client's preferences, and ``/soundalike/set key value``, the one way a client changes them.

Preferences are keyed by the client's address (Max's [udpsend] keeps one source port), so two
Max devices can use different backends. Each key turns its OSC value into new ``ClientPrefs``, or
raises QueryError saying what it accepts. An empty string (or 0) puts a key back to its default.
The musical keys filter by kind, tempo, key and root, put what fits the query first for
``similar``, and add fields to each ``/result``.
"""
from __future__ import annotations

import dataclasses
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

import numpy as np

from soundalike.engine.errors import QueryError
from soundalike.engine.library.browse import Filters
from soundalike.engine.library.facade import Library
from soundalike.engine.library.scope import LEAVING_OUT, folder_left_out
from soundalike.engine.musical.filters import KINDS, parse_bpm_range, parse_keys, parse_roots
from soundalike.engine.weights import parse_weights

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


Setter = Callable[[Library, ClientPrefs, Any, int], ClientPrefs]


def apply_setting(library: Library, prefs: ClientPrefs, key: str, value: Any, max_k: int) -> ClientPrefs:
    setter = _SETTERS.get(key)
    if setter is None:
        raise QueryError(f"unknown setting {key!r}; valid: {', '.join(sorted(_SETTERS))}")
    return setter(library, prefs, value, max_k)


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise QueryError(f"{key} takes a string, got {value!r}")
    return value.strip()


def _number(value: Any, key: str, high: int) -> int:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value <= high:
        raise QueryError(f"{key} takes an int from 0 to {high}, got {value!r}")
    return value


def _backend(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    name = _text(value, "backend")
    enabled = library.settings.engine.backends
    if name and name not in enabled:
        raise QueryError(f"backend {name!r} is not enabled; enabled: {', '.join(enabled)}")
    return dataclasses.replace(prefs, backend=name or None)


def _aspect(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    weights = parse_weights(_text(value, "aspect"))
    if weights:
        embedder = library.embedder(prefs.backend or library.settings.engine.default_backend)
        embedder.query_vector(_zeros(embedder.dim), weights)  # raises QueryError naming the valid aspects
    return dataclasses.replace(prefs, weights=weights)


def _zeros(dim: int) -> np.ndarray:
    return np.zeros(dim, dtype=np.float32)


def _format(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    style = _text(value, "format") or "hits"
    for choice in FORMATS:
        if style == choice:
            return dataclasses.replace(prefs, format=choice)
    raise QueryError(f"format takes one of {', '.join(FORMATS)}, got {style!r}")


def _reply_port(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    return dataclasses.replace(prefs, reply_port=_number(value, "reply_port", 65535))


def _k(library: Library, prefs: ClientPrefs, value: Any, max_k: int) -> ClientPrefs:
    return dataclasses.replace(prefs, k=_number(value, "k", max_k))


def _tag(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    tag = _text(value, "tag") or None
    return dataclasses.replace(prefs, filters=dataclasses.replace(prefs.filters, tag=tag))


def _under(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    folder = _text(value, "under")
    under = os.path.abspath(os.path.expanduser(folder)) if folder else None
    return dataclasses.replace(prefs, filters=dataclasses.replace(prefs.filters, under=under))


def _collapse(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    """1 (the default; "" too): copies and velocity layers of one sound come back as one result; 0: each."""
    if value == "" or value in (0, 1):
        return dataclasses.replace(prefs, collapse=value != 0)
    raise QueryError(f"collapse takes 1 (fold copies and layers into one result) or 0, got {value!r}")


def _scope(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    """"other folders" or "other packs": no results from the query's folder or pack; "" or "everywhere": all."""
    scope = _text(value, "scope") or "everywhere"
    if scope not in ("everywhere", *LEAVING_OUT):
        raise QueryError(f"scope takes one of everywhere, {', '.join(LEAVING_OUT)}, got {scope!r}")
    return dataclasses.replace(prefs, scope=scope)


def _not_under(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    folder = _text(value, "not_under")
    return dataclasses.replace(prefs, not_under=os.path.abspath(os.path.expanduser(folder)) if folder else None)


# --- the musical keys ---------------------------------------------------------------------------
def _flag(value: Any, key: str) -> bool:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value not in (0, 1):
        raise QueryError(f"{key} takes 0 or 1, got {value!r}")
    return bool(value)


def _with_filters(prefs: ClientPrefs, **changes: Any) -> ClientPrefs:
    return dataclasses.replace(prefs, filters=dataclasses.replace(prefs.filters, **changes))


def _kind(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    kind = _text(value, "kind")
    if kind and kind not in KINDS:
        raise QueryError(f"kind takes {', '.join(KINDS)} or \"\", got {kind!r}")
    return _with_filters(prefs, kind=kind or None)


def _bpm(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _with_filters(prefs, bpm=parse_bpm_range(f"{value:g}") if value else None)
    text = _text(value, "bpm")
    return _with_filters(prefs, bpm=parse_bpm_range(text) if text else None)


def _keys(prefs: ClientPrefs, musical: MusicalPrefs) -> ClientPrefs:
    keys = parse_keys(musical.key_text, musical.compatible) if musical.key_text else ()
    return dataclasses.replace(_with_filters(prefs, keys=keys), musical=musical)


def _key(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    return _keys(prefs, dataclasses.replace(prefs.musical, key_text=_text(value, "key")))


def _compatible(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    return _keys(prefs, dataclasses.replace(prefs.musical, compatible=_flag(value, "compatible")))


def _root(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    text = _text(value, "root")
    return _with_filters(prefs, roots=parse_roots(text) if text else ())


def _prefer(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    return dataclasses.replace(prefs, musical=dataclasses.replace(prefs.musical, prefer=_flag(value, "prefer")))


def _fields(library: Library, prefs: ClientPrefs, value: Any, _max_k: int) -> ClientPrefs:
    return dataclasses.replace(prefs, musical=dataclasses.replace(prefs.musical, fields=_flag(value, "fields")))


_SETTERS: dict[str, Setter] = {"backend": _backend, "aspect": _aspect, "format": _format,
                               "reply_port": _reply_port, "k": _k, "tag": _tag, "under": _under,
                               "collapse": _collapse, "scope": _scope, "not_under": _not_under,
                               "kind": _kind, "bpm": _bpm, "key": _key, "compatible": _compatible, "root": _root,
                               "prefer": _prefer, "fields": _fields}
