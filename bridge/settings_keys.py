"""``/soundalike/set key value``: the per-client preferences a client may change, checked here.

Each key turns its OSC value into new ``ClientPrefs``, or raises QueryError saying what it
accepts. An empty string (or 0) puts a key back to its default.
"""
from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from soundalike.bridge.musical_keys import MUSICAL_SETTERS
from soundalike.bridge.session import FORMATS, LEAVING_OUT, ClientPrefs
from soundalike.engine.errors import QueryError
from soundalike.engine.library.facade import Library
from soundalike.engine.weights import parse_weights

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
    if style not in FORMATS:
        raise QueryError(f"format takes one of {', '.join(FORMATS)}, got {style!r}")
    return dataclasses.replace(prefs, format=style)


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


_SETTERS: dict[str, Setter] = {"backend": _backend, "aspect": _aspect, "format": _format,
                               "reply_port": _reply_port, "k": _k, "tag": _tag, "under": _under,
                               "collapse": _collapse, "scope": _scope, "not_under": _not_under,
                               **MUSICAL_SETTERS}  # issue 16: kind, bpm, key, compatible, root, prefer, fields
