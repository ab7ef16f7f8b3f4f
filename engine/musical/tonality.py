"""Key of a loop (chroma of the harmonic part against key profiles) and root note of a one-shot (YIN).

Key: a 4096-point spectrogram at the analysis rate, split into harmonic and percussive parts by
median filtering (along time keeps held notes, along frequency keeps hits); the harmonic part's
chroma is correlated with Temperley's major and minor profiles in all 24 keys. Drums
leave too little harmonic energy, and get no key.

Root: YIN over the sustained part (after the attack, until it falls 30 dB), frames whose pitch is
clear, the median note; a glide of more than a semitone (a kick or a tom) gives no root.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundalike.engine.musical.keys import key_name, note_name
from soundalike.engine.musical.signal import RATE, frames, spectrogram

KEY_FFT, KEY_HOP = 4096, 1024
#: Temperley's (2005) key profiles from the Kostka-Payne corpus; on the rendered loops they found
#: 70 of 72 keys where Krumhansl-Kessler's found 55 (bench/bench_musical.py).
_MAJOR = np.array([0.748, 0.060, 0.488, 0.082, 0.670, 0.460, 0.096, 0.715, 0.104, 0.366, 0.057, 0.400])
_MINOR = np.array([0.712, 0.084, 0.474, 0.618, 0.049, 0.460, 0.105, 0.747, 0.404, 0.067, 0.133, 0.330])
MIN_HARMONIC_SHARE = 0.3
MIN_KEY_CORRELATION = 0.5
PITCH_FRAME, PITCH_HOP = 1024, 256
MAX_PITCH_FRAMES = 8
F0_RANGE = (30.0, 1500.0)
MAX_APERIODICITY = 0.2
MIN_HARMONIC = 0.7  # below: inharmonic partials, a drum head or a bell
MIN_OVERTONES = 0.01  # below (and under 110 Hz): a pure sine, a kick's tail as much as a sub bass


@dataclass(frozen=True)
class Estimate:
    value: int | None  # 24-key index or MIDI note
    name: str | None
    confidence: float
    reason: str | None = None


def estimate_key(x: np.ndarray) -> Estimate:
    if x.size < KEY_FFT:
        return Estimate(None, None, 0.0, "too short for a key")
    spec = spectrogram(x, KEY_FFT, KEY_HOP)
    freqs = np.fft.rfftfreq(KEY_FFT, 1.0 / RATE)
    band = (freqs >= 55.0) & (freqs <= 2100.0)
    spec, freqs = spec[:, band], freqs[band]
    harmonic = median_filter(spec, 9, axis=0)
    percussive = median_filter(spec, 17, axis=1)
    kept = np.where(harmonic >= percussive, spec, 0.0)
    total = float(np.sum(spec**2))
    share = float(np.sum(kept**2)) / total if total > 0 else 0.0
    if share < MIN_HARMONIC_SHARE:
        return Estimate(None, None, 0.0, f"percussive, no key (harmonic share {share:.2f})")
    chroma = _chroma(kept, freqs)
    if chroma.max() <= 0:
        return Estimate(None, None, 0.0, "no pitched content")
    scores = key_scores(chroma)
    best = int(np.argmax(scores))
    r = float(scores[best])
    if r < MIN_KEY_CORRELATION:
        return Estimate(None, None, 0.0, f"no clear key (best {key_name(best)}, r {r:.2f})")
    confidence = float(np.clip((r - 0.4) / 0.5, 0, 1) * np.clip(share / 0.6, 0, 1))
    return Estimate(best, key_name(best), round(confidence, 3))


def median_filter(a: np.ndarray, size: int, axis: int) -> np.ndarray:
    """Running median of odd ``size`` along ``axis``, edges repeated: equal to scipy.ndimage's
    ``median_filter(mode="nearest")`` with a 1-D footprint, without the ~0.4 s of importing
    scipy.ndimage in every indexing process that meets one loop (bench/bench_index.py)."""
    pad = [(0, 0)] * a.ndim
    pad[axis] = (size // 2, size // 2)
    windows = np.lib.stride_tricks.sliding_window_view(np.pad(a, pad, mode="edge"), size, axis=axis)
    return np.partition(windows, size // 2, axis=-1)[..., size // 2]  # ~4x faster than scipy's here


def _chroma(spec: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    midi = 69 + 12 * np.log2(freqs / 440.0)
    nearest = np.round(midi)
    weight = np.clip(1.0 - 2.5 * np.abs(midi - nearest), 0.0, 1.0)  # bins between two notes count less
    per_frame = np.zeros((spec.shape[0], 12))
    pcs = nearest.astype(int) % 12
    for pc in range(12):
        mask = pcs == pc
        per_frame[:, pc] = (spec[:, mask] * weight[mask]).sum(axis=1)
    peak = per_frame.max(axis=1, keepdims=True)
    per_frame = np.divide(per_frame, peak, out=np.zeros_like(per_frame), where=peak > 0)
    energy = spec.sum(axis=1)
    total = energy.sum()
    share = energy / total if total > 0 else np.zeros_like(energy)
    return (per_frame * share[:, None]).sum(axis=0)


def key_scores(chroma: np.ndarray) -> np.ndarray:
    """Correlation of a 12-bin chroma with each of the 24 key profiles (C..B major, then minor)."""
    out = np.empty(24)
    for pc in range(12):
        rotated = np.roll(chroma, -pc)
        out[pc] = np.corrcoef(rotated, _MAJOR)[0, 1]
        out[pc + 12] = np.corrcoef(rotated, _MINOR)[0, 1]
    return np.nan_to_num(out, nan=-1.0)


def estimate_root(x: np.ndarray) -> Estimate:
    part = sustained_part(x)
    if part.size < PITCH_FRAME:
        return Estimate(None, None, 0.0, "too short for a pitch")
    block = frames(part, PITCH_FRAME, max(PITCH_HOP, (part.size - PITCH_FRAME) // (MAX_PITCH_FRAMES - 1)))
    _, gate = yin(block[[0, block.shape[0] // 2, -1]])  # three frames first: most drums stop here
    if gate.min() >= MAX_APERIODICITY:
        return Estimate(None, None, 0.0, "no clear pitch (drum or noise)")
    f0, aperiodicity = yin(block)
    voiced = aperiodicity < MAX_APERIODICITY
    if voiced.sum() < 2:
        return Estimate(None, None, 0.0, "no clear pitch (drum or noise)")
    notes = 69 + 12 * np.log2(f0[voiced] / 440.0)
    centre = float(np.median(notes))
    steady = float(np.mean(np.abs(notes - centre) <= 0.5))
    third = max(1, notes.size // 3)
    glide = abs(float(np.median(notes[:third]) - np.median(notes[-third:])))
    if glide > 1.0 or steady < 0.6:
        return Estimate(None, None, 0.0, f"pitch not steady (glides {glide:.1f} semitones: drum?)")
    f0_hz = 440.0 * 2 ** ((centre - 69) / 12)
    harmonic, overtones = harmonicity(part[: int(0.5 * RATE)], f0_hz)
    if harmonic < MIN_HARMONIC:
        return Estimate(None, None, 0.0, f"inharmonic partials (harmonic share {harmonic:.2f}: drum or bell?)")
    if overtones < MIN_OVERTONES and f0_hz < 110.0:
        return Estimate(None, None, 0.0, f"a pure low sine at {f0_hz:.0f} Hz (kick or sub: not called a note)")
    midi = int(round(centre))
    confidence = float(voiced.mean() * steady * (1 - np.median(aperiodicity[voiced])))
    return Estimate(midi, note_name(midi), round(confidence, 3))


def harmonicity(part: np.ndarray, f0: float) -> tuple[float, float]:
    """(share of the energy above 0.8 f0 lying on multiples of f0, share on the 2nd and higher ones).

    Strings, pipes, voices and synths put their energy on harmonics; drum heads and bells do not.
    """
    size = max(8192, 1 << int(np.ceil(np.log2(max(part.size, 2)))))
    power = np.abs(np.fft.rfft(part * np.hanning(part.size), size)) ** 2
    return _harmonic_shares(power, np.fft.rfftfreq(size, 1.0 / RATE), f0, RATE / size, RATE / 2 * 0.9)


def _harmonic_shares(
    power: np.ndarray, freqs: np.ndarray, f0: float, bin_hz: float, nyquist: float
) -> tuple[float, float]:
    top = min(nyquist, 12 * f0)
    band = (freqs >= 0.8 * f0) & (freqs <= top)
    total = float(power[band].sum())
    if total <= 0:
        return 0.0, 0.0
    k = np.round(freqs / f0)
    near = band & (k >= 1) & (np.abs(freqs - k * f0) <= np.maximum(0.03 * k * f0, 2.5 * bin_hz))
    return float(power[near].sum()) / total, float(power[near & (k >= 2)].sum()) / total


def looks_periodic(x: np.ndarray, rate: int, threshold: float = 0.45) -> bool:
    """The cheap test before pitch tracking, at the file's own rate: ~46 ms frames 30, 130 and 330 ms
    after the peak (those the file has) must each be periodic (normalised autocorrelation above ``threshold`` at
    the lag of a 30-1500 Hz note) with the same period within a semitone. Noise, snares and hats
    fail the first test; kicks and toms whose pitch falls, the second. Above 32 kHz every other
    sample is used (aliasing does not move a period), which halves the cost."""
    if rate >= 32000:
        x, rate = x[::2], rate // 2
    size = 1 << int(np.ceil(np.log2(max(2, 0.046 * rate))))
    periods = []
    for start in (0, int(0.1 * rate), int(0.3 * rate)):
        frame = x[start : start + size].astype(np.float64)
        if frame.size < size:
            break
        found = _period(frame - frame.mean(), rate, threshold)
        if found is None:
            return False
        periods.append(found)
    if not periods:
        return False
    return all(abs(12 * np.log2(periods[0] / later)) <= 1.0 for later in periods[1:])


def _period(frame: np.ndarray, rate: int, threshold: float) -> float | None:
    """The period (samples) of a periodic frame; None when it is not."""
    size = frame.size
    r = np.fft.irfft(np.abs(np.fft.rfft(frame, 2 * size)) ** 2)[:size]
    lo, hi = int(rate / F0_RANGE[1]), min(int(rate / F0_RANGE[0]), int(0.7 * size))
    if r[0] <= 0 or hi <= lo:
        return None
    # half-way between biased and unbiased: a low note's long lag is not punished for its small
    # overlap, and noise is not lifted much there either
    nacf = r[lo:hi] / (r[0] * np.sqrt((size - np.arange(lo, hi)) / size))
    peaks = np.flatnonzero((nacf[1:-1] > nacf[:-2]) & (nacf[1:-1] >= nacf[2:])) + 1  # not the slope from lag 0
    if peaks.size == 0 or float(nacf[peaks].max()) < threshold:
        return None
    best = int(peaks[nacf[peaks] >= 0.85 * float(nacf[peaks].max())][0])  # the shortest strong lag
    return float(lo + best)


def sustained_part(x: np.ndarray, max_seconds: float = 0.8, floor_db: float = -30.0) -> np.ndarray:
    """From just after the loudest moment until the level falls ``floor_db`` below it."""
    hop = PITCH_HOP
    level = np.sqrt(np.mean(frames(x, hop, hop) ** 2, axis=1))
    if level.size == 0 or level.max() <= 0:
        return x[:0]
    top = int(np.argmax(level))
    start = (top * hop) + int(0.03 * RATE)
    below = np.flatnonzero(level[top:] < level[top] * 10 ** (floor_db / 20))
    end = (top + int(below[0])) * hop if below.size else x.size
    return x[start : min(end, start + int(max_seconds * RATE))]


def yin(block: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """YIN f0 (Hz) and aperiodicity per frame (rows of ``block``)."""
    w = block.shape[1]
    tau_min, tau_max = int(RATE / F0_RANGE[1]), min(int(RATE / F0_RANGE[0]), w // 2)
    spectrum = np.fft.rfft(block, 2 * w, axis=1)
    r = np.fft.irfft(spectrum * np.conj(spectrum), axis=1)[:, : tau_max + 1]
    energy = np.cumsum(np.concatenate([np.zeros((block.shape[0], 1)), block**2], axis=1), axis=1)
    taus = np.arange(tau_max + 1)
    diff = energy[:, w - taus] + (energy[:, w : w + 1] - energy[:, taus]) - 2 * r
    cumulative = np.cumsum(diff[:, 1:], axis=1)
    cmnd = np.ones_like(diff)
    cmnd[:, 1:] = diff[:, 1:] * taus[1:] / np.maximum(cumulative, 1e-12)
    f0, aperiodicity = np.zeros(block.shape[0]), np.ones(block.shape[0])
    for row, curve in enumerate(cmnd):
        tau = _first_dip(curve, tau_min, tau_max)
        if tau is None:
            continue
        shift = _parabola(curve, tau)
        f0[row], aperiodicity[row] = RATE / (tau + shift), float(curve[tau])
    return f0, aperiodicity


def _first_dip(curve: np.ndarray, lo: int, hi: int, threshold: float = 0.15) -> int | None:
    region = curve[lo:hi]
    if region.size < 3:
        return None
    below = np.flatnonzero(region < threshold)
    i = int(below[0]) if below.size else int(np.argmin(region))
    while i + 1 < region.size and region[i + 1] < region[i]:
        i += 1
    return lo + i if 0 < lo + i < curve.size - 1 else None


def _parabola(curve: np.ndarray, i: int) -> float:
    a, b, c = curve[i - 1], curve[i], curve[i + 1]
    denom = a - 2 * b + c
    return float(0.5 * (a - c) / denom) if denom > 0 else 0.0
