"""Musical filters and preferences: text forms ("118-124", "Am", "C#"), and ranking hits
by how well they fit a query (same tempo range, compatible key, same root).

A BPM range matches a sample's tempo or its half/double alternative, so a loop read as 60 BPM
is found by a 118-124 search. Keys are 24-key indexes; "compatible" adds the relative key and
the keys a fifth up and down.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal, get_args

from soundalike.engine.errors import QueryError
from soundalike.engine.musical.keys import compatible_keys, key_name, parse_key, parse_note
from soundalike.engine.musical.names import BPM_RANGE

if TYPE_CHECKING:  # the CLI reads the filters' text forms without loading the analysis (numpy)
    from soundalike.engine.musical.analysis import Musical

#: What a sample is: a loop (a steady beat) or a one-shot.
SampleKind = Literal["loop", "one-shot"]
KINDS: tuple[SampleKind, ...] = get_args(SampleKind)
#: A single BPM given as a filter (or taken from a query loop) matches within this share.
TEMPO_TOLERANCE = 0.04


def parse_bpm_range(text: str) -> tuple[float, float]:
    """ "118-124" -> (118, 124); "120" -> (115.2, 124.8). QueryError saying what is accepted."""
    low, sep, high = str(text).strip().partition("-")
    try:
        values = (float(low), float(high)) if sep else (float(low), float(low))
    except ValueError:
        raise QueryError(f"bpm takes BPM or LOW-HIGH (e.g. 120 or 118-124), got {text!r}") from None
    if not sep:
        values = (values[0] * (1 - TEMPO_TOLERANCE), values[0] * (1 + TEMPO_TOLERANCE))
    lo, hi = min(values), max(values)
    if lo < BPM_RANGE[0] / 2 or hi > BPM_RANGE[1] * 2:
        raise QueryError(f"bpm {text!r} is outside {BPM_RANGE[0] / 2:g}-{BPM_RANGE[1] * 2:g}")
    return round(lo, 3), round(hi, 3)


def parse_keys(text: str, compatible: bool = False) -> tuple[int, ...]:
    """ "Am" or "Am,C" (and with ``compatible`` their relatives and fifths) -> key indexes."""
    keys: list[int] = []
    for part in str(text).split(","):
        index = parse_key(part)
        if index is None:
            raise QueryError(f"key takes names like Am, F#m, C or Bb (several with commas), got {part.strip()!r}")
        keys += compatible_keys(index) if compatible else [index]
    return tuple(dict.fromkeys(keys))


def parse_roots(text: str) -> tuple[int, ...]:
    """ "C#" or "C#2" or "C,G" -> pitch classes (0-11); the octave, when given, is ignored."""
    classes: list[int] = []
    for part in str(text).split(","):
        note = parse_note(part)
        index = parse_key(part) if note is None else note % 12
        if index is None or index >= 12:
            raise QueryError(f"root takes notes like C#, Eb or A2 (several with commas), got {part.strip()!r}")
        classes.append(index % 12)
    return tuple(dict.fromkeys(classes))


def fit(query: Musical, other: Musical | None) -> int:
    """How well ``other`` goes with ``query``: loops score a point each for tempo and key, tonal
    one-shots two for the same root; 0 when nothing is known."""
    if other is None:
        return 0
    if query.kind == "loop":
        tempo = (
            query.bpm is not None
            and other.bpm is not None
            and any(abs(b - query.bpm) <= TEMPO_TOLERANCE * query.bpm for b in (other.bpm, other.bpm_alternative) if b)
        )
        key = query.key is not None and other.key in compatible_keys(query.key)
        return int(tempo) + int(key)
    if query.root is not None and other.root is not None:
        return 2 * int(query.root % 12 == other.root % 12)
    return 0


def describe(facts: Musical | None) -> str:
    """ "loop 120 BPM Am", "one-shot C#2", "one-shot chord Am7", "" when unknown."""
    if facts is None:
        return ""
    parts: list[str] = [facts.kind or ""]
    if facts.bpm:
        parts.append(f"{facts.bpm:g} BPM")
    if facts.chord:
        parts.append(f"chord {facts.chord}")
    elif facts.key is not None:
        parts.append(key_name(facts.key))
    if facts.root is not None and not facts.chord:
        parts.append(facts.root_name or "")
    return " ".join(p for p in parts if p)
