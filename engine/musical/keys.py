"""Notes and keys: names, parsing, and which keys mix well (same, relative, a fifth apart).

A key is an index 0-23: pitch class (C=0 .. B=11), plus 12 for minor. A note is a MIDI number.
"""

from __future__ import annotations

import re

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
_LETTERS = {"c": 0, "d": 2, "e": 4, "f": 5, "g": 7, "a": 9, "b": 11}
_KEY = re.compile(r"^\s*([a-g])\s*(#|♯|sharp|b|♭|flat|s)?\s*(m|min|minor|-|maj|major|M)?\s*$", re.IGNORECASE)
_NOTE = re.compile(r"^\s*([a-g])\s*(#|♯|b|♭|s)?\s*(-?\d)\s*$", re.IGNORECASE)


def key_name(index: int) -> str:
    """24-key index -> "C", "F#m"."""
    return NOTE_NAMES[index % 12] + ("m" if index >= 12 else "")


def note_name(midi: int) -> str:
    """MIDI note -> "C#2" (middle C, 60, is C4)."""
    return f"{NOTE_NAMES[midi % 12]}{midi // 12 - 1}"


def _pitch_class(letter: str, accidental: str | None) -> int:
    pc = _LETTERS[letter.lower()]
    acc = (accidental or "").lower()
    if acc in ("#", "♯", "sharp", "s"):
        pc += 1
    elif acc in ("b", "♭", "flat"):
        pc -= 1
    return pc % 12


def parse_key(text: str) -> int | None:
    """ "Am", "A minor", "F#m", "Bb", "Cmaj", "c#min" -> key index; None when it is not a key."""
    match = _KEY.match(text.replace(" ", "") if len(text) > 3 else text)
    if not match:
        return None
    letter, accidental, mode = match.groups()
    minor = mode is not None and (mode in ("m", "-") or mode.lower() in ("min", "minor"))
    return _pitch_class(letter, accidental) + (12 if minor else 0)


def parse_note(text: str) -> int | None:
    """ "C#2", "a3", "Bb1" -> MIDI note; None when it is not a note with an octave."""
    match = _NOTE.match(text)
    if not match:
        return None
    letter, accidental, octave = match.groups()
    base = _LETTERS[letter.lower()] + {"#": 1, "♯": 1, "s": 1, "b": -1, "♭": -1}.get((accidental or "").lower(), 0)
    midi = (int(octave) + 1) * 12 + base
    return midi if 0 <= midi <= 127 else None


def relative(index: int) -> int:
    """The relative minor of a major key and the relative major of a minor one."""
    pc, minor = index % 12, index >= 12
    return (pc + 3) % 12 if minor else (pc + 9) % 12 + 12


def compatible_keys(index: int) -> tuple[int, ...]:
    """Keys that mix with ``index``: itself, its relative, and the keys a fifth up and down (same mode)."""
    pc, mode = index % 12, 12 * (index >= 12)
    return tuple(dict.fromkeys((index, relative(index), (pc + 7) % 12 + mode, (pc + 5) % 12 + mode)))


def keys_related(a: int, b: int) -> bool:
    """True when ``b`` is ``a``, its relative, or a fifth away (the "within fifths/relative" score)."""
    return b in compatible_keys(a)
