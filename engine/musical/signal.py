"""Shared signal pieces: the analysis rate, framing, a magnitude spectrogram and the onset envelope."""

from __future__ import annotations

import numpy as np

from soundalike.engine.pipeline.audio import resample

#: Analysis sample rate: enough for beats, chroma (notes up to ~4 kHz) and pitch, and cheap.
RATE = 11025
ONSET_HOP = 128  # ~86 onset frames a second: a beat at 120 BPM is 43 frames, so lags resolve to ~1 %
ONSET_FFT = 1024


def to_analysis_rate(mono: np.ndarray, rate: int, max_seconds: float) -> np.ndarray:
    """The first ``max_seconds`` as float32 at :data:`RATE` (a long recording is judged by its start)."""
    head = mono[: int(max_seconds * rate)] if max_seconds > 0 else mono
    return resample(np.asarray(head, dtype=np.float32), rate, RATE)


def frames(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    """Overlapping frames (a view) of ``x`` zero-padded to at least one frame."""
    if x.size < size:
        x = np.pad(x, (0, size - x.size))
    count = 1 + (x.size - size) // hop
    return np.lib.stride_tricks.as_strided(
        x, shape=(count, size), strides=(x.strides[0] * hop, x.strides[0]), writeable=False
    )


def spectrogram(x: np.ndarray, size: int, hop: int) -> np.ndarray:
    """Magnitude spectrogram, frames x bins (Hann window)."""
    return np.abs(np.fft.rfft(frames(x, size, hop) * np.hanning(size).astype(np.float32), axis=1))


def onset_envelope(x: np.ndarray) -> np.ndarray:
    """Spectral flux of log magnitude (rises only), averaged within log-spaced bands and then across
    them (so a bass note counts as much as a hat), its slow trend removed; one value per hop."""
    padded = np.concatenate([np.zeros(ONSET_FFT, dtype=np.float32), x])  # so the first attack is a rise
    spec = np.log1p(100.0 * spectrogram(padded, ONSET_FFT, ONSET_HOP))[ONSET_FFT // ONSET_HOP - 1 :]
    rises = np.maximum(np.diff(spec, axis=0), 0.0)
    flux = (rises @ _BAND_WEIGHTS).mean(axis=1)
    width = 32
    if flux.size > width:
        trend = np.convolve(flux, np.ones(width) / width, mode="same")
        flux = np.maximum(flux - trend, 0.0)
    return flux.astype(np.float64)


def _band_weights(bands: int = 16, low: float = 30.0, high: float = 5000.0) -> np.ndarray:
    """bins x bands matrix averaging the FFT bins of each log-spaced band."""
    freqs = np.fft.rfftfreq(ONSET_FFT, 1.0 / RATE)
    which = np.digitize(freqs, np.geomspace(low, high, bands + 1))
    weights = np.stack([(which == b).astype(np.float32) for b in range(1, bands + 1)], axis=1)
    weights = weights[:, weights.sum(axis=0) > 0]
    return weights / weights.sum(axis=0)


_BAND_WEIGHTS = _band_weights()


#: Onset strength (mean rise of log1p(100 |X|)) below which a peak is texture, not an onset.
MIN_ONSET = 0.22


def onset_times(envelope: np.ndarray, min_gap_frames: int = 6) -> np.ndarray:
    """Frames where the envelope peaks clearly above its typical level."""
    if envelope.size < 3 or envelope.max() <= 0:
        return np.zeros(0, dtype=int)
    envelope = np.concatenate([[0.0], envelope, [0.0]])
    threshold = max(float(np.median(envelope)) + 0.5 * float(envelope.std()), 0.1 * float(envelope.max()), MIN_ONSET)
    peaks = (
        np.flatnonzero(
            (envelope[1:-1] > envelope[:-2]) & (envelope[1:-1] >= envelope[2:]) & (envelope[1:-1] > threshold)
        )
        + 1
    )
    peaks -= 1  # back to the unpadded frame numbers
    kept: list[int] = []
    for p in peaks:
        if not kept or p - kept[-1] >= min_gap_frames:
            kept.append(int(p))
        elif envelope[p] > envelope[kept[-1]]:
            kept[-1] = int(p)
    return np.array(kept, dtype=int)
