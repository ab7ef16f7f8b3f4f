"""The chord of a tonal one-shot (a guitar strum, a piano or pad chord, a stab): root and quality.

The sustained part (from just after the loudest moment, for up to 1.5 s or until it falls 30 dB)
gives one long-term spectrum; its spectral peaks are mapped to notes (A1-C7) and folded into a
12-bin chroma, square-root compressed so one loud string does not drown the rest. Each chord
(12 roots x major, minor, 7, maj7, m7) is a template of its notes *with their overtones* (the
3rd harmonic of a root is its fifth, the 5th a major third: a plain template hears a minor
chord's root as a major third's worth of evidence), scored by cosine against the chroma, with a
small bonus when the lowest strong note is the chord's root (inversions exist, but a one-shot
chord is rarely one). A single note with its overtones is tried too: when it explains the
spectrum as well as the best chord, the file holds a note, not a chord (its root note is found
elsewhere). Too little tonal energy, too flat a chroma, or two chords scoring alike give no chord,
with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundalike.engine.musical.keys import NOTE_NAMES
from soundalike.engine.musical.signal import RATE, frames

#: Chord qualities: the suffix of the chord's name and its intervals above the root.
QUALITIES = {"": (0, 4, 7), "m": (0, 3, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "m7": (0, 3, 7, 10)}
MINOR_QUALITIES = frozenset(("m", "m7"))
FFT, HOP = 8192, 2048
NOTE_RANGE = (24, 96)  # C1 .. C7
MAX_SECONDS = 1.5
HARMONICS = 4
HARMONIC_DECAY = 0.55
#: Best and second-best chords closer than this (cosine) are "unsure".
MIN_MARGIN = 0.015
MIN_SCORE = 0.85
BASS_BONUS = 0.03
#: Share of the spectrum's energy that must lie on spectral peaks near notes (tonal, not noise).
MIN_TONAL_SHARE = 0.35
#: Share of the energy from C1 up (to 5.5 kHz) that must lie in the notes' band (up to C7): hats
#: and cymbals live above it, whatever tonal ring their remains below show.
MIN_BAND_SHARE = 0.5


@dataclass(frozen=True)
class Chord:
    root: int | None  # pitch class 0-11
    quality: str | None  # a key of QUALITIES
    confidence: float
    reason: str | None = None  # why there is none, or why it is unsure
    bass: int | None = None  # MIDI note of the lowest strong note
    alternative: str | None = None  # the runner-up's name, when close

    @property
    def name(self) -> str | None:
        return chord_name(self.root, self.quality) if self.root is not None and self.quality is not None else None

    @property
    def key(self) -> int | None:
        """The 24-key index of the chord: its root, minor for m and m7."""
        if self.root is None or self.quality is None:
            return None
        return self.root + (12 if self.quality in MINOR_QUALITIES else 0)


def chord_name(root: int, quality: str) -> str:
    return NOTE_NAMES[root % 12] + quality


def _templates() -> tuple[list[tuple[int, str]], np.ndarray]:
    """Every chord's chroma template (unit length), overtones included."""
    labels, rows = [], []
    for quality, intervals in QUALITIES.items():
        for root in range(12):
            labels.append((root, quality))
            rows.append(_with_overtones([root + i for i in intervals]))
    matrix = np.array(rows)
    return labels, matrix / np.linalg.norm(matrix, axis=1, keepdims=True)


def _with_overtones(pitch_classes: list[int]) -> np.ndarray:
    out = np.zeros(12)
    for pc in pitch_classes:
        for k in range(1, HARMONICS + 1):
            out[(pc + int(round(12 * np.log2(k)))) % 12] += np.sqrt(HARMONIC_DECAY ** (k - 1))
    return out


_LABELS, _TEMPLATES = _templates()


def estimate_chord(x: np.ndarray) -> Chord:
    """The chord of ``x`` (mono at the analysis rate, starting at or before the attack)."""
    spectrum = _sustained_spectrum(x)
    if spectrum is None:
        return Chord(None, None, 0.0, "too short for a chord")
    notes, tonal_share, band_share = note_energies(spectrum)
    if band_share < MIN_BAND_SHARE:
        return Chord(
            None,
            None,
            0.0,
            f"its energy lies above the notes of chords (share below 2.1 kHz {band_share:.2f}: a hat or a cymbal?)",
        )
    if notes.max() <= 0 or tonal_share < MIN_TONAL_SHARE:
        return Chord(None, None, 0.0, f"no tonal content (tonal share {tonal_share:.2f})")
    chroma = np.zeros(12)
    np.add.at(chroma, (np.arange(NOTE_RANGE[0], NOTE_RANGE[1] + 1)) % 12, notes)
    chroma = np.sqrt(chroma)
    chroma /= np.linalg.norm(chroma)
    bass = _bass(notes)
    scores = _TEMPLATES @ chroma
    scores += BASS_BONUS * np.array([root == bass % 12 for root, _ in _LABELS])
    order = np.argsort(scores)[::-1]
    best, second = int(order[0]), int(order[1])
    root, quality = _LABELS[best]
    chord_fit = float(_TEMPLATES[best] @ chroma)
    single = one_note(notes)
    if single is not None:
        return Chord(None, None, 0.0, f"one note, not a chord ({single})", bass=bass)
    if chord_fit < MIN_SCORE:
        return Chord(
            None, None, 0.0, f"no clear chord (best {chord_name(root, quality)}, fit {chord_fit:.2f})", bass=bass
        )
    margin = float(scores[best] - scores[second])
    runner = chord_name(*_LABELS[second])
    confidence = round(float(np.clip((chord_fit - 0.75) / 0.2, 0, 1) * np.clip(margin / 0.08, 0.2, 1)), 3)
    if margin < MIN_MARGIN:
        return Chord(
            root,
            quality,
            confidence,
            f"unsure: {chord_name(root, quality)} or {runner} (fit {scores[best]:.3f} against {scores[second]:.3f})",
            bass=bass,
            alternative=runner,
        )
    return Chord(root, quality, confidence, bass=bass)


