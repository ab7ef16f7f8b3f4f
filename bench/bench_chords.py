"""Chords of tonal one-shots: root, mode (the key) and full chord name found on chord one-shots
rendered with fluidsynth (bench/musical_material.py: guitars strummed down and up, piano, electric
piano, strings, pads, polysynth and organ struck; 12 roots x major, minor, 7, maj7, m7), from the
audio alone and with names like a pack's (``Amajor_UP_00``), and how many single-note one-shots
are wrongly given a chord. Rendered audio goes to a cache folder, never the repository.

    python -m bench.bench_chords [--cache DIR] [--font SF2]
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import soundfile as sf

from bench.musical_material import SOUNDFONTS, _render_one_shots, chord_items
from soundalike.engine.musical.analysis import analyse
from soundalike.engine.musical.chords import chord_name

_NAMES = {"": "major", "m": "minor", "7": "7", "maj7": "maj7", "m7": "m7"}
_SPELLED = ("C", "Csharp", "D", "Eflat", "E", "F", "Fsharp", "G", "Aflat", "A", "Bflat", "B")


def pack_name(root: int, suffix: str, up: bool, number: int) -> str:
    """A name as guitar chord packs write them: ``Csharp minor_UP_02``."""
    return f"{_SPELLED[root]} {_NAMES[suffix]}_{'UP' if up else 'DOWN'}_{number:02d}.wav"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cache", default="/tmp/soundalike-bench-chords")
    parser.add_argument("--font", default=SOUNDFONTS[0], help="soundfont to render with")
    args = parser.parse_args()
    items = chord_items(Path(args.cache), args.font)
    for named in (False, True):
        rows: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        started = time.perf_counter()
        for number, item in enumerate(items):
            audio, rate = sf.read(item.path, dtype="float32", always_2d=True)
            mono = audio.mean(axis=1)
            name = (
                pack_name(item.extra["root"], item.extra["suffix"], "_up" in item.path, number % 100) if named else ""
            )
            facts = analyse(mono, rate, mono.size / rate, name)
            group = f"{item.extra['style']} {item.extra['program']:>3}"
            for key in (group, "all"):
                rows[key]["n"] += 1
                rows[key]["key"] += facts.key == item.key
                rows[key]["chord"] += facts.chord == chord_name(item.extra["root"], item.extra["suffix"])
                rows[key]["none"] += facts.chord is None
        seconds = time.perf_counter() - started
        print(
            f"\n{'with pack names' if named else 'audio only'} ({len(items)} chords, {1000 * seconds / len(items):.1f}"
            f" ms each): key = root and major/minor right; chord = the full name (7ths too) right"
        )
        for group, c in sorted(rows.items()):
            print(
                f"  {group:<12} {c['n']:4d}  key {c['key'] / c['n']:6.1%}  chord {c['chord'] / c['n']:6.1%}"
                f"  none {c['none'] / c['n']:6.1%}"
            )
    notes = [
        item
        for n, font in enumerate(f for f in SOUNDFONTS if Path(f).exists())
        for item in _render_one_shots(Path(args.cache) / Path(font).stem, font, n)
    ]
    wrong = 0
    for item in notes:
        audio, rate = sf.read(item.path, dtype="float32", always_2d=True)
        mono = audio.mean(axis=1)
        wrong += analyse(mono, rate, mono.size / rate, "").chord is not None
    print(f"\nsingle-note one-shots given a chord: {wrong} of {len(notes)}")


if __name__ == "__main__":
    main()
