"""What every kit export shares: safe file names, and velocity layers found next to a pick."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from soundalike.engine.kits.builder import Kit
from soundalike.engine.kits.slots import Slot

#: A velocity word at the end of a file's stem: Kick-Soft.wav, snare_ff.wav, Tom v3.wav.
_LAYER = re.compile(
    r"^(?P<base>.*?)[-_ ](?P<word>softest|soft|medium|med|hardest|hard|ppp|pp|p|mp|mf|fff|ff|f"
    r"|v\d{1,3}|vel\d{1,3})$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Layer:
    path: str
    low: float  # velocity range, 0..1 (low exclusive except for the first layer)
    high: float


def safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "-", text).strip("-") or "sample"


def slot_file_name(number: int, slot: Slot, source: str) -> str:
    """``03 clap - HandClap.wav``-like, without spaces: ``03-clap-HandClap.wav``."""
    return f"{number:02d}-{safe_name(slot.name)}-{safe_name(Path(source).name)}"


def velocity_layers(path: str) -> list[Layer]:
    """The pick and its velocity siblings (same folder, same name but the velocity word), softest
    first, each with its share of the velocity range; just the pick when none. The order is the
    names' when they give one (Soft < Medium < Hard < Hardest, pp < mf < ff, v1 < v2: a sample
    named Hard may be quieter than Medium, and is still meant for harder hits), else measured level."""
    stem, ext = os.path.splitext(os.path.basename(path))
    match = _LAYER.match(stem)
    if not match:
        return [Layer(path, 0.0, 1.0)]
    folder, base = os.path.dirname(path), match["base"].lower()
    try:
        names = os.listdir(folder)
    except OSError:
        return [Layer(path, 0.0, 1.0)]
    siblings = [os.path.join(folder, name) for name in names if _same_group(name, base, ext)]
    if len(siblings) < 2:
        return [Layer(path, 0.0, 1.0)]
    ordered = sorted(siblings, key=_name_rank) if _names_give_order(siblings) else sorted(siblings, key=_level)
    edges = np.linspace(0.0, 1.0, len(ordered) + 1)
    return [Layer(p, float(edges[i]), float(edges[i + 1])) for i, p in enumerate(ordered)]


def _same_group(name: str, base: str, ext: str) -> bool:
    stem, own_ext = os.path.splitext(name)
    match = _LAYER.match(stem)
    return match is not None and own_ext.lower() == ext.lower() and match["base"].lower() == base


#: Velocity words in order, softest first, by family: a family orders the layers that all use it.
_WORD_ORDER = {"softest": 0, "soft": 1, "medium": 2, "med": 2, "hard": 3, "hardest": 4}
_DYNAMICS = {"ppp": 0, "pp": 1, "p": 2, "mp": 3, "mf": 4, "f": 5, "ff": 6, "fff": 7}


def _word(path: str) -> str:
    match = _LAYER.match(os.path.splitext(os.path.basename(path))[0])
    return match["word"].lower() if match else ""


def _family(word: str) -> str | None:
    if word in _WORD_ORDER:
        return "words"
    if word in _DYNAMICS:
        return "dynamics"
    return "numbers" if re.fullmatch(r"(?:v|vel)\d+", word) else None


def _names_give_order(paths: list[str]) -> bool:
    """True when every layer's velocity word is of one family (Soft/Medium/Hard, pp/mf/ff, v1/v2)
    and no two share a rank: the names then say the order, and it is followed."""
    words = [_word(p) for p in paths]
    families = {_family(w) for w in words}
    return len(families) == 1 and None not in families and len({_name_rank(p) for p in paths}) == len(paths)


def _name_rank(path: str) -> int:
    word = _word(path)
    if word in _WORD_ORDER:
        return _WORD_ORDER[word]
    if word in _DYNAMICS:
        return _DYNAMICS[word]
    return int(re.sub(r"\D", "", word) or 0)


def _level(path: str) -> float:
    """RMS of the first second: the order of layers whose names do not give one."""
    try:
        audio, _ = sf.read(path, frames=48000, dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, OSError):
        return float("inf")
    return float(np.sqrt(np.mean(np.square(audio)))) if audio.size else 0.0


def numbered_picks(kit: Kit) -> list[tuple[int, Slot, str]]:
    """(slot number from 1, slot, source path) for every filled slot, in kit order."""
    return [(number, slot, hit.path) for number, (slot, hit) in enumerate(kit.picks(), 1)]
