"""Tempo and loop-or-one-shot from the onset envelope.

Tempo: the autocorrelation of the onset envelope, each lag also credited with the echo at twice
the lag (a real beat repeats), a log-normal prior around 120 BPM, then the octave (half, same,
double) that lands most plausibly in 70-180 BPM; the other octave is kept as the alternative.
The period is refined from the peaks at several multiples of the beat, and snapped to a whole
number of beats over the file when that is within 2 % (sample loops are cut to whole bars).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundalike.engine.musical.signal import ONSET_HOP, RATE, onset_times

FPS = RATE / ONSET_HOP
TEMPO_RANGE = (40.0, 240.0)
PREFERRED = (70.0, 180.0)
MIN_TEMPO_SECONDS = 1.5
MIN_PERIODICITY = 0.12


@dataclass(frozen=True)
class Tempo:
    bpm: float | None
    alternative: float | None
    confidence: float
    reason: str | None = None  # why there is none


@dataclass(frozen=True)
class Shape:
    """What the envelope says about loop or one-shot."""

    onsets: int
    spread: float  # (last onset - first onset) / length
    periodicity: float
    decay_db: float  # level of the last third against the first third


def autocorrelation(envelope: np.ndarray) -> np.ndarray:
    x = envelope - envelope.mean()
    n = x.size
    spectrum = np.fft.rfft(x, 2 * n)
    ac = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    return ac / ac[0] if ac[0] > 0 else np.zeros(n)


def estimate_tempo(envelope: np.ndarray, duration: float) -> Tempo:
    seconds = envelope.size / FPS
    if seconds < MIN_TEMPO_SECONDS:
        return Tempo(None, None, 0.0, f"too short for a tempo ({seconds:.1f} s)")
    if envelope.max() <= 0:
        return Tempo(None, None, 0.0, "no onsets")
    ac = autocorrelation(envelope)
    lags = np.arange(ac.size)
    lo, hi = int(60 * FPS / TEMPO_RANGE[1]), min(int(60 * FPS / TEMPO_RANGE[0]) + 1, ac.size // 2)
    if hi <= lo + 2:
        return Tempo(None, None, 0.0, f"too short for a tempo ({seconds:.1f} s)")
    echo = np.interp(2 * lags[lo:hi], lags, ac, right=0.0)
    score = (np.maximum(ac[lo:hi], 0) + 0.5 * np.maximum(echo, 0)) * _prior(60 * FPS / lags[lo:hi])
    best = lo + int(np.argmax(score))
    strength = _peak(ac, best)
    if strength < MIN_PERIODICITY:
        return Tempo(None, None, max(strength, 0.0), f"no steady beat (periodicity {max(strength, 0.0):.2f})")
    period = _refine(ac, best)
    bpm = _pick_octave(ac, 60 * FPS / period)
    bpm = _whole_beats(envelope, bpm, duration) or snap_to_length(bpm, duration)
    alternative = bpm * 2 if bpm < 120 else bpm / 2
    return Tempo(round(bpm, 2), round(alternative, 2), float(min(1.0, strength)))


def _prior(bpm: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * (np.log2(bpm / 120.0) / 1.0) ** 2)


def _peak(ac: np.ndarray, lag: int) -> float:
    window = ac[max(1, lag - 2) : lag + 3]
    return float(window.max()) if window.size else 0.0


def _refine(ac: np.ndarray, lag: int) -> float:
    """The beat period in frames, from parabolic peaks at 1..4 times the lag."""
    estimates, weights = [], []
    for k in range(1, 5):
        centre = k * lag
        if centre + 3 >= ac.size // 1.5:
            break
        lo = max(1, int(round(centre - 0.06 * centre)) - 1)
        hi = int(round(centre + 0.06 * centre)) + 2
        i = lo + int(np.argmax(ac[lo:hi]))
        if 0 < i < ac.size - 1:
            a, b, c = ac[i - 1], ac[i], ac[i + 1]
            denom = a - 2 * b + c
            offset = 0.5 * (a - c) / denom if denom < 0 else 0.0
            estimates.append((i + offset) / k)
            weights.append(max(b, 1e-3) * k)
    return float(np.average(estimates, weights=weights)) if estimates else float(lag)


def _pick_octave(ac: np.ndarray, bpm: float) -> float:
    """Of bpm/2, bpm and 2*bpm, the one in 70-180 with the most evidence (ties go to the middle)."""
    candidates = [b for b in (bpm / 2, bpm, bpm * 2) if PREFERRED[0] <= b <= PREFERRED[1]]
    if not candidates:
        return bpm
    if len(candidates) == 1:
        return candidates[0]
    evidence = [_peak(ac, int(round(60 * FPS / b))) * _prior(np.array(b)) for b in candidates]
    return float(candidates[int(np.argmax(evidence))])


#: Beats a loop is usually cut to (whole bars of 4/4, and half bars); 4, 8, 16... are preferred.
LOOP_BEATS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)


def _evidence(ac: np.ndarray, bpm: float, circular: bool = False) -> float:
    lag = 60 * FPS / bpm
    if lag * (1.0 if circular else 1.5) >= ac.size:
        return 0.0
    echo = _peak(ac, int(round(2 * lag))) if 2 * lag < ac.size * (1.0 if circular else 0.75) else 0.0
    return (max(_peak(ac, int(round(lag))), 0.0) + 0.5 * max(echo, 0.0)) * float(_prior(np.array(bpm)))


def circular_autocorrelation(envelope: np.ndarray) -> np.ndarray:
    """Autocorrelation of the envelope as if the file repeated (a loop does): no overlap shrinks."""
    x = envelope - envelope.mean()
    spectrum = np.fft.rfft(x)
    ac = np.fft.irfft(spectrum * np.conj(spectrum), x.size)
    return ac / ac[0] if ac[0] > 0 else np.zeros(x.size)


def _whole_beats(envelope: np.ndarray, bpm: float, duration: float) -> float | None:
    """The tempo that fits a whole number of beats into the file (loops are cut to whole bars),
    judged on the envelope as a loop (circular autocorrelation), when its beat agrees about as well
    as the free estimate's; a free estimate that fits no whole number of beats counts for less."""
    if duration <= 0 or envelope.size < 8:
        return None
    ac = circular_autocorrelation(envelope)
    candidates = [n * 60.0 / duration for n in LOOP_BEATS if PREFERRED[0] <= n * 60.0 / duration <= PREFERRED[1]]
    scored = [
        (_evidence(ac, b, circular=True) * (1.0 if round(b * duration / 60) % 4 == 0 else 0.8), b) for b in candidates
    ]
    if not scored:
        return None
    best_score, best = max(scored)
    fits = snap_to_length(bpm, duration) != bpm or abs(bpm * duration / 60 - round(bpm * duration / 60)) < 0.02
    needed = (0.8 if fits else 0.5) * _evidence(ac, bpm, circular=True)
    return best if best_score > 0 and best_score >= needed else None


