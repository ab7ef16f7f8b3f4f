"""Generated drum kits with every kind a kit slot wants, velocity layers and pitched toms."""

from __future__ import annotations

import numpy as np

from soundalike.engine.tools.demo import render
from tests.conftest import write

KIT_SOUNDS = (
    ("kick", "Kick"),
    ("snare", "Snare"),
    ("clap", "Clap"),
    ("closed hat", "HatClosed"),
    ("open hat", "HatOpen"),
    ("cymbal", "Crash"),
    ("cymbal", "Ride"),
    ("shaker", "Shaker"),
)
TOM_PITCHES = (90.0, 140.0, 210.0)


def tom_at(pitch: float, rate: int = 44100) -> np.ndarray:
    t = np.arange(int(0.45 * rate)) / rate
    freq = pitch * (1 + 0.3 * np.exp(-t / 0.05))
    return (np.sin(2 * np.pi * np.cumsum(freq) / rate) * np.exp(-t / 0.18) * 0.89).astype(np.float32)


def write_kit(folder, kit: int) -> None:
    for number, (instrument, name) in enumerate(KIT_SOUNDS):
        audio = render(instrument, seed=kit * 100 + number)
        if name == "Kick":  # three velocity layers of one kick
            for word, gain in (("Soft", 0.2), ("Med", 0.5), ("Hard", 1.0)):
                write(folder / f"{name}-{word}.wav", audio * gain)
        else:
            write(folder / f"{name}-{kit}.wav", audio)
    for pitch in TOM_PITCHES:
        write(folder / f"Tom{int(pitch)}.wav", tom_at(pitch * (1 + 0.05 * kit)))
