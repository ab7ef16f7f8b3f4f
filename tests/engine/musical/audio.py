"""Generated audio with known musical facts: click and drum loops at a tempo, chord loops in a key,
tones at a note, and the awkward cases (silence, noise, clicks, a decaying cymbal)."""

from __future__ import annotations

import numpy as np

RATE = 44100
_CHORDS = {  # scale degrees (semitones above the tonic) of a I-IV-V-I or i-iv-v-i progression
    False: ((0, 4, 7), (5, 9, 12), (7, 11, 14), (0, 4, 7)),
    True: ((0, 3, 7), (5, 8, 12), (7, 10, 14), (0, 3, 7)),
}


def midi_hz(midi: float) -> float:
    return 440.0 * 2 ** ((midi - 69) / 12)


def click_track(bpm: float, bars: int = 4, rate: int = RATE, accent: bool = True) -> np.ndarray:
    """A drum-like loop: kick on every beat, a hat on the off-beats, cut to whole bars."""
    beat = 60.0 / bpm
    out = np.zeros(int(round(bars * 4 * beat * rate)), dtype=np.float32)
    rng = np.random.default_rng(0)
    for i in range(bars * 4):
        _add(out, _kick(rate) * (1.0 if (i % 4 == 0 or not accent) else 0.7), int(i * beat * rate))
        _add(out, _hat(rate, rng) * 0.3, int((i + 0.5) * beat * rate))
    return out


def chord_loop(
    tonic_midi: int, minor: bool, bpm: float = 100.0, bars: int = 4, rate: int = RATE, drums: bool = True
) -> np.ndarray:
    """A loop of held triads (one per bar, I-IV-V-I or i-iv-v-i) over an optional beat."""
    bar = 4 * 60.0 / bpm
    n = int(round(bars * bar * rate))
    t = np.arange(int(bar * rate)) / rate
    out = np.zeros(n, dtype=np.float32)
    for b in range(bars):
        chord = _CHORDS[minor][b % 4]
        tone = sum(_harmonic_tone(midi_hz(tonic_midi + d), t) for d in chord)
        tone += 0.6 * _harmonic_tone(midi_hz(tonic_midi + chord[0] - 12), t)
        env = np.minimum(1.0, t / 0.01) * np.exp(-t / (bar * 1.5))
        _add(out, (0.15 * tone * env).astype(np.float32), int(b * bar * rate))
    if drums:
        out += 0.5 * click_track(bpm, bars, rate)[:n]
    return out


def tone(midi: int, seconds: float = 1.0, rate: int = RATE, decay: float = 0.6) -> np.ndarray:
    """A plucked harmonic tone (bass hit, stab) at ``midi``."""
    t = np.arange(int(seconds * rate)) / rate
    env = np.minimum(1.0, t / 0.005) * np.exp(-t / decay)
    return (0.5 * _harmonic_tone(midi_hz(midi), t) * env).astype(np.float32)


def cymbal(seconds: float = 4.0, rate: int = RATE) -> np.ndarray:
    """A long crash: bright noise with one attack and a slow decay."""
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * rate)) / rate
    noise = np.diff(rng.standard_normal(t.size + 1)).astype(np.float32)
    return (0.3 * noise * np.exp(-t / 0.9)).astype(np.float32)


def noise(seconds: float = 5.0, rate: int = RATE) -> np.ndarray:
    return (0.2 * np.random.default_rng(2).standard_normal(int(seconds * rate))).astype(np.float32)


def clicks(seconds: float = 3.0, rate: int = RATE) -> np.ndarray:
    """A few irregular single-sample clicks in silence."""
    out = np.zeros(int(seconds * rate), dtype=np.float32)
    out[[int(0.13 * rate), int(1.01 * rate), int(2.77 * rate)]] = 0.9
    return out


def _harmonic_tone(f0: float, t: np.ndarray) -> np.ndarray:
    return sum((0.6**k) * np.sin(2 * np.pi * f0 * (k + 1) * t) for k in range(5) if f0 * (k + 1) < 5000)


def _kick(rate: int) -> np.ndarray:
    t = np.arange(int(0.25 * rate)) / rate
    freq = 50 + 100 * np.exp(-t / 0.03)
    return (0.9 * np.sin(2 * np.pi * np.cumsum(freq) / rate) * np.exp(-t / 0.08)).astype(np.float32)


def _hat(rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.05 * rate)) / rate
    return (np.diff(rng.standard_normal(t.size + 1)) * np.exp(-t / 0.01)).astype(np.float32)


def _add(out: np.ndarray, part: np.ndarray, at: int) -> None:
    end = min(out.size, at + part.size)
    if at < end:
        out[at:end] += part[: end - at]


#: (tonic pitch class, minor, bpm) of the grooves ``music_folder`` writes, groove_0 .. groove_4.
GROOVES = ((9, True, 120), (9, True, 122), (0, False, 120), (0, False, 90), (4, True, 120))


def music_folder(root, write) -> None:
    """Five two-bar chord loops (Am 120, Am 122, C 120, C 90, Em 120), a drum loop at 120,
    bass hits at C2, G2 and C3, and a long crash cymbal, as WAVs under ``root``."""
    for i, (tonic, minor, bpm) in enumerate(GROOVES):
        write(root / "Loops" / f"groove_{i}.wav", chord_loop(48 + tonic, minor, bpm=bpm, bars=2))
    write(root / "Loops" / "drums_120.wav", click_track(120, bars=2))
    for midi in (36, 43, 48):
        write(root / "Bass" / f"hit_{midi}.wav", tone(midi, seconds=0.7))
    write(root / "Drums" / "crash.wav", cymbal(3.0))