def snap_to_length(bpm: float, duration: float, tolerance: float = 0.02) -> float:
    """Snap to a whole number of beats over ``duration`` when that is within ``tolerance``."""
    if duration <= 0:
        return bpm
    beats = duration * bpm / 60.0
    whole = round(beats)
    if whole >= 2 and abs(beats - whole) / whole <= tolerance:
        return whole * 60.0 / duration
    return bpm


def shape(envelope: np.ndarray, level: np.ndarray, periodicity: float) -> Shape:
    """Onset count and spread, periodicity, and how the level falls over the file."""
    onsets = onset_times(envelope)
    n = envelope.size
    spread = float((onsets[-1] - onsets[0]) / n) if onsets.size >= 2 else 0.0
    third = max(1, level.size // 3)
    first, last = float(np.sqrt(np.mean(level[:third] ** 2))), float(np.sqrt(np.mean(level[-third:] ** 2)))
    decay = 20 * np.log10(max(last, 1e-9) / max(first, 1e-9))
    return Shape(int(onsets.size), spread, periodicity, float(decay))


def loop_score(s: Shape, duration: float, has_tempo: bool) -> float:
    """Evidence for a loop (positive) or a one-shot (negative), before the name is heard.

    Scores within +-0.6 mean "cannot tell": a steady sound with no attack (noise, a drone) or a
    few irregular hits. Without a tempo the audio never says "loop" on its own.
    """
    score = 1.0 if s.onsets >= 4 else (-1.0 if s.onsets <= 1 else 0.0)
    if has_tempo:
        score += 2.5 * min(s.periodicity, 0.8)
    if s.onsets >= 2:
        score += 1.5 * (s.spread - 0.5)
    if s.decay_db < -24:
        score -= 2.5
    elif s.decay_db < -12:
        score -= 1.2
    elif s.decay_db > -6:
        score += 0.3
    if duration < 1.5 and not has_tempo:
        score -= 0.5
    if s.onsets <= 1 and s.decay_db > -6 and duration >= 2.0:
        score = max(-0.5, min(score, 0.5))  # steady, no attack: noise, a drone, a held note
    if not has_tempo:
        score = min(score, 0.5)
    return float(score)
