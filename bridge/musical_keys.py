"""``/soundalike/set`` keys for musical facts (issue 16): filters by kind, tempo, key and root,
"fits the query first" for ``similar``, and extra fields on each ``/result``.

Each setter turns an OSC value into new ``ClientPrefs`` or raises QueryError saying what it takes;
"" (or 0) puts a key back to its default. The keys are table entries merged into
``settings_keys._SETTERS``.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from soundalike.engine.errors import QueryError
from soundalike.engine.library.facade import Hit, Library
from soundalike.engine.musical.analysis import Musical
from soundalike.engine.musical.filters import KINDS, parse_bpm_range, parse_keys, parse_roots


@dataclass(frozen=True)
class MusicalPrefs:
    key_text: str = ""  # as the client gave it, so "compatible" can widen or narrow it later
    compatible: bool = False
    prefer: bool = False  # similar: what fits the query (tempo, key / root) first
    fields: bool = False  # /result carries kind, bpm, key and root after the score


def _prefs(prefs) -> MusicalPrefs:
    return getattr(prefs, "musical", None) or MusicalPrefs()


def _flag(value: Any, key: str) -> bool:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value not in (0, 1):
        raise QueryError(f"{key} takes 0 or 1, got {value!r}")
    return bool(value)


def _text(value: Any, key: str) -> str:
    if not isinstance(value, str):
        raise QueryError(f"{key} takes a string, got {value!r}")
    return value.strip()


def _with_filters(prefs, **changes):
    return dataclasses.replace(prefs, filters=dataclasses.replace(prefs.filters, **changes))


def _kind(library: Library, prefs, value: Any, _max_k: int):
    kind = _text(value, "kind")
    if kind and kind not in KINDS:
        raise QueryError(f"kind takes {', '.join(KINDS)} or \"\", got {kind!r}")
    return _with_filters(prefs, kind=kind or None)


def _bpm(library: Library, prefs, value: Any, _max_k: int):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _with_filters(prefs, bpm=parse_bpm_range(f"{value:g}") if value else None)
    text = _text(value, "bpm")
    return _with_filters(prefs, bpm=parse_bpm_range(text) if text else None)


def _keys(prefs, musical: MusicalPrefs):
    keys = parse_keys(musical.key_text, musical.compatible) if musical.key_text else ()
    return dataclasses.replace(_with_filters(prefs, keys=keys), musical=musical)


def _key(library: Library, prefs, value: Any, _max_k: int):
    return _keys(prefs, dataclasses.replace(_prefs(prefs), key_text=_text(value, "key")))


def _compatible(library: Library, prefs, value: Any, _max_k: int):
    return _keys(prefs, dataclasses.replace(_prefs(prefs), compatible=_flag(value, "compatible")))


def _root(library: Library, prefs, value: Any, _max_k: int):
    text = _text(value, "root")
    return _with_filters(prefs, roots=parse_roots(text) if text else ())


def _prefer(library: Library, prefs, value: Any, _max_k: int):
    return dataclasses.replace(prefs, musical=dataclasses.replace(_prefs(prefs), prefer=_flag(value, "prefer")))


def _fields(library: Library, prefs, value: Any, _max_k: int):
    return dataclasses.replace(prefs, musical=dataclasses.replace(_prefs(prefs), fields=_flag(value, "fields")))


MUSICAL_SETTERS = {"kind": _kind, "bpm": _bpm, "key": _key, "compatible": _compatible, "root": _root,
                   "prefer": _prefer, "fields": _fields}


def result_fields(facts: Musical | None) -> tuple:
    """The extra /result arguments: kind, bpm, key, root ("" and 0.0 for what is unknown)."""
    if facts is None:
        return ("", 0.0, "", "")
    return (facts.kind or "", float(facts.bpm or 0.0), facts.key_name or "", facts.root_name or "")


def hit_fields(library: Library, hits: list[Hit]) -> dict[int, tuple]:
    facts = library.browse.musical(hit.sample.id for hit in hits)
    return {hit.sample.id: result_fields(facts.get(hit.sample.id)) for hit in hits}