def _sustained_spectrum(x: np.ndarray) -> np.ndarray | None:
    """Mean power spectrum from 30 ms after the loudest moment until it falls 30 dB (1.5 s at most)."""
    hop = 256
    level = np.sqrt(np.mean(frames(x, hop, hop) ** 2, axis=1))
    if level.size == 0 or level.max() <= 0:
        return None
    top = int(np.argmax(level))
    start = top * hop + int(0.03 * RATE)
    below = np.flatnonzero(level[top:] < level[top] * 10 ** (-30 / 20))
    end = (top + int(below[0])) * hop if below.size else x.size
    part = x[start : min(end, start + int(MAX_SECONDS * RATE))]
    if part.size < FFT // 2:
        return None
    if part.size < FFT:
        part = np.pad(part, (0, FFT - part.size))
    window = np.hanning(FFT).astype(np.float32)
    return np.mean(np.abs(np.fft.rfft(frames(part, FFT, HOP) * window, axis=1)) ** 2, axis=0)


def note_energies(power: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Energy of each note in NOTE_RANGE from the spectrum's local peaks (within 40 cents of the
    note), the share of the band's energy those peaks hold, and the band's share of the energy from
    its bottom up (the rest lies above C7)."""
    freqs = np.fft.rfftfreq(FFT, 1.0 / RATE)
    lo_hz = 440.0 * 2 ** ((NOTE_RANGE[0] - 0.5 - 69) / 12)
    hi_hz = 440.0 * 2 ** ((NOTE_RANGE[1] + 0.5 - 69) / 12)
    band = (freqs >= lo_hz) & (freqs <= hi_hz)
    total = float(power[band].sum())
    above = float(power[freqs > hi_hz].sum())  # what lies below C1 (rumble, an offset) is left out
    band_share = total / (total + above) if total + above > 0 else 0.0
    if total <= 0:
        return np.zeros(NOTE_RANGE[1] - NOTE_RANGE[0] + 1), 0.0, band_share
    is_peak = np.zeros(power.size, bool)
    is_peak[1:-1] = (power[1:-1] > power[:-2]) & (power[1:-1] >= power[2:])
    is_peak &= band & (power > power[band].max() * 1e-3)
    peaks = np.flatnonzero(is_peak)
    midi = 69 + 12 * np.log2(freqs[peaks] / 440.0)
    nearest = np.round(midi).astype(int)
    close = np.abs(midi - nearest) <= 0.4
    # a peak's energy: its bin and the two beside it (a Hann window spreads a partial over three)
    energy = power[peaks] + power[peaks - 1] + power[peaks + 1]
    notes = np.zeros(NOTE_RANGE[1] - NOTE_RANGE[0] + 1)
    np.add.at(notes, nearest[close] - NOTE_RANGE[0], energy[close])
    return notes, float(energy[close].sum()) / total, band_share


#: Semitones from a note to its overtones 2-8 (octaves are 12, 24, 36).
_PARTIALS = (0, 12, 19, 24, 28, 31, 34, 36)
_OCTAVES = (0, 12, 24, 36)
#: Most energy off a note's overtones (share), and on its fifths, thirds and sevenths against its
#: octaves, that one note with its overtones may show.
MAX_OFF_SERIES = 0.05
MAX_NON_OCTAVE = 1.0


def one_note(notes: np.ndarray) -> str | None:
    """How the spectrum is one note with its overtones (a bass hit, a lead), or None when it is not:
    energy off the note's overtone series, or fifths and thirds louder than overtones are."""
    total = float(notes.sum())
    for low in np.flatnonzero(notes >= 0.1 * notes.max())[:3]:
        on = [low + p for p in _PARTIALS if low + p < notes.size]
        off = 1.0 - float(notes[on].sum()) / total
        octaves = float(notes[[low + p for p in _OCTAVES if low + p < notes.size]].sum())
        others = float(notes[[low + p for p in _PARTIALS if p not in _OCTAVES and low + p < notes.size]].sum())
        if off < MAX_OFF_SERIES and others < MAX_NON_OCTAVE * octaves:
            name = NOTE_NAMES[(low + NOTE_RANGE[0]) % 12]
            return f"{name} and its overtones hold {1 - off:.0%} of the energy"
    return None


def _bass(notes: np.ndarray) -> int:
    """MIDI number of the lowest note holding at least a tenth of the strongest note's energy."""
    strong = np.flatnonzero(notes >= 0.1 * notes.max())
    return int(strong[0]) + NOTE_RANGE[0]
