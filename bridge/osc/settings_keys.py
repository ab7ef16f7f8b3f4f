"""``/soundalike/set key value``: the per-client preferences a client may change, checked here.

Each key turns its OSC value into new ``ClientPrefs``, or raises QueryError saying what it
accepts. An empty string (or 0) puts a key back to its default. The musical keys filter by kind,
tempo, key and root, put what fits the query first for ``similar``, and add fields to each ``/result``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

import numpy as np

from soundalike.bridge.osc.prefs import FORMATS, ClientPrefs, MusicalPrefs
from soundalike.engine.errors import QueryError
from soundalike.engine.library.facade import Library
from soundalike.engine.library.scope import LEAVING_OUT
from soundalike.engine.musical.filters import KINDS, parse_bpm_range, parse_keys, parse_roots
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
    """ "other folders" or "other packs": no results from the query's folder or pack; "" or "everywhere": all."""
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
        raise QueryError(f'kind takes {", ".join(KINDS)} or "", got {kind!r}')
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


_SETTERS: dict[str, Setter] = {
    "backend": _backend,
    "aspect": _aspect,
    "format": _format,
    "reply_port": _reply_port,
    "k": _k,
    "tag": _tag,
    "under": _under,
    "collapse": _collapse,
    "scope": _scope,
    "not_under": _not_under,
    "kind": _kind,
    "bpm": _bpm,
    "key": _key,
    "compatible": _compatible,
    "root": _root,
    "prefer": _prefer,
    "fields": _fields,
}
