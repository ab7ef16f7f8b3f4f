"""One file's musical facts: loop or one-shot, tempo, key (loops) or root note (tonal one-shots).

Each fact comes with a confidence and, when it is unknown or the name and the audio disagreed, a
reason in ``notes`` ("tempo: name says 120, audio 96: name used"). Short one-shots cost almost
nothing: they skip the onset, tempo and key work and only look for a pitch; drums (``drum``, from the
built-in backend's tags: soundalike.engine.musical.drums) do not even look for that.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field, replace

import numpy as np

from soundalike.engine.musical import chords, rhythm, tonality
from soundalike.engine.musical.chords import chord_name
from soundalike.engine.musical.filters import SampleKind
from soundalike.engine.musical.keys import key_name, keys_related, note_name
from soundalike.engine.musical.names import NameHints, read_name
from soundalike.engine.musical.signal import ONSET_HOP, RATE, frames, onset_envelope, to_analysis_rate

log = logging.getLogger(__name__)

#: Bump when the analysis changes, so stored facts are computed again in the background.
VERSION = 2
#: Files shorter than this are one-shots without looking further (a bar at 240 BPM lasts 1 s).
ONE_SHOT_SECONDS = 1.0
#: Tempo and key are judged on the first this-many seconds (a two-hour recording costs no more).
WINDOW_SECONDS = 30.0
MIN_SECONDS = 0.01
MAX_PEAK = 1e6  # float files louder than this (1e30 is a real one) are scaled to full scale first
MIN_TEMPO_ONSETS = 4
#: Seconds after a one-shot's peak that its chord is heard in.
CHORD_SECONDS = 2.0
#: Instruments named in a file's name that play one note: no chord is looked for.
_NOT_CHORDS = frozenset(("bass", "sub", "lead", "note", "808"))
#: Loop scores closer to zero than this leave the kind unknown.
UNSURE = 0.6


@dataclass(frozen=True)
class Musical:
    kind: SampleKind | None = None  # None: unknown
    kind_confidence: float = 0.0
    bpm: float | None = None
    bpm_alternative: float | None = None  # the other octave (half or double)
    bpm_confidence: float = 0.0
    bpm_source: str | None = None  # "name" or "audio"
    key: int | None = None  # 24-key index (loops)
    key_confidence: float = 0.0
    key_source: str | None = None
    root: int | None = None  # MIDI note (tonal one-shots)
    root_confidence: float = 0.0
    root_source: str | None = None
    chord: str | None = None  # a tonal one-shot's chord ("Am7"); its root and mode are ``key``
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def key_name(self) -> str | None:
        return key_name(self.key) if self.key is not None else None

    @property
    def root_name(self) -> str | None:
        return note_name(self.root) if self.root is not None else None


def analyse(
    mono: np.ndarray, rate: int, duration: float, path: str = "", root: str = "", drum: str | None = None
) -> Musical:
    """Musical facts of decoded mono audio; never raises for odd audio (unknown, with a reason).

    ``drum``: why the file is a drum (:func:`soundalike.engine.musical.drums.drum_reason`), or None; a drum
    one-shot gets no root note, and a short one costs no pitch search, unless its name gives a
    note, key or tempo or names a pitched instrument."""
    hints = read_name(path, root) if path else NameHints()
    if hints.loop or hints.tonal or hints.note is not None or hints.key is not None or hints.bpm is not None:
        drum = None  # a name that says anything musical is heard out
    notes = [hints.rejected] if hints.rejected else []
    if mono.size < MIN_SECONDS * rate or not np.isfinite(duration):
        return Musical(notes=(*notes, f"unknown: too short ({mono.size} samples)"))
    peak = max(float(mono.max()), -float(mono.min()))  # = abs().max(), without the copy
    if peak < 1e-4:
        return Musical(notes=(*notes, "unknown: silent"))
    if peak > MAX_PEAK:  # a float file far past full scale: its squares would overflow float32
        mono = mono / np.float32(peak)
    if hints.loop is not True or not hints.loop_in_file:
        if duration < ONE_SHOT_SECONDS:
            return _quick_one_shot(
                mono, rate, hints, 0.95, notes + [_overruled("one-shot: shorter than a bar", hints)], drum
            )
    if single_decaying_hit(mono, rate):
        return _quick_one_shot(
            mono, rate, hints, 0.9, notes + [_overruled("one-shot: one hit that dies away", hints)], drum
        )
    x = to_analysis_rate(mono, rate, WINDOW_SECONDS)
    envelope = onset_envelope(x)
    level = np.sqrt(np.mean(frames(x, ONSET_HOP, ONSET_HOP) ** 2, axis=1))
    shape = rhythm.shape(envelope, level, 0.0)
    if shape.onsets >= MIN_TEMPO_ONSETS:
        tempo = rhythm.estimate_tempo(envelope, duration if duration <= WINDOW_SECONDS else 0.0)
    else:
        tempo = rhythm.Tempo(None, None, 0.0, f"{shape.onsets} onset(s), too few for a beat")
    shape = replace(shape, periodicity=tempo.confidence if tempo.bpm else 0.0)
    score = rhythm.loop_score(shape, duration, tempo.bpm is not None)
    if _name_counts(hints, shape, tempo, duration):
        score += (1.2 if hints.loop_in_file else 0.6) * (1 if hints.loop else -1)
    confidence = round(1 / (1 + math.exp(-1.5 * abs(score))), 3)
    if score <= -UNSURE:
        notes.append(_kind_note("one-shot", shape, tempo, duration, hints))
        return _drum_one_shot(confidence, notes, drum) if drum else _one_shot(x, hints, confidence, notes)
    if score >= UNSURE:
        notes.append(_kind_note("loop", shape, tempo, duration, hints))
        return _loop(x, hints, tempo, confidence, notes)
    return _unsure(x, hints, shape, tempo, notes)


def _name_counts(hints: NameHints, shape: rhythm.Shape, tempo: rhythm.Tempo, duration: float) -> bool:
    """Whether the name's loop or one-shot word is weighed: "loop" never turns a single short hit
    into a loop, and a folder's "loop" (a kit inside "Drum Loops/") only counts where there is a beat."""
    if hints.loop is None:
        return False
    if hints.loop and shape.onsets <= 1 and duration < ONE_SHOT_SECONDS:
        return False
    return hints.loop_in_file or not hints.loop or tempo.bpm is not None


