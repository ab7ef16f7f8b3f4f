"""Hand-made features for drum one-shots, numpy and scipy's FFT only.

Everything is measured relative to the loudest moment of the sound (the envelope peak), so the
features do not depend on playback level, on how much leading silence was trimmed, or on how long
a tail the file keeps. Only the first :data:`WINDOW_SECONDS` are looked at.

The feature vector is the concatenation of three named blocks (see :func:`block_slices`):

* ``timbre``: log-mel spectra averaged over five segments aligned on the peak (attack, early decay,
  body, late decay, tail) plus spectral centroid, spread, flatness and roll-off per segment;
* ``envelope``: the level curve sampled at log-spaced times after the peak, decay times and the
  attack time;
* ``pitch``: frequency and prominence of the strongest spectral peak (all and below 600 Hz), its
  sweep over the first 200 ms, and periodicity.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from soundalike.engine.embedders import fft  # scipy.fft's transforms, without its 0.3 s import

SAMPLE_RATE = 22050
WINDOW_SECONDS = 2.0
N_FFT = 1024
HOP = 256
N_MELS = 64
ENV_HOP = 64  # ~2.9 ms blocks for the fine level envelope
FLOOR_DB = -80.0
EPS = 1e-10

# Segments of STFT frames, counted from the peak frame (11.6 ms per frame).
SEGMENTS = ((-1, 2), (2, 6), (6, 18), (18, 52), (52, 173))
ENV_TIMES_MS = (0, 3, 6, 12, 25, 50, 100, 200, 400, 800, 1600)
DECAY_LEVELS_DB = (6, 12, 20, 30, 40)
N_SPECTRAL = 4
TIMBRE_DIM = len(SEGMENTS) * (N_MELS + N_SPECTRAL + 1)
ENVELOPE_DIM = len(ENV_TIMES_MS) + len(DECAY_LEVELS_DB) + 2
PITCH_DIM = 8


def block_slices() -> dict[str, slice]:
    """Named blocks of the raw feature vector."""
    t, e = TIMBRE_DIM, TIMBRE_DIM + ENVELOPE_DIM
    return {"timbre": slice(0, t), "envelope": slice(t, e), "pitch": slice(e, e + PITCH_DIM)}


FEATURE_DIM = TIMBRE_DIM + ENVELOPE_DIM + PITCH_DIM


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_filterbank(
    sr: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS, fmin: float = 30.0, fmax: float | None = None
) -> np.ndarray:
    """(n_fft//2+1, n_mels) triangular filters, each normalised to unit area."""
    fmax = fmax or sr / 2
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    edges = mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2))
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs[None, :] - lower) / (centre - lower)
    falling = (upper - freqs[None, :]) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    weights /= np.maximum(weights.sum(axis=1, keepdims=True), EPS)
    return weights.T.astype(np.float32)


