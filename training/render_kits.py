"""Render General MIDI drum kits from the installed soundfonts into a cache of labelled one-shots.

Each (soundfont, drum program) becomes one *group*: one long MIDI file with every mapped note at
several velocities, three seconds apart, rendered once by ``fluidsynth -F`` and cut at the known
note times. Programs that fall back to the Standard kit are detected note by note and dropped, so
a group only holds sounds that really differ from what is already cached. A few melodic
instruments (bank 0) are rendered too, labelled ``other``, so the tagger has something that is not
a drum.

Cache layout: ``CACHE/<soundfont>-<bank>-<program>.npz`` with ``audio`` (N, SR*NOTE_SECONDS) int16,
``notes``, ``velocities``, ``labels`` (fine classes) and ``lengths``.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np
import soundfile as sf
import soxr

log = logging.getLogger(__name__)

SR = 22050
RENDER_SR = 44100
NOTE_SECONDS = 3.0
VELOCITIES = (40, 70, 100, 127)

# General MIDI percussion key -> fine class used in training (see DRUM_TO_DEV for the dev classes).
GM_NOTES = {
    35: "kick",
    36: "kick",
    37: "rim",
    75: "rim",
    38: "snare",
    40: "snare",
    39: "clap",
    42: "closed_hat",
    44: "closed_hat",
    46: "open_hat",
    41: "tom",
    43: "tom",
    45: "tom",
    47: "tom",
    48: "tom",
    50: "tom",
    49: "cymbal",
    57: "cymbal",
    52: "cymbal",
    55: "cymbal",
    51: "cymbal",
    59: "cymbal",
    53: "cymbal",
    56: "bell",
    54: "shaker",
    69: "shaker",
    70: "shaker",
    60: "hand",
    61: "hand",
    62: "hand",
    63: "hand",
    64: "hand",
}
DRUM_TO_DEV = {"closed_hat": "hihat", "open_hat": "hihat", "other": "other"}

SOUNDFONTS = {
    "fluidr3": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "timgm6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "musescore": "/usr/share/sounds/sf3/MuseScore_General_Full.sf3",
}
DRUM_PROGRAMS = (
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
    12,
    13,
    14,
    15,
    16,
    17,
    18,
    19,
    24,
    25,
    32,
    33,
    34,
    35,
    36,
    40,
    41,
    42,
    48,
)
# Marching kits (56+) do not follow the GM key map, so their labels would be wrong: left out.
# Melodic programs for the "other" class; percussive ones (timpani, 112-119) left out on purpose.
OTHER_PROGRAMS = tuple(p for p in range(0, 112, 3) if p != 47)
OTHER_NOTES = (40, 52, 64, 76)


@dataclass(frozen=True)
class Job:
    soundfont: str
    bank: int
    program: int

    @property
    def stem(self) -> str:
        return f"{self.soundfont}-{self.bank}-{self.program:03d}"


def dev_class(fine: str) -> str:
    return DRUM_TO_DEV.get(fine, fine)


def _events(job: Job) -> list[tuple[int, int]]:
    if job.bank == 128:
        return [(n, v) for n in sorted(GM_NOTES) for v in VELOCITIES]
    return [(n, 100) for n in OTHER_NOTES]


def _write_midi(job: Job, events: list[tuple[int, int]], path: Path) -> None:
    channel = 9 if job.bank == 128 else 0
    mid = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks per second
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.Message("program_change", channel=channel, program=job.program, time=0))
    step = int(NOTE_SECONDS * 960)
    hold = int((NOTE_SECONDS - 0.1 if job.bank == 128 else 1.5) * 960)  # let cymbals ring
    for note, vel in events:
        track.append(mido.Message("note_on", channel=channel, note=note, velocity=vel, time=0))
        track.append(mido.Message("note_off", channel=channel, note=note, velocity=0, time=hold))
        track.append(mido.Message("note_off", channel=channel, note=0, velocity=0, time=step - hold))
    mid.save(path)


def _render(job: Job, events: list[tuple[int, int]], tmp: Path) -> np.ndarray:
    midi, wav = tmp / f"{job.stem}.mid", tmp / f"{job.stem}.wav"
    _write_midi(job, events, midi)
    cmd = [
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
        str(RENDER_SR),
        "-F",
        str(wav),
        SOUNDFONTS[job.soundfont],
        str(midi),
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=1200)
    audio, rate = sf.read(wav, dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), rate, SR)


def _cut(audio: np.ndarray, count: int) -> np.ndarray:
    width = int(NOTE_SECONDS * SR)
    audio = np.pad(audio, (0, max(0, count * width - len(audio))))
    return audio[: count * width].reshape(count, width)


def _signature(clip: np.ndarray) -> np.ndarray:
    head = clip[: SR // 2].astype(np.float64)
    return head / (np.linalg.norm(head) + 1e-12)


def _is_new(clip: np.ndarray, seen: list[np.ndarray]) -> bool:
    sig = _signature(clip)
    return all(abs(float(sig @ other)) < 0.995 for other in seen)


def render_job(job: Job, cache: Path, seen: dict, tmp: Path) -> Path | None:
    """Render one group, keep the notes not already cached (fallbacks), save and return its path."""
    out = cache / f"{job.stem}.npz"
    events = _events(job)
    clips = _cut(_render(job, events, tmp), len(events))
    keep = []
    for i, ((note, vel), clip) in enumerate(zip(events, clips)):
        if np.abs(clip).max() < 1e-3:
            continue
        key = (job.soundfont, job.bank, note, vel)
        if _is_new(clip, seen.setdefault(key, [])):
            seen[key].append(_signature(clip))
            keep.append(i)
    if len(keep) < (8 if job.bank == 128 else 2):
        log.info("%s: %d new notes, skipped (falls back to other programs)", job.stem, len(keep))
        np.savez(
            out,
            audio=np.zeros((0, clips.shape[1]), np.int16),
            notes=[],
            velocities=[],
            labels=np.array([], dtype="<U12"),
            lengths=[],
        )
        return None
    _save(out, job, [events[i] for i in keep], clips[keep])
    log.info("%s: kept %d of %d notes", job.stem, len(keep), len(events))
    return out


def _save(out: Path, job: Job, events: list[tuple[int, int]], clips: np.ndarray) -> None:
    peak = np.abs(clips).max(axis=1, keepdims=True)
    loud = np.abs(clips) > 10 ** (-75 / 20) * peak
    lengths = np.array([np.flatnonzero(row).max() + 1 if row.any() else 0 for row in loud])
    labels = [GM_NOTES[n] if job.bank == 128 else "other" for n, _ in events]
    scale = 32767 / max(float(np.abs(clips).max()), 1e-9)
    np.savez_compressed(
        out,
        audio=np.round(clips * scale).astype(np.int16),
        notes=np.array([n for n, _ in events]),
        velocities=np.array([v for _, v in events]),
        labels=np.array(labels),
        lengths=lengths,
    )


def all_jobs() -> list[Job]:
    jobs = [Job(name, 128, p) for name in SOUNDFONTS for p in DRUM_PROGRAMS]
    jobs += [Job(name, 0, p) for name in SOUNDFONTS for p in OTHER_PROGRAMS]
    return jobs


def render_all(cache: Path) -> list[Path]:
    """Render every job into ``cache`` (skipping groups already there); return the kept group files."""
    cache.mkdir(parents=True, exist_ok=True)
    seen: dict = {}
    paths = []
    with tempfile.TemporaryDirectory() as tmpdir:
        for job in all_jobs():
            out = cache / f"{job.stem}.npz"
            if not out.exists():
                render_job(job, cache, seen, Path(tmpdir))
            else:
                _remember(out, job, seen)
            if out.exists() and len(np.load(out)["labels"]):
                paths.append(out)
    return paths


def _remember(path: Path, job: Job, seen: dict) -> None:
    with np.load(path) as data:
        for note, vel, clip in zip(data["notes"], data["velocities"], data["audio"]):
            seen.setdefault((job.soundfont, job.bank, int(note), int(vel)), []).append(
                _signature(clip.astype(np.float32))
            )


def load_group(path: Path) -> tuple[list[np.ndarray], list[str], list[int]]:
    """Clips (float32, trimmed to their audible length), fine labels and notes of one cached group."""
    with np.load(path) as data:
        clips = [row[: max(int(n), 64)].astype(np.float32) / 32767 for row, n in zip(data["audio"], data["lengths"])]
        return clips, [str(x) for x in data["labels"]], [int(x) for x in data["notes"]]


if __name__ == "__main__":
    import sys

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    render_all(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/data/renders"))