def _overruled(verdict: str, hints: NameHints) -> str:
    """The verdict, and the name's word against it when there was one."""
    return f"{verdict} ({hints.loop_reason}: audio used)" if hints.loop else verdict


def _kind_note(verdict: str, shape: rhythm.Shape, tempo: rhythm.Tempo, duration: float, hints: NameHints) -> str:
    """Why a file is a loop or a one-shot: what the audio showed, and what the name said."""
    beat = f"a steady beat (periodicity {tempo.confidence:.2f})" if tempo.bpm else "no steady beat"
    audio = (
        f"{shape.onsets} onset(s) in {duration:.2f} s, {beat}, last third {shape.decay_db:+.0f} dB against the first"
    )
    return f"{verdict}: {audio}" + (f"; {hints.loop_reason}" if hints.loop_reason else "")


def _unsure(x: np.ndarray, hints: NameHints, shape: rhythm.Shape, tempo: rhythm.Tempo, notes: list[str]) -> Musical:
    """Neither a clear loop nor a clear one-shot: a held note is a one-shot; else say why."""
    if shape.onsets <= 1:
        chord = _chord_one_shot(x, hints, 0.6, notes + ["one-shot: one held chord"])
        if chord is not None:
            return chord
        root = tonality.estimate_root(x)
        if root.value is not None:
            return _one_shot(x, hints, 0.6, notes + ["one-shot: one held note"], root)
        notes.append("kind unknown: a steady sound without a beat or an attack (noise, drone or texture)")
    else:
        notes.append(f"kind unknown: {shape.onsets} hits without a steady beat ({tempo.reason})")
    if hints.loop_reason:
        notes.append(f"kind: {hints.loop_reason}, the audio does not agree")
    key = tonality.estimate_key(x)
    key_index, key_conf, key_source = _choose_key(key, hints, notes)
    return Musical(key=key_index, key_confidence=key_conf, key_source=key_source, notes=tuple(notes))


def _drum_one_shot(confidence: float, notes: list[str], drum: str) -> Musical:
    return Musical(kind="one-shot", kind_confidence=confidence, notes=(*notes, f"root unknown: {drum}, drums get none"))