@dataclass(frozen=True)
class FeatureExtractor:
    """Turns one clip at :data:`SAMPLE_RATE` into a :data:`FEATURE_DIM` float32 vector."""

    sample_rate: int = SAMPLE_RATE

    @cached_property
    def mel(self) -> np.ndarray:
        return mel_filterbank(self.sample_rate)

    @cached_property
    def window(self) -> np.ndarray:
        return np.hanning(N_FFT).astype(np.float32)

    @cached_property
    def freqs(self) -> np.ndarray:
        return np.fft.rfftfreq(N_FFT, 1.0 / self.sample_rate).astype(np.float32)

    @cached_property
    def dither(self) -> np.ndarray:
        """The dither of the longest clip looked at; a shorter one adds its first samples."""
        return dither(max(int(WINDOW_SECONDS * self.sample_rate), N_FFT))

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        x = _prepare(audio, int(WINDOW_SECONDS * self.sample_rate), self.dither)
        env, env_peak = _level_curve(x)
        peak = int(round(env_peak * ENV_HOP / HOP))
        frames = _frame_positions(len(x), peak)
        power = self._power(x, frames)
        rel = frames - peak
        timbre = self._timbre(power, rel)
        envelope = _envelope(env, env_peak, self.sample_rate)
        pitch = self._pitch(power, rel, x)
        out = np.concatenate([timbre, envelope, pitch]).astype(np.float32)
        return finite(out, infinity=0.0)

    def _power(self, x: np.ndarray, frames: np.ndarray) -> np.ndarray:
        padded = np.zeros(len(x) + N_FFT, dtype=np.float32)  # np.pad's zeros either side, without its overhead
        padded[N_FFT // 2 : N_FFT // 2 + len(x)] = x
        starts = frames * HOP
        chunks = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[starts] * self.window  # no index table
        spec = fft.rfft(chunks, axis=1)
        return (spec.real**2 + spec.imag**2).astype(np.float32)

    def _timbre(self, power: np.ndarray, rel: np.ndarray) -> np.ndarray:
        # Mel is linear, so averaging spectra per segment first keeps the matrix product tiny.
        rows = _row_ranges(rel, SEGMENTS)
        present = [part.stop > part.start for part in rows]
        seg_pow = np.stack(
            [
                power[part].mean(axis=0) if ok else np.zeros(power.shape[1], np.float32)
                for part, ok in zip(rows, present)
            ]
        )
        seg_mel = seg_pow @ self.mel
        ref = float(seg_mel.max()) + EPS
        levels = _db(seg_mel.sum(axis=1) / (ref * N_MELS))
        table = np.concatenate([_db(seg_mel / ref), self._spectral(seg_pow), levels[:, None]], axis=1)
        table[~np.array(present)] = np.nan
        return _fill_missing(table.reshape(-1))

    def _spectral(self, spectra: np.ndarray) -> np.ndarray:
        """Log centroid, log spread, flatness (dB) and 85% roll-off (log) per row of power spectra."""
        total = spectra.sum(axis=1, keepdims=True) + EPS
        f = self.freqs[None, :]
        centroid = (f * spectra).sum(axis=1, keepdims=True) / total
        spread = np.sqrt((((f - centroid) ** 2) * spectra).sum(axis=1) / total[:, 0])
        flatness = np.exp(np.mean(np.log(spectra + EPS), axis=1)) / (spectra.mean(axis=1) + EPS)
        cumulative = np.cumsum(spectra, axis=1)
        rolloff = self.freqs[np.minimum((cumulative < 0.85 * total).sum(axis=1), spectra.shape[1] - 1)]
        return np.stack(
            [
                np.log2(centroid[:, 0] + 20.0),
                np.log2(spread + 20.0),
                10 * np.log10(flatness + EPS),
                np.log2(rolloff + 20.0),
            ],
            axis=1,
        ).astype(np.float32)

    def _pitch(self, power: np.ndarray, rel: np.ndarray, x: np.ndarray) -> np.ndarray:
        early_rows, start_rows, later_rows = _row_ranges(rel, ((0, 18), (0, 3), (8, 18)))
        early, start = _mean_rows(power, early_rows), _mean_rows(power, start_rows)
        later = power[later_rows]
        later = later.mean(axis=0) if len(later) else start
        low = self.freqs < 600.0
        f_all, prom_all = _peak(early, self.freqs)
        f_low, prom_low = _peak(np.where(low, early, 0.0), self.freqs)
        f_start, _ = _peak(np.where(low, start, 0.0), self.freqs)
        f_later, _ = _peak(np.where(low, later, 0.0), self.freqs)
        sweep = 12.0 * np.log2((f_start + 20.0) / (f_later + 20.0))
        return np.array(
            [
                np.log2(f_all + 20.0),
                prom_all,
                np.log2(f_low + 20.0),
                prom_low,
                np.clip(sweep, -24, 24),
                _periodicity(x, self.sample_rate),
                _zero_crossings(x, self.sample_rate),
                np.log2(_duration(x, self.sample_rate)),
            ],
            dtype=np.float32,
        )


def _row_ranges(rel: np.ndarray, spans) -> list[slice]:
    """Per ``(start, stop)``, the rows whose frame offset ``rel`` (ascending) lies in [start, stop):
    a slice, the same rows in the same order as a boolean mask picks, without the masks."""
    bounds = np.searchsorted(rel, np.asarray(spans).reshape(-1)).tolist()
    return [slice(bounds[i], bounds[i + 1]) for i in range(0, len(bounds), 2)]


def _mean_rows(power: np.ndarray, rows: slice) -> np.ndarray:
    """The mean of ``power[rows]``; NaN (filled in later) where there are none, as numpy gives it,
    without its "Mean of empty slice" warning (a clip of a few samples has no frame after its peak)."""
    if rows.stop > rows.start:
        return power[rows].mean(axis=0)
    return np.full(power.shape[1], np.nan, power.dtype)


def _median(values: np.ndarray):
    """``np.median`` of a 1-D array without NaNs, bit for bit (same order statistics, the two
    middle values averaged the same way), without its ~20 us of checks."""
    half = len(values) // 2
    if len(values) % 2:
        return np.partition(values, half)[half]
    return np.partition(values, (half - 1, half))[half - 1 : half + 1].mean()


def _prepare(audio: np.ndarray, max_len: int, noise: np.ndarray | None = None) -> np.ndarray:
    """The clip's first ``max_len`` samples, at least N_FFT, peak-normalised, plus the dither
    (``noise``: :func:`dither` of at least that length, computed once by the caller)."""
    x = finite(np.asarray(audio, dtype=np.float32).reshape(-1)[:max_len])
    if len(x) < N_FFT:
        x = np.pad(x, (0, N_FFT - len(x)))
    # A whisper of deterministic noise keeps silence and digital zero well defined (no log of 0).
    peak = float(np.abs(x).max())
    x = x / peak if peak > 1e-6 else np.zeros_like(x)
    noise = dither(len(x)) if noise is None or len(noise) < len(x) else noise[: len(x)]
    return (x + noise).astype(np.float32)


def dither(length: int) -> np.ndarray:
    """The deterministic noise :func:`_prepare` adds; each sample depends on its position only."""
    noise = np.sin(np.arange(length, dtype=np.float32) * 1.7) * 1e-5
    noise.flags.writeable = False
    return noise


def finite(x: np.ndarray, infinity: float | None = None) -> np.ndarray:
    """``np.nan_to_num(x)``'s values: NaN becomes 0, infinities ``infinity`` with their sign (by
    default the largest float); ``x`` itself when every value is finite, the usual case, at a fifth
    of the cost."""
    if np.isfinite(x).all():
        return x
    return np.nan_to_num(x, nan=0.0, posinf=infinity, neginf=None if infinity is None else -infinity)


def _db(value) -> np.ndarray:
    return np.maximum(10.0 * np.log10(np.asarray(value) + EPS), FLOOR_DB).astype(np.float32)


def _fill_missing(values: np.ndarray) -> np.ndarray:
    """Segments past the end of the sound read as silence (mel) or repeat nothing (floor)."""
    return np.where(np.isnan(values), FLOOR_DB / 4, values).astype(np.float32)


def _level_curve(x: np.ndarray) -> tuple[np.ndarray, int]:
    """Level in dB below the peak per ENV_HOP block, and the peak block."""
    n = len(x) // ENV_HOP
    blocks = x[: n * ENV_HOP].reshape(n, ENV_HOP)
    env = _db((blocks**2).mean(axis=1))
    env = np.maximum(env - env.max(), FLOOR_DB)
    return env, int(np.argmax(env))


def _frame_positions(length: int, peak: int) -> np.ndarray:
    """STFT frames to compute: every frame up to the body segment, every fourth in the tail."""
    total = length // HOP + 1
    dense_end = min(max(peak + SEGMENTS[3][1], 1), total)
    return np.concatenate([np.arange(0, dense_end), np.arange(dense_end, total, 4)]).astype(int)


def _envelope(env: np.ndarray, peak: int, sr: int) -> np.ndarray:
    n = len(env)
    ms_per_block = 1000.0 * ENV_HOP / sr
    idx = peak + np.round(np.array(ENV_TIMES_MS) / ms_per_block).astype(int)
    samples = np.where(idx < n, env[np.minimum(idx, n - 1)], FLOOR_DB)
    after = env[peak:]
    decays = []
    for level in DECAY_LEVELS_DB:
        below = np.flatnonzero(after < -level)
        blocks_to = below[0] if len(below) else len(after) + 1
        decays.append(np.log2(1.0 + blocks_to * ms_per_block))
    onset = np.flatnonzero(env[: peak + 1] > -30.0)
    attack_ms = (peak - (onset[0] if len(onset) else peak)) * ms_per_block
    return np.concatenate([samples / 10.0, decays, [np.log2(1.0 + attack_ms), np.log2(1.0 + peak * ms_per_block)]])


def _peak(spectrum: np.ndarray, freqs: np.ndarray) -> tuple[float, float]:
    """Frequency (parabolic interpolation) and prominence in dB over the median of the strongest bin."""
    k = int(np.argmax(spectrum))
    if 0 < k < len(spectrum) - 1:
        a, b, c = np.log(spectrum[k - 1 : k + 2] + EPS)
        denom = a - 2 * b + c
        shift = 0.5 * (a - c) / denom if abs(denom) > 1e-9 else 0.0
    else:
        shift = 0.0
    freq = float(freqs[k] + np.clip(shift, -0.5, 0.5) * (freqs[1] - freqs[0]))
    active = spectrum[spectrum > 0]
    prominence = float(_db(spectrum[k]) - _db(_median(active) if len(active) else EPS))  # active: no NaN
    return max(freq, 0.0), prominence / 10.0


def _periodicity(x: np.ndarray, sr: int) -> float:
    """Height of the strongest normalised autocorrelation peak between 40 Hz and 2 kHz (first 100 ms)."""
    seg = x[: int(0.1 * sr)]
    seg = seg - seg.mean()
    n = 1 << int(np.ceil(np.log2(2 * len(seg))))
    spec = fft.rfft(seg, n)
    ac = fft.irfft(spec.real**2 + spec.imag**2, n)[: len(seg)]
    if ac[0] <= EPS:
        return 0.0
    lo, hi = int(sr / 2000), min(int(sr / 40), len(ac) - 1)
    return float(np.clip(ac[lo:hi].max() / ac[0], -1.0, 1.0)) if hi > lo else 0.0


def _zero_crossings(x: np.ndarray, sr: int) -> float:
    seg = x[: int(0.1 * sr)]
    rate = np.count_nonzero(np.signbit(seg[1:]) != np.signbit(seg[:-1])) / max(len(seg) / sr, 1e-3)
    return float(np.log2(rate + 20.0))


def _duration(x: np.ndarray, sr: int) -> float:
    loud = np.flatnonzero(np.abs(x) > 10 ** (-50 / 20))
    return 1000.0 * ((loud[-1] + 1) if len(loud) else 1) / sr


def extract_batch(batch, extractor: FeatureExtractor | None = None) -> np.ndarray:
    """(N, FEATURE_DIM) features for a list of clips."""
    extractor = extractor or FeatureExtractor()
    if not len(batch):
        return np.zeros((0, FEATURE_DIM), dtype=np.float32)
    return np.stack([extractor(clip) for clip in batch])
