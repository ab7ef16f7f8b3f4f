"""A generated demo library of drum one-shots, so soundalike can be tried with no samples at hand.

The demo is a library of its own (its sounds and its catalog under the cache folder, beside and
never inside the user's library): a producer who tries it and then opens a real folder finds only
their own sounds in results and kits, with nothing to clean up. An older library that still holds
the demo folder drops it when a real folder arrives (:func:`is_demo_folder`).

Every sound is synthesised from a seed: kicks (pitch-swept sines), snares (tone plus noise),
claps (noise bursts), closed and open hats (high-passed metallic noise), toms, cymbals, rims and
shakers, in several "kits" whose parameters differ, written as WAV, AIFF and FLAC files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile as sf

from soundalike.engine import paths
from soundalike.engine.config import Settings

log = logging.getLogger(__name__)

RATE = 44100
DEMO_SOUNDS = "demo-library"
DEMO_DATA = "demo-data"


def demo_folder() -> Path:
    """Where the demo's sounds are written."""
    return paths.cache_dir() / DEMO_SOUNDS


def demo_settings(settings: Settings) -> Settings:
    """``settings`` with the demo's own library folder as the data folder."""
    return settings.with_data_dir(paths.cache_dir() / DEMO_DATA)


def is_demo_folder(path: str) -> bool:
    """True for the demo's sound folder (as an older soundalike added it to the user's library)."""
    return Path(path) == demo_folder()


def forget_old_demo(library, arriving: list[str]) -> int:
    """Drop the demo folder from a user's library that an older soundalike put it in, as the real
    folders ``arriving`` come in (not when the demo is among them), unless the user marked some of
    its sounds (favourites, tags, collections); returns how many samples left."""
    if any(is_demo_folder(os.path.abspath(os.path.expanduser(folder))) for folder in arriving):
        return 0
    return sum(
        library.forget_folder(root)
        for root in library.browse.roots()
        if is_demo_folder(root) and not library.browse.folder_use(root).has_user_data
    )


Synth = Callable[[np.random.Generator], np.ndarray]


def _time(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * RATE)) / RATE


def _decay(t: np.ndarray, seconds: float) -> np.ndarray:
    return np.exp(-t / max(seconds, 1e-3))


def _bandpass(x: np.ndarray, low: float, high: float) -> np.ndarray:
    from scipy import signal  # takes a second to import: only when sounds are made

    sos = signal.butter(4, [low, min(high, RATE / 2 - 100)], btype="bandpass", fs=RATE, output="sos")
    return signal.sosfilt(sos, x)


def _highpass(x: np.ndarray, cutoff: float) -> np.ndarray:
    from scipy import signal

    return signal.sosfilt(signal.butter(4, cutoff, btype="highpass", fs=RATE, output="sos"), x)


def _metal(rng: np.random.Generator, t: np.ndarray, base: float) -> np.ndarray:
    """Six detuned square waves, the classic analogue hat and cymbal source."""
    ratios = np.array([2.0, 3.0, 4.16, 5.43, 6.79, 8.21]) * rng.uniform(0.95, 1.05, 6)
    return sum(np.sign(np.sin(2 * np.pi * base * r * t)) for r in ratios) / 6


def kick(rng: np.random.Generator) -> np.ndarray:
    t = _time(rng.uniform(0.35, 0.8))
    start, end = rng.uniform(120, 220), rng.uniform(40, 60)
    freq = end + (start - end) * _decay(t, rng.uniform(0.02, 0.06))
    body = np.sin(2 * np.pi * np.cumsum(freq) / RATE) * _decay(t, rng.uniform(0.12, 0.3))
    click = rng.standard_normal(t.size) * _decay(t, 0.003) * rng.uniform(0.1, 0.4)
    return body + click


def snare(rng: np.random.Generator) -> np.ndarray:
    t = _time(rng.uniform(0.25, 0.45))
    tone = np.sin(2 * np.pi * rng.uniform(170, 240) * t) * _decay(t, rng.uniform(0.03, 0.07))
    noise = _bandpass(rng.standard_normal(t.size), 1500, 9000) * _decay(t, rng.uniform(0.08, 0.16))
    return tone * rng.uniform(0.4, 0.8) + noise