def _quick_one_shot(
    mono: np.ndarray, rate: int, hints: NameHints, confidence: float, notes: list[str], drum: str | None = None
) -> Musical:
    """A one-shot's facts, cheaply: a drum gets none; one autocorrelation at the file's own rate
    tells most other drums (no periodic tail) from pitched sounds; only those are resampled and
    pitch-tracked."""
    if drum:
        return _drum_one_shot(confidence, notes, drum)
    start = _peak_index(mono, rate)
    chord = _chord_one_shot(
        to_analysis_rate(mono[start : start + int(CHORD_SECONDS * rate)], rate, WINDOW_SECONDS),
        hints,
        confidence,
        notes,
    )
    if chord is not None:
        return chord
    sustained = mono.size - start - int(0.03 * rate)
    if sustained < tonality.PITCH_FRAME * rate / RATE and hints.note is None:
        return Musical(
            kind="one-shot", kind_confidence=confidence, notes=(*notes, "root unknown: too short for a pitch")
        )
    if not tonality.looks_periodic(mono[start + int(0.03 * rate) :], rate) and hints.note is None:
        return Musical(
            kind="one-shot", kind_confidence=confidence, notes=(*notes, "root unknown: no clear pitch (drum or noise)")
        )
    part = to_analysis_rate(mono[start : start + int(0.9 * rate)], rate, WINDOW_SECONDS)
    return _one_shot(part, hints, confidence, notes)


