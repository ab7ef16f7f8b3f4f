"""Labelled material for bench_musical.py: loops and tonal one-shots rendered from MIDI with
fluidsynth across General MIDI soundfonts (known tempo, key and note), Sonic Pi's loops and tonal
one-shots, and the real drum one-shots of the dev set.

Each item is (path, group, labels). Rendered audio goes to a cache folder, never the repository.
Needs: apt-get install fluidsynth fluid-soundfont-gm timgm6mb-soundfont musescore-general-soundfont-small
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np
import soundfile as sf

RATE = 44100
SOUNDFONTS = (
    "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "/usr/share/sounds/sf3/MuseScore_General_Lite.sf3",
)
SONIC_PI = Path("/work/data/extra/root/usr/share/sonic-pi/samples")
DEVSET = Path("/work/data/devset/devset.tsv")
EXTRA = Path("/work/data/extra/extra.tsv")
#: Sonic Pi loops and their tempo: amen and amen_full from the Sonic Pi tutorial's beat_stretch
#: (4 and 16 beats); the hullum pack (electric, mehackit, perc, weirdo) at the 97 BPM that
#: loop_drone_g_97's name gives for the same pack (2.474 s = 4 beats); the rest counted as beats
#: over the file's length. Ambient loops (drone, garzul, mika, safari) have no tempo label.
SONIC_PI_LOOPS = {
    "loop_amen": 137.0,
    "loop_amen_full": 140.0,
    "loop_breakbeat": 126.0,
    "loop_compus": 74.0,
    "loop_electric": 97.0,
    "loop_industrial": 136.0,
    "loop_mehackit1": 97.0,
    "loop_mehackit2": 97.0,
    "loop_perc1": 97.0,
    "loop_perc2": 97.0,
    "loop_tabla": 90.0,
    "loop_weirdo": 97.0,
    "loop_3d_printer": 60.0,
    "loop_drone_g_97": None,
    "loop_garzul": None,
    "loop_mika": None,
    "loop_safari": None,
}
#: Sonic Pi tonal one-shots whose name gives the root's pitch class (0 = C).
SONIC_PI_TONAL = {
    "bass_dnb_f": 5,
    "bass_drop_c": 0,
    "bass_hard_c": 0,
    "bass_hit_c": 0,
    "bass_thick_c": 0,
    "bass_trance_c": 0,
    "bass_voxy_c": 0,
    "bass_voxy_hit_c": 0,
    "bass_woodsy_c": 0,
    "glitch_bass_g": 7,
}
LOOP_TEMPOS = (72, 85, 92, 100, 108, 118, 124, 128, 136, 145, 160, 174)
LOOP_PROGRAMS = (0, 4, 16, 24, 48, 81, 89, 5)
ONE_SHOT_PROGRAMS = {
    0: (36, 84),
    33: (28, 55),
    38: (28, 55),
    11: (53, 89),
    48: (43, 79),
    80: (48, 84),
    25: (40, 76),
    56: (55, 82),
}
_MAJOR_CHORDS = ((0, 4, 7), (5, 9, 12), (7, 11, 14), (0, 4, 7))  # I IV V I
_MINOR_CHORDS = ((0, 3, 7), (5, 8, 12), (7, 11, 14), (0, 3, 7))  # i iv V i (harmonic minor)


@dataclass
class Item:
    path: str
    group: str
    kind: str | None = None  # "loop" / "one-shot"
    bpm: float | None = None
    key: int | None = None  # 24-key index
    root: int | None = None  # MIDI note
    root_class: int | None = None  # pitch class when only that is known
    drum: bool = False
    extra: dict = field(default_factory=dict)


def drum_items() -> list[Item]:
    items = []
    for table in (DEVSET, EXTRA):
        for line in table.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) >= 4 and Path(parts[0]).exists():
                items.append(Item(parts[0], f"drums ({table.stem})", "one-shot", drum=True, extra={"class": parts[-1]}))
    return items


def sonic_pi_items() -> list[Item]:
    items = [
        Item(str(SONIC_PI / f"{name}.flac"), "sonic-pi loops", "loop", bpm=bpm) for name, bpm in SONIC_PI_LOOPS.items()
    ]
    items += [
        Item(str(SONIC_PI / f"{name}.flac"), "sonic-pi tonal one-shots", "one-shot", root_class=pc)
        for name, pc in SONIC_PI_TONAL.items()
    ]
    return [item for item in items if Path(item.path).exists()]


def rendered_items(folder: Path) -> list[Item]:
    if shutil.which("fluidsynth") is None:
        raise SystemExit("fluidsynth is not installed: apt-get install fluidsynth fluid-soundfont-gm")
    items: list[Item] = []
    for number, font in enumerate(f for f in SOUNDFONTS if Path(f).exists()):
        name = Path(font).stem
        items += _render_loops(folder / name, font, number)
        items += _render_one_shots(folder / name, font, number)
    return items


def cut_mid_bar(items: list[Item], folder: Path, share: float = 0.85) -> list[Item]:
    """Copies of the rendered loops cut at ``share`` of their length, so no whole-bar length helps."""
    out = []
    for item in items:
        if item.group != "rendered loops":
            continue
        source = Path(item.path)
        target = folder / "cut" / source.parent.name / source.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            audio, rate = sf.read(source, dtype="float32")
            sf.write(target, audio[: int(len(audio) * share)], rate, subtype="PCM_16")
        out.append(Item(str(target), "rendered loops cut mid-bar", "loop", bpm=item.bpm, key=item.key))
    return out


def _render_loops(folder: Path, font: str, seed: int) -> list[Item]:
    rng = np.random.default_rng(seed)
    plan = []
    for key in range(24):
        tonic, minor = key % 12, key >= 12
        bpm = float(LOOP_TEMPOS[(key + 5 * seed) % len(LOOP_TEMPOS)])
        program = int(LOOP_PROGRAMS[(key + seed) % len(LOOP_PROGRAMS)])
        plan.append((key, tonic, minor, bpm, program, key % 3 != 2, int(rng.integers(0, 2))))
    pieces = []
    for key, tonic, minor, bpm, program, drums, octave in plan:
        pieces.append((f"loop_{key:02d}", _loop_track(tonic, minor, bpm, program, drums, octave), 4 * 4 * 60 / bpm))
    wavs = _render_many(folder, font, "loops", pieces)
    return [
        Item(str(wav), "rendered loops", "loop", bpm=bpm, key=key, extra={"program": program, "drums": drums})
        for wav, (key, _, _, bpm, program, drums, _) in zip(wavs, plan)
    ]


def _render_one_shots(folder: Path, font: str, seed: int) -> list[Item]:
    rng = np.random.default_rng(100 + seed)
    plan = [
        (program, int(rng.integers(lo, hi + 1))) for program, (lo, hi) in ONE_SHOT_PROGRAMS.items() for _ in range(4)
    ]
    pieces = [(f"note_{program:03d}_{note}", _note_track(program, note), 1.5) for program, note in plan]
    wavs = _render_many(folder, font, "notes", pieces)
    return [
        Item(str(wav), "rendered one-shots", "one-shot", root=note, extra={"program": program})
        for wav, (program, note) in zip(wavs, plan)
    ]


def _loop_track(tonic: int, minor: bool, bpm: float, program: int, drums: bool, octave: int) -> list:
    """(delta seconds, message) events of a 4-bar loop: chords, a bass line, maybe drums."""
    beat = 60.0 / bpm
    events = [
        (0.0, mido.Message("program_change", channel=0, program=program)),
        (0.0, mido.Message("program_change", channel=1, program=33)),
    ]
    base = 48 + tonic + 12 * octave if tonic < 6 else 36 + tonic + 12 * octave
    chords = _MINOR_CHORDS if minor else _MAJOR_CHORDS
    for bar, chord in enumerate(chords):
        start = bar * 4 * beat
        for note in chord:
            events.append((start, mido.Message("note_on", channel=0, note=base + note, velocity=80)))
            events.append((start + 4 * beat - 0.02, mido.Message("note_off", channel=0, note=base + note)))
        for b in range(4):
            bass = base - 12 + chord[0] + (7 if b == 2 else 0)
            events.append((start + b * beat, mido.Message("note_on", channel=1, note=bass, velocity=90)))
            events.append((start + (b + 0.9) * beat, mido.Message("note_off", channel=1, note=bass)))
        if drums:
            for eighth in range(8):
                t = start + eighth * beat / 2
                hits = [42] + ([36] if eighth in (0, 4) else []) + ([38] if eighth in (2, 6) else [])
                for hit in hits:
                    events.append((t, mido.Message("note_on", channel=9, note=hit, velocity=90)))
                    events.append((t + 0.05, mido.Message("note_off", channel=9, note=hit)))
    return events


def _note_track(program: int, note: int) -> list:
    return [
        (0.0, mido.Message("program_change", channel=0, program=program)),
        (0.0, mido.Message("note_on", channel=0, note=note, velocity=100)),
        (1.0, mido.Message("note_off", channel=0, note=note)),
    ]


def _render_many(folder: Path, font: str, name: str, pieces: list) -> list[Path]:
    """Render pieces one after another (2 s apart) in one fluidsynth run, then cut them apart."""
    folder.mkdir(parents=True, exist_ok=True)
    wavs = [folder / f"{piece}.wav" for piece, _, _ in pieces]
    if all(w.exists() for w in wavs):
        return wavs
    gap, starts, t = 2.0, [], 1.0
    events = []
    for _, track, length in pieces:
        starts.append(t)
        events += [(t + dt, msg) for dt, msg in track]
        t += length + gap
    midi = _midi_file(events)
    mid_path, out = folder / f"{name}.mid", folder / f"{name}.all.wav"
    midi.save(mid_path)
    subprocess.run(
        [
            "fluidsynth",
            "-ni",
            "-q",
            "-R",
            "0",
            "-C",
            "0",
            "-g",
            "0.6",
            "-r",
            str(RATE),
            "-F",
            str(out),
            font,
            str(mid_path),
        ],
        check=True,
        capture_output=True,
    )
    audio, rate = sf.read(out, dtype="float32", always_2d=True)
    for wav, start, (_, _, length) in zip(wavs, starts, pieces):
        a, b = int(round(start * rate)), int(round((start + length) * rate))
        sf.write(wav, audio[a:b], rate, subtype="PCM_16")
    out.unlink()
    return wavs


def _midi_file(events: list) -> mido.MidiFile:
    """Events at absolute seconds -> a one-track MIDI file at 120 BPM (480 ticks a beat)."""
    midi = mido.MidiFile(ticks_per_beat=480)
    track = mido.MidiTrack()
    midi.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    last = 0
    for seconds, message in sorted(events, key=lambda e: (e[0], e[1].type != "note_off")):
        tick = int(round(seconds * 960))
        track.append(message.copy(time=tick - last))
        last = tick
    return midi


#: Chord qualities rendered as one-shots: intervals above the root, and the chord-name suffix.
CHORD_QUALITIES = {"": (0, 4, 7), "m": (0, 3, 7), "7": (0, 4, 7, 10), "maj7": (0, 4, 7, 11), "m7": (0, 3, 7, 10)}
#: Chord one-shot instruments: GM program, how it is played ("strum" down or up, or "struck"), seconds held.
CHORD_PROGRAMS = (
    (24, "strum", 2.5),
    (25, "strum", 2.5),
    (27, "strum", 2.0),
    (0, "struck", 2.5),
    (4, "struck", 2.0),
    (48, "struck", 2.5),
    (89, "struck", 3.0),
    (90, "struck", 2.0),
    (16, "struck", 2.0),
)


def chord_items(folder: Path, font: str = SOUNDFONTS[0]) -> list[Item]:
    """Chord one-shots over every root and quality, strummed on guitars (down or up, a guitar's
    spread voicing) and struck on piano, electric piano, strings, pads and organ (close voicing,
    random inversion). ``extra``: chord root pitch class, quality suffix, program, how played."""
    if shutil.which("fluidsynth") is None:
        raise SystemExit("fluidsynth is not installed: apt-get install fluidsynth fluid-soundfont-gm")
    rng = np.random.default_rng(7)
    plan, pieces = [], []
    for program, style, seconds in CHORD_PROGRAMS:
        for root in range(12):
            for suffix, intervals in CHORD_QUALITIES.items():
                up = style == "strum" and bool(rng.integers(0, 2))
                notes = _guitar_voicing(root, intervals) if style == "strum" else _close_voicing(root, intervals, rng)
                name = f"chord_{program:03d}_{root:02d}_{suffix or 'maj'}{'_up' if up else ''}"
                plan.append((root, suffix, program, style))
                pieces.append((name, _chord_track(program, notes, style, up, seconds), seconds + 0.5))
    wavs = _render_many(folder / Path(font).stem, font, "chords", pieces)
    return [
        Item(
            str(wav),
            f"chords {style}",
            "one-shot",
            key=root + (12 if suffix.startswith("m") and not suffix.startswith("maj") else 0),
            extra={"root": root, "suffix": suffix, "program": program, "style": style},
        )
        for wav, (root, suffix, program, style) in zip(wavs, plan)
    ]


def _guitar_voicing(root: int, intervals: tuple[int, ...]) -> list[int]:
    """Five or six strings: the root low (E2-D#3), then chord tones climbing, each the next one up."""
    bass = 40 + (root - 4) % 12
    notes, pcs, i = [bass], [(root + iv) % 12 for iv in intervals], 1
    while len(notes) < 6 and notes[-1] < 76:
        pc = pcs[i % len(pcs)]
        note = notes[-1] + 1
        while note % 12 != pc:
            note += 1
        if note - notes[-1] > 7:  # a string's reach: skip to the next tone
            i += 1
            continue
        notes.append(note)
        i += 1
    return notes


def _close_voicing(root: int, intervals: tuple[int, ...], rng) -> list[int]:
    """Root in the bass (C2-B2), the chord close above C4 in a random inversion."""
    base = 48 + root
    tones = [base + iv for iv in intervals]
    for _ in range(int(rng.integers(0, len(tones)))):
        tones = tones[1:] + [tones[0] + 12]
    return [36 + root, *tones]


def _chord_track(program: int, notes: list[int], style: str, up: bool, seconds: float) -> list:
    order = list(reversed(notes)) if up else notes
    spread = 0.018 if style == "strum" else 0.0
    events = [(0.0, mido.Message("program_change", channel=0, program=program))]
    for i, note in enumerate(order):
        events.append((i * spread, mido.Message("note_on", channel=0, note=note, velocity=96)))
        events.append((seconds, mido.Message("note_off", channel=0, note=note)))
    return events
