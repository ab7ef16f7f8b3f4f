"""The fine fingerprint that decides whether two files are copies of one recording.

Computed for every file when it is indexed (on the ingest workers, from the audio they decode
anyway) and stored in the catalog, so folding copies at query time reads stored facts and never
decodes. It ignores what copying changes (gain, format, sample rate, lossy coding above 10 kHz,
leading silence, a shortened tail) but keeps what differs between two recordings of one drum,
such as two velocity layers: the exact envelope and spectrum, frame by frame.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundalike.engine.embedders import fft
from soundalike.engine.pipeline.audio import RESAMPLE_MARGIN_SECONDS, Decoded, resample

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
    mono, peak = _from_onset(decoded.samples)
    # only the first SECONDS are looked at: resample that plus the margin that keeps soxr's output the same
    mono = mono[: int(np.ceil((SECONDS + RESAMPLE_MARGIN_SECONDS) * decoded.sample_rate))]
    if peak > 0:  # levels are relative to the loudest cell anyway; this keeps 1e30 floats from overflowing
        mono = mono / np.float32(peak)
    length = int(SECONDS * RATE)
    mono = resample(mono, decoded.sample_rate, RATE)[:length]
    padded = np.zeros(length, dtype=np.float32)
    padded[: mono.size] = mono
    whole_frames = max(1, (mono.size - WINDOW) // HOP + 1)  # frames whose window lies inside the sound
    # frames past those that overlap the sound hold only zeros (the floor): they are not computed
    power = _stft_power(padded, whole_frames + -(-WINDOW // HOP))
    bands = np.add.reduceat(power, _BAND_STARTS, axis=1)[:, : len(BANDS) - 1]
    levels = 10 * np.log10(bands + 1e-12)
    levels = np.maximum(levels - levels.max(), FLOOR_DB)
    lossy = any(codec in decoded.facts.format.upper() for codec in LOSSY_CODECS)
    return Fingerprint(levels.astype(np.float32), frames=min(len(levels), whole_frames), lossy=lossy)


def _stft_power(signal: np.ndarray, most: int) -> np.ndarray:
    """Power per (frame, bin): periodic-Hann frames of WINDOW every HOP, none padded
    (scipy.signal.stft's frames with boundary=None, padded=False, up to a constant scale), the first
    ``most``. The transform is scipy's compiled FFT loaded without ``import scipy.fft``
    (:mod:`soundalike.engine.embedders.fft`): twice as fast as numpy's in float32, the same levels to
    float noise (<= 0.004 dB on the dev kits)."""
    frames = min(most, 1 + (len(signal) - WINDOW) // HOP)
    chunks = np.lib.stride_tricks.sliding_window_view(signal, WINDOW)[::HOP][:frames] * _HANN
    spectrum = fft.rfft(chunks, axis=1)
    return spectrum.real**2 + spectrum.imag**2


def _from_onset(mono: np.ndarray, relative_db: float = -30.0) -> tuple[np.ndarray, float]:
    """Start exactly at the attack, so a copy with more or less leading silence lines up; and the
    peak (the loudest sample lies at or after the attack)."""
    magnitude = np.abs(mono)
    top = magnitude.max() if mono.size else np.float32(0)
    return mono[int(np.argmax(magnitude > top * 10 ** (relative_db / 20))) :], float(top)


def _constants() -> tuple[np.ndarray, np.ndarray]:
    """The periodic Hann window, and the first bin of each band then the end of the last, as
    ``np.add.reduceat`` takes them: a band of no bin of its own reads the bin it starts at."""
    hann = (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(WINDOW) / WINDOW)).astype(np.float32)
    starts = np.searchsorted(np.fft.rfftfreq(WINDOW, 1 / RATE), BANDS)
    for array in (hann, starts):
        array.flags.writeable = False
    return hann, starts


_HANN, _BAND_STARTS = _constants()


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


#: Stored levels are quantised to this many dB (uint8 over FLOOR_DB..0 dB).
STEP_DB = 0.25


def encode(fp: Fingerprint) -> bytes:
    """The bytes the catalog keeps: a header (frames, lossy) and the sounding frames' levels,
    one byte per cell (STEP_DB); a 1 s one-shot takes 3.5 KB, a 0.15 s one 400 bytes."""
    frames = max(1, fp.frames)
    cells = np.clip(np.rint(-fp.levels[:frames] / STEP_DB), 0, 255).astype(np.uint8)
    return bytes([frames, int(fp.lossy)]) + cells.tobytes()


def decode(blob: bytes) -> Fingerprint:
    frames, lossy = blob[0], bool(blob[1])
    cells = np.frombuffer(blob, dtype=np.uint8, offset=2).reshape(frames, len(BANDS) - 1)
    return Fingerprint(-(cells.astype(np.float32) * STEP_DB), frames=frames, lossy=lossy)