def _peak_index(mono: np.ndarray, rate: int) -> int:
    hop = max(1, rate // 100)
    usable = mono[: mono.size - mono.size % hop]
    if usable.size < hop:
        return 0
    return int(np.argmax(np.abs(usable).reshape(-1, hop).max(axis=1))) * hop


def single_decaying_hit(mono: np.ndarray, rate: int, window: float = 0.05) -> bool:
    """True when the level rises once and then only falls (by at least 15 dB, or 9 dB when it never
    rises again at all): a hit and its tail, a cymbal or a tom. Cheap (50 ms RMS levels), so long
    one-shots skip the onset analysis; a tail that wobbles (a ride's beating) may rise up to 9 dB
    above its lowest point so far."""
    hop = max(1, int(rate * window))
    blocks = mono[: (mono.size // hop) * hop].reshape(-1, hop)
    if blocks.shape[0] < 4:
        return False
    level = 10 * np.log10(np.maximum(np.einsum("ij,ij->i", blocks, blocks) / hop, 1e-12))
    top = int(np.argmax(level))
    tail = level[top:]
    audible = tail > level[top] - 40
    rises = float(np.max((tail - np.minimum.accumulate(tail))[audible])) if audible.any() else 0.0
    drop = level[top] - float(tail[-2:].mean())
    return top < 0.2 * level.size and (rises < 9.0 and drop > 15 or rises < 3.0 and drop > 9)


def _one_shot(
    x: np.ndarray, hints: NameHints, confidence: float, notes: list[str], root: tonality.Estimate | None = None
) -> Musical:
    chord = _chord_one_shot(x, hints, confidence, notes) if root is None else None
    if chord is not None:
        return chord
    root = root or tonality.estimate_root(x)
    midi, source, conf = _choose_root(root, hints, notes)
    return Musical(
        kind="one-shot",
        kind_confidence=confidence,
        root=midi,
        root_confidence=conf,
        root_source=source,
        notes=tuple(notes),
    )


def _chord_one_shot(x: np.ndarray, hints: NameHints, confidence: float, notes: list[str]) -> Musical | None:
    """A chord one-shot's facts (its chord, the key its root and mode give, its root note), when the
    audio holds a chord or the name spells one; None otherwise (a note, a drum, noise)."""
    if hints.chord is None and hints.words & _NOT_CHORDS:
        return None  # a bass or a lead is one note, whatever its overtones suggest
    heard = chords.estimate_chord(x)
    named = chord_name(*hints.chord) if hints.chord is not None and hints.chord_strong else None
    if heard.name is None and named is None:
        return None
    notes = list(notes)
    if named is None:
        name, conf, source = heard.name, heard.confidence, "audio"
        if heard.reason:
            notes.append(f"chord {heard.reason}")
    elif heard.name is None:
        name, conf, source = named, 0.5, "name"
        notes.append(f"chord: name says {named}, audio has none ({heard.reason}): name used")
    elif heard.name == named:
        name, conf, source = named, max(heard.confidence, 0.9), "name"
    else:
        name, conf, source = named, 0.7 if heard.key == _chord_key(hints.chord) else 0.6, "name"
        notes.append(f"chord: name says {named}, audio {heard.name}: name used")
    chosen = (heard.root, heard.quality) if source == "audio" else hints.chord
    assert chosen is not None and chosen[0] is not None and chosen[1] is not None
    pc, quality = chosen[0], chosen[1]
    bass = heard.bass if heard.bass is not None else 48
    root = bass + (pc - bass) % 12
    return Musical(
        kind="one-shot",
        kind_confidence=confidence,
        key=_chord_key((pc, quality)),
        key_confidence=conf,
        key_source=source,
        root=root,
        root_confidence=conf,
        root_source=source,
        chord=name,
        notes=tuple(notes),
    )


def _chord_key(chord: tuple[int, str] | None) -> int | None:
    return None if chord is None else chord[0] + (12 if chord[1] in chords.MINOR_QUALITIES else 0)


def _choose_root(root: tonality.Estimate, hints: NameHints, notes: list[str]) -> tuple[int | None, str | None, float]:
    if root.value is None:
        if hints.note is not None:
            notes.append(f"root: name says {note_name(hints.note)}, audio has none ({root.reason}): name used")
            return hints.note, "name", 0.5
        notes.append(f"root unknown: {root.reason}")
        return None, None, 0.0
    if hints.note is not None and hints.note != root.value:
        notes.append(f"root: name says {note_name(hints.note)}, audio {root.name}: name used")
        return hints.note, "name", 0.6
    if hints.key is not None and hints.note is None and hints.key % 12 != root.value % 12:
        notes.append(f"root: name hints {key_name(hints.key % 12)}, audio {root.name}: audio used")
    return root.value, "audio", root.confidence


def _loop(x: np.ndarray, hints: NameHints, tempo: rhythm.Tempo, confidence: float, notes: list[str]) -> Musical:
    bpm, alternative, bpm_conf, bpm_source = _choose_tempo(tempo, hints, notes)
    key = tonality.estimate_key(x)
    key_index, key_conf, key_source = _choose_key(key, hints, notes)
    return Musical(
        kind="loop",
        kind_confidence=confidence,
        bpm=bpm,
        bpm_alternative=alternative,
        bpm_confidence=bpm_conf,
        bpm_source=bpm_source,
        key=key_index,
        key_confidence=key_conf,
        key_source=key_source,
        notes=tuple(notes),
    )


def _choose_tempo(tempo: rhythm.Tempo, hints: NameHints, notes: list[str]):
    if hints.bpm is None:
        if tempo.bpm is None:
            notes.append(f"tempo unknown: {tempo.reason}")
        return tempo.bpm, tempo.alternative, tempo.confidence, "audio" if tempo.bpm else None
    named = hints.bpm
    alternative = named * 2 if named < 120 else named / 2
    if tempo.bpm is None or _same_tempo(named, tempo.bpm):
        return named, alternative, max(0.9 if hints.bpm_strong else 0.6, tempo.confidence), "name"
    if hints.bpm_strong or tempo.confidence < 0.3:
        notes.append(f"tempo: name says {named:g}, audio {tempo.bpm:g}: name used")
        return named, alternative, 0.7 if hints.bpm_strong else 0.4, "name"
    notes.append(f"tempo: name hints {named:g}, audio {tempo.bpm:g}: audio used")
    return tempo.bpm, tempo.alternative, tempo.confidence, "audio"


def _same_tempo(a: float, b: float) -> bool:
    return any(abs(a * f - b) <= 0.04 * b for f in (0.5, 1.0, 2.0))


def _choose_key(key: tonality.Estimate, hints: NameHints, notes: list[str]):
    if hints.key is None:
        if key.value is None:
            notes.append(f"key unknown: {key.reason}")
        return key.value, key.confidence, "audio" if key.value is not None else None
    if key.value is None:
        if hints.key_strong:
            notes.append(f"key: name says {key_name(hints.key)}, audio has none ({key.reason}): name used")
            return hints.key, 0.5, "name"
        notes.append(f"key unknown: {key.reason}")
        return None, 0.0, None
    if key.value == hints.key:
        return key.value, max(key.confidence, 0.9 if hints.key_strong else 0.6), "name"
    if hints.key_strong or (keys_related(key.value, hints.key) and key.confidence < 0.6):
        notes.append(f"key: name says {key_name(hints.key)}, audio {key.name}: name used")
        return hints.key, 0.7 if hints.key_strong else 0.4, "name"
    notes.append(f"key: name hints {key_name(hints.key)}, audio {key.name}: audio used")
    return key.value, key.confidence, "audio"


def analyse_decoded(decoded, path: str = "", root: str = "", drum: str | None = None) -> Musical:
    """:func:`analyse` of an :class:`soundalike.engine.pipeline.audio.Decoded`."""
    return analyse(decoded.samples, decoded.sample_rate, decoded.facts.duration, path, root, drum)


def analyse_safely(decoded, path: str = "", root: str = "", drum: str | None = None) -> Musical:
    """:func:`analyse_decoded`, where a failure costs the musical facts of one file, never its indexing."""
    try:
        return analyse_decoded(decoded, path, root, drum)
    except Exception as e:  # odd audio must not stop a scan: unknown, with the reason
        log.info("musical analysis of %s failed: %s", path, e)
        log.debug("details", exc_info=True)
        return Musical(notes=(f"unknown: analysis failed ({type(e).__name__}: {e})",))
