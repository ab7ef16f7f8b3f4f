"""Training data for the built-in embedder: rendered kits, the dev set, and augmentation."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.signal
import soundfile as sf
import soxr
from render_kits import SR, dev_class, load_group

log = logging.getLogger(__name__)


@dataclass
class Clips:
    """Parallel lists: audio at SR, fine label, dev-level class, group (kit), source."""

    audio: list
    fine: list
    classes: list
    groups: list
    source: list

    def subset(self, mask) -> Clips:
        idx = np.flatnonzero(mask)
        return Clips(*[[getattr(self, f)[i] for i in idx] for f in ("audio", "fine", "classes", "groups", "source")])

    def __add__(self, other: Clips) -> Clips:
        return Clips(
            self.audio + other.audio,
            self.fine + other.fine,
            self.classes + other.classes,
            self.groups + other.groups,
            self.source + other.source,
        )

    def __len__(self) -> int:
        return len(self.audio)


def trim_leading(x: np.ndarray, threshold_db: float = -50.0) -> np.ndarray:
    """Drop leading silence the way an indexer would: up to 1 ms before the first loud sample."""
    peak = float(np.abs(x).max()) if len(x) else 0.0
    if peak <= 0:
        return x
    loud = np.flatnonzero(np.abs(x) > peak * 10 ** (threshold_db / 20))
    return x[max(int(loud[0]) - SR // 1000, 0) :]


def load_renders(paths: list[Path]) -> Clips:
    out = Clips([], [], [], [], [])
    for path in paths:
        clips, labels, _ = load_group(path)
        group = path.stem
        for clip, label in zip(clips, labels):
            out.audio.append(trim_leading(clip))
            out.fine.append(label)
            out.classes.append(dev_class(label))
            out.groups.append(group)
            out.source.append("render")
    return out


def _fine_dev_label(name: str, cls: str) -> str:
    if cls != "hihat":
        return cls
    return "open_hat" if "open" in name.lower() else "closed_hat"


def load_audio(path: str) -> np.ndarray | None:
    """Mono float32 at SR, or None when the file cannot be decoded."""
    try:
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, sf.LibsndfileError) as exc:
        log.warning("skipping %s: %s", path, exc)
        return None
    mono = audio.mean(axis=1)
    return soxr.resample(mono, rate, SR).astype(np.float32) if rate != SR else mono


def load_devset(tsv: Path) -> Clips:
    """Dev rows in TSV order; undecodable files keep their row with audio None."""
    out = Clips([], [], [], [], [])
    for line in tsv.read_text().splitlines():
        if not line.strip():
            continue
        path, group, name, cls = line.split("\t")[:4]
        audio = load_audio(path)
        out.audio.append(None if audio is None else trim_leading(audio))
        out.fine.append(_fine_dev_label(name, cls))
        out.classes.append(cls)
        out.groups.append(group)
        out.source.append("dev")
    return out


def _tilt(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    fc = rng.uniform(300, 4000)
    tilt_db = rng.uniform(-9, 9)
    b, a = scipy.signal.butter(1, fc / (SR / 2))
    low = scipy.signal.lfilter(b, a, x)
    return (low * 10 ** (-tilt_db / 40) + (x - low) * 10 ** (tilt_db / 40)).astype(np.float32)


def _pitch(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    ratio = 2 ** (rng.uniform(-2.5, 2.5) / 12)
    return soxr.resample(x, SR, SR / ratio).astype(np.float32)


def _reverb(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rt60 = rng.uniform(0.15, 1.2)
    t = np.arange(int(rt60 * SR)) / SR
    ir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    wet = scipy.signal.fftconvolve(x, ir)[: len(x) + len(ir)]
    wet *= np.abs(x).max() / (np.abs(wet).max() + 1e-9)
    dry = np.pad(x, (0, len(wet) - len(x)))
    return (dry + rng.uniform(0.05, 0.35) * wet).astype(np.float32)


def _noise(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.standard_normal(len(x))
    if rng.random() < 0.5:
        noise = scipy.signal.lfilter([1.0], [1.0, -0.97], noise)
    noise *= np.abs(x).max() * 10 ** (rng.uniform(-65, -35) / 20) / (np.std(noise) + 1e-9)
    return (x + noise).astype(np.float32)


def _saturate(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    drive = rng.uniform(1.5, 6.0)
    x = x / (np.abs(x).max() + 1e-9)
    return (np.tanh(drive * x) / np.tanh(drive)).astype(np.float32)


def _bandlimit(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    low_rate = rng.uniform(8000, 16000)
    return soxr.resample(soxr.resample(x, SR, low_rate), low_rate, SR).astype(np.float32)


def _cut_tail(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    keep = int(rng.uniform(0.06, 1.0) * SR)
    if keep >= len(x):
        return x
    y = x[:keep].copy()
    fade = min(int(0.005 * SR), keep)
    y[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return y


def _cut_head(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return x[int(rng.uniform(0, 0.004) * SR) :]


AUGMENTS = (
    (_pitch, 0.6),
    (_tilt, 0.6),
    (_saturate, 0.15),
    (_bandlimit, 0.15),
    (_reverb, 0.3),
    (_noise, 0.3),
    (_cut_tail, 0.3),
    (_cut_head, 0.3),
)


def augment(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random variant of a clip: each transform applied with its own probability, in order."""
    for fn, prob in AUGMENTS:
        if rng.random() < prob and len(x) > 64:
            x = fn(x, rng)
    return trim_leading(np.asarray(x, dtype=np.float32))