def clap(rng: np.random.Generator) -> np.ndarray:
    t = _time(rng.uniform(0.25, 0.4))
    bursts = sum(_decay(np.clip(t - d, 0, None), 0.006) * (t >= d) for d in (0, 0.011, 0.022))
    env = bursts + 0.6 * _decay(np.clip(t - 0.03, 0, None), rng.uniform(0.05, 0.1)) * (t >= 0.03)
    return _bandpass(rng.standard_normal(t.size), rng.uniform(900, 1300), 5000) * env


def closed_hat(rng: np.random.Generator) -> np.ndarray:
    t = _time(rng.uniform(0.06, 0.15))
    return _highpass(_metal(rng, t, rng.uniform(300, 420)), 7000) * _decay(t, rng.uniform(0.01, 0.03))


def open_hat(rng: np.random.Generator) -> np.ndarray:
    t = _time(rng.uniform(0.4, 0.8))
    return _highpass(_metal(rng, t, rng.uniform(300, 420)), 6500) * _decay(t, rng.uniform(0.15, 0.3))


def tom(rng: np.random.Generator) -> np.ndarray:
    t = _time(rng.uniform(0.35, 0.6))
    pitch = rng.uniform(80, 220)
    freq = pitch * (1 + 0.3 * _decay(t, 0.05))
    return np.sin(2 * np.pi * np.cumsum(freq) / RATE) * _decay(t, rng.uniform(0.12, 0.25))


def cymbal(rng: np.random.Generator) -> np.ndarray:
    t = _time(rng.uniform(1.2, 2.0))
    noise = _highpass(rng.standard_normal(t.size), 4000) * 0.5 + _metal(rng, t, rng.uniform(250, 350))
    return _highpass(noise, 3000) * _decay(t, rng.uniform(0.5, 0.9))


def rim(rng: np.random.Generator) -> np.ndarray:
    t = _time(rng.uniform(0.05, 0.1))
    return _bandpass(
        np.sin(2 * np.pi * rng.uniform(1600, 2200) * t) + rng.standard_normal(t.size) * 0.3, 800, 6000
    ) * _decay(t, rng.uniform(0.008, 0.015))


def shaker(rng: np.random.Generator) -> np.ndarray:
    t = _time(rng.uniform(0.12, 0.25))
    swell = np.sin(np.pi * np.clip(t / t[-1], 0, 1)) ** 2
    return _bandpass(rng.standard_normal(t.size), 5000, 14000) * swell


INSTRUMENTS: dict[str, Synth] = {
    "kick": kick,
    "snare": snare,
    "clap": clap,
    "closed hat": closed_hat,
    "open hat": open_hat,
    "tom": tom,
    "cymbal": cymbal,
    "rim": rim,
    "shaker": shaker,
}


def render(instrument: str, seed: int) -> np.ndarray:
    """One normalised one-shot (float32, 44.1 kHz, peak about -1 dBFS)."""
    audio = INSTRUMENTS[instrument](np.random.default_rng(seed))
    audio = audio / (np.max(np.abs(audio)) + 1e-9) * 0.89
    return audio.astype(np.float32)


_FORMATS = (("wav", "PCM_16"), ("aiff", "PCM_24"), ("flac", "PCM_16"))


def build_demo_library(folder: Path, kits: int = 6, per_instrument: int = 2) -> list[Path]:
    """Write the demo library under ``folder`` (idempotent: existing files are kept)."""
    written = []
    for kit in range(kits):
        ext, subtype = _FORMATS[kit % len(_FORMATS)]
        kit_dir = folder / f"Demo Kit {kit + 1}"
        kit_dir.mkdir(parents=True, exist_ok=True)
        for number, instrument in enumerate(INSTRUMENTS):
            for take in range(per_instrument):
                path = kit_dir / f"{instrument.replace(' ', '_')}_{take + 1:02d}.{ext}"
                if not path.exists():
                    sf.write(path, render(instrument, seed=kit * 1000 + number * 10 + take), RATE, subtype=subtype)
                written.append(path)
    log.info("demo library: %d files in %s", len(written), folder)
    return written
