"""Near-duplicates: the same recording saved in other formats, rates, bit depths, gains or trims.

Candidates are pairs that the default backend already places very close together. Each pair is
then checked on a fine time-frequency fingerprint that ignores what copying changes (gain, format,
sample rate, lossy coding above 10 kHz, leading silence, a shortened tail) but keeps what differs
between two recordings of one drum, such as two velocity layers: the exact envelope and spectrum,
frame by frame.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from soundalike.engine.errors import FileError
from soundalike.engine.pipeline.audio import Decoded, decode_file, resample

log = logging.getLogger(__name__)

RATE = 22050
SECONDS = 1.0
HOP = 220  # 10 ms
WINDOW = 1024
FLOOR_DB = -60.0
BANDS = np.geomspace(60, 10000, 37)
LOSSY_CODECS = ("VORBIS", "MPEG", "OPUS")
#: Largest level difference (dB) between copies, measured on the dev kits' files re-saved every way
#: (lossless copies <= 0.4, lossy <= 0.8); distinct velocity layers there start at 0.49.
MAX_DB_LOSSLESS = 0.45
MAX_DB_LOSSY = 0.85


@dataclass(frozen=True)
class Fingerprint:
    levels: np.ndarray  # (frames, bands) dB relative to the loudest cell, floored at FLOOR_DB
    frames: int  # frames with sound in them (the rest is padding)
    lossy: bool = False  # decoded from MP3/Vorbis/Opus: allow for the codec's noise


def fingerprint(decoded: Decoded) -> Fingerprint:
    mono = _from_onset(decoded.samples)
    mono = resample(mono, decoded.sample_rate, RATE)[: int(SECONDS * RATE)]
    length = int(SECONDS * RATE)
    padded = np.zeros(length, dtype=np.float32)
    padded[: mono.size] = mono
    freqs, power = _stft_power(padded)
    edges = np.searchsorted(freqs, BANDS)
    bands = np.stack([power[a:max(b, a + 1)].sum(axis=0) for a, b in zip(edges[:-1], edges[1:])], axis=1)
    levels = 10 * np.log10(bands + 1e-12)
    levels = np.maximum(levels - levels.max(), FLOOR_DB)
    whole_frames = max(1, (mono.size - WINDOW) // HOP + 1)  # frames whose window lies inside the sound
    lossy = any(codec in decoded.facts.format.upper() for codec in LOSSY_CODECS)
    return Fingerprint(levels.astype(np.float32), frames=min(len(levels), whole_frames), lossy=lossy)


def _stft_power(signal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(bin frequencies, power per (bin, frame)): periodic-Hann frames of WINDOW every HOP, none padded
    (scipy.signal.stft's frames with boundary=None, padded=False, up to a constant scale; numpy
    only, so results can fold copies without the second scipy takes to import)."""
    frames = 1 + (len(signal) - WINDOW) // HOP
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)
    index = np.arange(WINDOW)[None, :] + HOP * np.arange(frames)[:, None]
    spectrum = np.fft.rfft(signal[index] * window, axis=1)
    return np.fft.rfftfreq(WINDOW, 1 / RATE), (np.abs(spectrum) ** 2).T


def _from_onset(mono: np.ndarray, relative_db: float = -30.0) -> np.ndarray:
    """Start exactly at the attack, so a copy with more or less leading silence lines up."""
    magnitude = np.abs(mono)
    return mono[int(np.argmax(magnitude > magnitude.max() * 10 ** (relative_db / 20))):]


def distance(a: Fingerprint, b: Fingerprint) -> float:
    """Amplitude-weighted mean absolute level difference (dB) over the frames both share."""
    frames = max(1, min(a.frames, b.frames))
    la, lb = a.levels[:frames], b.levels[:frames]
    weight = 10 ** (np.maximum(la, lb) / 20)  # loud cells count most: codec noise lives in quiet ones
    if weight.sum() <= 0:
        return float("inf")
    return float((np.abs(la - lb) * weight).sum() / weight.sum())


def is_duplicate(a: Fingerprint, b: Fingerprint) -> bool:
    shorter, longer = sorted((a.frames, b.frames))
    if shorter < 0.25 * longer and shorter < 20:  # a tiny fragment is not a copy of a long sound
        return False
    return distance(a, b) <= (MAX_DB_LOSSY if a.lossy or b.lossy else MAX_DB_LOSSLESS)


class FingerprintCache:
    """Decode each file once, however many candidate pairs it is in."""

    def __init__(self, max_seconds: float = SECONDS + 0.5):
        self._cache: dict[str, Fingerprint | None] = {}
        self.max_seconds = max_seconds

    def get(self, path: str) -> Fingerprint | None:
        if path not in self._cache:
            try:
                self._cache[path] = fingerprint(decode_file(path, self.max_seconds + 2.0))
            except FileError as e:
                log.info("duplicates: skipping %s: %s", path, e)
                self._cache[path] = None
        return self._cache[path]


def group_pairs(pairs: list[tuple[int, int]]) -> list[list[int]]:
    """Connected groups of ids from verified duplicate pairs (union-find)."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for x in parent:
        groups.setdefault(find(x), []).append(x)
    return sorted((sorted(g) for g in groups.values()), key=lambda g: g[0])


def verified_pairs(candidates: list[tuple[int, int]], path_of: Callable[[int], str]) -> list[tuple[int, int]]:
    cache = FingerprintCache()
    verified = []
    for a, b in candidates:
        fa, fb = cache.get(path_of(a)), cache.get(path_of(b))
        if fa is not None and fb is not None and is_duplicate(fa, fb):
            verified.append((a, b))
    return verified


def candidate_pairs(ids: np.ndarray, vectors: np.ndarray, index, k: int = 10,
                    min_score: float = 0.8) -> list[tuple[int, int]]:
    """Pairs that the backend puts among each other's ``k`` nearest with at least ``min_score``."""
    pairs = set()
    for start in range(0, len(ids), 1024):
        scores, neighbours = index.search_many(vectors[start:start + 1024], k + 1)
        for row, sid in enumerate(ids[start:start + 1024]):
            for other, score in zip(neighbours[row], scores[row]):
                if other >= 0 and other != sid and score >= min_score:
                    pairs.add((min(int(sid), int(other)), max(int(sid), int(other))))
    return sorted(pairs)


def find_duplicates(library, backend: str | None = None) -> list[list]:
    """Groups of samples (SampleRow lists, two or more each) that are copies of one sound."""
    backend = backend or library.settings.engine.default_backend
    ids, vectors = library.stored_vectors(backend)
    if vectors is None:
        return []
    candidates = candidate_pairs(ids, vectors, library.index(backend))
    rows = library.browse.samples({i for pair in candidates for i in pair})
    groups = group_pairs(verified_pairs(candidates, lambda sid: rows[sid].path))
    log.info("duplicates: %d candidate pairs, %d groups", len(candidates), len(groups))
    return [[rows[sid] for sid in group] for group in groups]
