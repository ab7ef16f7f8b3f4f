"""What a file's name (the path below its root) says: loop or one-shot, tempo, key, root note.

Names are hints, weighed against the audio later. A tempo written with "bpm" is a strong hint; a
bare number between separators (``loop_drone_g_97``) a weak one. A key written with its mode
(``Am``, ``F#min``) or a note with its octave (``C#2``) is strong; a lone letter (``bass_hit_c``)
is weak. Values no music has (``999bpm``) are rejected with a reason.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from soundalike.engine.musical.keys import parse_key, parse_note

BPM_RANGE = (40.0, 300.0)
_BARE_BPM_RANGE = (60.0, 200.0)
_EXPLICIT_BPM = (
    re.compile(r"(\d{2,4}(?:[.,]\d+)?)\s*[-_ ]?\s*bpm", re.IGNORECASE),
    re.compile(r"bpm\s*[-_ =]?\s*(\d{2,4}(?:[.,]\d+)?)", re.IGNORECASE),
)
_TOKENS = re.compile(r"[\s_\-.()\[\],]+")
_LOOP_WORDS = ("loop", "loops", "break", "breaks", "groove", "beat", "beats")
_ONE_SHOT_WORDS = ("oneshot", "oneshots", "hit", "hits", "shot", "shots", "stab", "stabs")
#: Words naming a pitched instrument: such a file is never taken for a drum (soundalike.engine.musical.drums),
#: whatever the built-in tags say ("bass_punch", "violin_pizzicato" score as a kick and a hand drum).
_TONAL_WORDS = frozenset(
    (
        "bass",
        "sub",
        "synth",
        "pluck",
        "lead",
        "pad",
        "chord",
        "chords",
        "stab",
        "piano",
        "keys",
        "organ",
        "string",
        "strings",
        "violin",
        "viola",
        "cello",
        "brass",
        "horn",
        "trumpet",
        "sax",
        "flute",
        "guitar",
        "vocal",
        "vox",
        "voice",
        "marimba",
        "arp",
        "pizzicato",
        "note",
    )
)
_DRUM_WORDS = frozenset(("drum", "drums", "kick", "bd", "snare", "tom", "hat", "hihat", "cymbal", "perc"))


@dataclass(frozen=True)
class NameHints:
    loop: bool | None = None  # True: says loop, False: says one-shot, None: says nothing
    bpm: float | None = None
    bpm_strong: bool = False
    key: int | None = None  # 24-key index
    key_strong: bool = False
    note: int | None = None  # MIDI note
    tonal: bool = False  # the name or a folder names a pitched instrument (and none a drum)
    chord: tuple[int, str] | None = None  # (root pitch class, quality: "", "m", "7", "maj7", "m7")
    chord_strong: bool = False  # written with its quality or accidental ("Cm7", "Bflat major"), not a lone letter
    words: frozenset[str] = frozenset()  # the words of the path below the root, lower case, digits dropped
    loop_reason: str | None = None  # which word said loop or one-shot, and where ("file name says 'loop'")
    loop_in_file: bool = False  # that word is in the file's own name (stronger than a folder's)
    rejected: str | None = None  # a value the name gave that no music has


def read_name(path: str, root: str = "") -> NameHints:
    """Hints from the path below ``root`` (its folders count for loop/one-shot, the file name for the rest)."""
    below = path[len(root) :] if root and path.startswith(root) else path
    stem = os.path.splitext(os.path.basename(below))[0]
    bpm, strong, rejected = _bpm(stem)
    key, key_strong, note = _key(stem)
    chord, chord_strong = read_chord(stem)
    if chord is not None and chord_strong and not key_strong:
        key, key_strong = chord[0] + (12 if chord[1] in ("m", "m7") else 0), True
    loop, loop_reason, in_file = _loop_hint(below)
    return NameHints(
        loop=loop,
        bpm=bpm,
        bpm_strong=strong,
        key=key,
        key_strong=key_strong,
        note=note,
        tonal=_tonal(os.path.splitext(below)[0]),
        rejected=rejected,
        chord=chord,
        chord_strong=chord_strong,
        words=_words(os.path.splitext(below)[0]),
        loop_reason=loop_reason,
        loop_in_file=in_file,
    )


_CHORD = re.compile(r"^([a-g])(#|♯|sharp|flat|♭|b|s)?(maj7|M7|min7|m7|-7|7|major|maj|minor|min|m|M|-)?$", re.IGNORECASE)
_CHORD_WORDS = frozenset(("chord", "chords", "strum", "stab", "stabs", "triad"))
_QUALITIES = {
    "": "",
    "maj": "",
    "major": "",
    "M": "",
    "m": "m",
    "min": "m",
    "minor": "m",
    "-": "m",
    "7": "7",
    "maj7": "maj7",
    "M7": "maj7",
    "m7": "m7",
    "min7": "m7",
    "-7": "m7",
}


def read_chord(stem: str) -> tuple[tuple[int, str] | None, bool]:
    """((root pitch class, quality), strong?) from a file name: "Amajor_UP_00", "Csharp minor_02",
    "Bflat major_DOWN_01", "Cm7", "F#min", "pad_Ebmaj7"; any word, the first too. Strong when the
    quality or an accidental is written out; a lone capital letter before a word ("E_piano") is no chord."""
    tokens = [t for t in _TOKENS.split(stem) if t]
    for i, token in enumerate(tokens):
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        match = _CHORD.match(token)
        if not match:
            continue
        letter, accidental, quality = match.groups()
        if (
            quality is None
            and _QUALITIES.get(following.lower() if following.lower() != "m" else following) is not None
            and following.lower() in ("major", "minor", "maj", "min", "maj7", "min7", "m7", "7")
        ):
            quality = following
        spelled = quality is not None or (accidental or "").lower() in ("sharp", "flat", "#", "♯", "♭")
        if quality is None and not spelled:
            if len(token) == 2 and token[0].isupper() and token[1] == "b":  # "Bb", "Eb": a flat
                spelled = True
            else:
                continue  # a lone letter ("E_piano", "a_kick"): not a chord
        kind = (
            _QUALITIES.get(quality, None)
            if quality in ("M", "M7", "m", "m7")
            else _QUALITIES.get((quality or "").lower(), "")
        )
        if kind is None or (kind == "7" and quality == token[-1:] and not _CHORD_WORDS & {t.lower() for t in tokens}):
            continue  # "A7" alone is as likely the note A7
        root = parse_key(letter + (accidental or "")) if accidental else parse_key(letter)
        if root is None:
            continue
        return (root % 12, kind), True
    return None, False


def _loop_hint(below: str) -> tuple[bool | None, str | None, bool]:
    """(loop?, why, from the file's own name?): the file name first, then its folders, nearest first."""
    parts = [p for p in below.split(os.sep) if p]
    if not parts:
        return None, None, False
    said = _loop(parts[-1].lower())
    if said is not None:
        return said, f"file name says {'loop' if said else 'one-shot'}", True
    for folder in reversed(parts[:-1]):
        said = _loop(folder.lower())
        if said is not None:
            return said, f"folder '{folder}' says {'loop' if said else 'one-shot'}", False
    return None, None, False


def _words(below: str) -> frozenset[str]:
    return frozenset(t.rstrip("0123456789") or t for t in _TOKENS.split(below.lower().replace(os.sep, " ")) if t)


def _tonal(below: str) -> bool:
    """The path below the root (folders too: "Bass/hit_43") names a pitched instrument and no drum."""
    words = _words(below)
    return bool(words & _TONAL_WORDS) and not words & _DRUM_WORDS


def _loop(below: str) -> bool | None:
    words = set(_TOKENS.split(below.replace(os.sep, " ")))
    if "loop" in below or words & set(_LOOP_WORDS):
        return True
    if any(w in below for w in ("one shot", "oneshot", "one-shot", "one_shot")) or words & set(_ONE_SHOT_WORDS):
        return False
    return None


def _bpm(stem: str) -> tuple[float | None, bool, str | None]:
    for pattern in _EXPLICIT_BPM:
        match = pattern.search(stem)
        if match:
            value = float(match.group(1).replace(",", "."))
            if BPM_RANGE[0] <= value <= BPM_RANGE[1]:
                return value, True, None
            return None, False, f"name says {match.group(1)} bpm, not a usable tempo"
    for token in _TOKENS.split(stem)[1:]:  # a bare number, never the first word ("808_kick")
        if token.isdigit() and _BARE_BPM_RANGE[0] <= int(token) <= _BARE_BPM_RANGE[1]:
            return float(token), False, None
    return None, False, None


def _key(stem: str) -> tuple[int | None, bool, int | None]:
    """(key index, strong?, MIDI note) from the words after the first."""
    tokens = [t for t in _TOKENS.split(stem) if t]
    key, strong, note = None, False, None
    for i in range(1, len(tokens)):
        token = tokens[i]
        following = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
        if following in ("major", "minor", "maj", "min") and parse_key(token + following) is not None:
            return parse_key(token + following), True, note
        if note is None and len(token) <= 4 and parse_note(token) is not None:
            note = parse_note(token)
            continue
        index = parse_key(token) if len(token) <= 6 else None
        if index is None:
            continue
        if _strong_key_word(token) and not strong:
            key, strong = index, True
        elif key is None:
            key = index
    if note is not None and not strong:
        key, strong = note % 12, False
    return key, strong, note


def _strong_key_word(token: str) -> bool:
    """ "Am", "F#", "Bb", "Cmaj" are keys; "c", "bb", "eb" could be anything."""
    return len(token) > 1 and not (token.islower() and len(token) == 2 and token[1] == "b")
