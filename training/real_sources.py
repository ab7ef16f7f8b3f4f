"""Real drum sources besides the dev set, rendered or read into the same cache format as the soundfonts.

* **Sonic Pi** one-shots (``extra.tsv``: path, group = the recording's author, name, class), CC0;
* the **FreePats** General MIDI drum kit (GUS patches), rendered with ``timidity``;
* the **AVL Red Zeppelin** acoustic kit (SF2, one melodic preset whose keys follow GM with a few
  extra articulations: see ``REDZEP_NOTES``), rendered with ``fluidsynth``;

``fluid-soundfont-gs`` (FluidR3_GS.sf2) was checked and holds no drum kits (34 melodic GS variation
presets and an SFX set), so it adds nothing here.

Each source is one *family* for the pooled leave-one-source-out evaluation (``pooled_eval.py``):
FluidR3 GM and MuseScore General share much of their material, so they form one family; TimGM6mb another; the dev kits one (left out together), Sonic Pi, FreePats and Red
Zeppelin one each.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

import mido
import numpy as np
import soundfile as sf
import soxr
from builtin_data import Clips, load_devset, trim_leading
from render_kits import GM_NOTES, NOTE_SECONDS, RENDER_SR, SR, VELOCITIES, Job, _cut, _save, dev_class, load_group

log = logging.getLogger(__name__)

EXTRA_ROOT = Path("/work/data/extra/root")
FREEPATS_CFG = EXTRA_ROOT / "etc/timidity/freepats.cfg"
FREEPATS_DIR = EXTRA_ROOT / "usr/share/midi/freepats"
REDZEP_SF2 = EXTRA_ROOT / "usr/share/sounds/sf2/Red_Zeppelin_4_LV2.sf2"
# Read from the SF2's preset zones (sample names): 40 snare edge, 44 pedal hat, 46 semi-open hat,
# 47 tom edge, 48 hat swish, 53 ride bell, 54 tambourine, 56 cowbell, 60 Paiste 22", 61 maraca.
# Chokes (50, 52, 58) are left out: they are cut-off cymbals, neither a hit nor a hat.
REDZEP_NOTES = {
    36: "kick",
    37: "rim",
    38: "snare",
    39: "clap",
    40: "snare",
    41: "tom",
    42: "closed_hat",
    43: "tom",
    44: "closed_hat",
    45: "tom",
    46: "open_hat",
    47: "tom",
    48: "open_hat",
    49: "cymbal",
    51: "cymbal",
    53: "cymbal",
    54: "shaker",
    55: "cymbal",
    56: "bell",
    57: "cymbal",
    59: "cymbal",
    60: "cymbal",
    61: "shaker",
}


def family(source: str, group: str) -> str:
    """The unit the pooled evaluation leaves out: a soundfont family, a dev kit, or a whole source."""
    if source == "dev":
        return "dev"  # the three dev kits are left out together (cheaper, and stricter than one at a time)
    if source == "render":
        return "sf-timgm6mb" if group.startswith("timgm6mb") else "sf-fluid"
    return source


def _midi(events: list[tuple[int, int]], channel: int, path: Path) -> None:
    mid = mido.MidiFile(ticks_per_beat=480)  # 120 bpm: 960 ticks per second
    track = mido.MidiTrack()
    mid.tracks.append(track)
    track.append(mido.Message("program_change", channel=channel, program=0, time=0))
    step, hold = int(NOTE_SECONDS * 960), int((NOTE_SECONDS - 0.1) * 960)
    for note, vel in events:
        track.append(mido.Message("note_on", channel=channel, note=note, velocity=vel, time=0))
        track.append(mido.Message("note_off", channel=channel, note=note, velocity=0, time=hold))
        track.append(mido.Message("note_off", channel=channel, note=0, velocity=0, time=step - hold))
    mid.save(path)


def _read(wav: Path) -> np.ndarray:
    audio, rate = sf.read(wav, dtype="float32", always_2d=True)
    return soxr.resample(audio.mean(axis=1), rate, SR)


def _render_timidity(events, tmp: Path) -> np.ndarray:
    cfg = tmp / "freepats.cfg"
    text = FREEPATS_CFG.read_text().replace("dir /usr/share/midi/freepats", f"dir {FREEPATS_DIR}")
    cfg.write_text(text)
    midi, wav = tmp / "freepats.mid", tmp / "freepats.wav"
    _midi(events, 9, midi)
    subprocess.run(
        [
            "timidity",
            "-c",
            str(cfg),
            "-Ow",
            "-s",
            str(RENDER_SR),
            "--reverb=d",
            "--chorus=d",
            "-o",
            str(wav),
            str(midi),
        ],
        check=True,
        capture_output=True,
        timeout=1200,
    )
    return _read(wav)


def _render_fluidsynth(events, soundfont: Path, tmp: Path) -> np.ndarray:
    midi, wav = tmp / "redzep.mid", tmp / "redzep.wav"
    _midi(events, 0, midi)
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
            str(RENDER_SR),
            "-F",
            str(wav),
            str(soundfont),
            str(midi),
        ],
        check=True,
        capture_output=True,
        timeout=1200,
    )
    return _read(wav)


def _render_kit(name: str, notes: dict[int, str], render, cache: Path) -> Path:
    out = cache / f"{name}.npz"
    if out.exists():
        return out
    events = [(n, v) for n in sorted(notes) for v in VELOCITIES]
    with tempfile.TemporaryDirectory() as tmpdir:
        clips = _cut(render(events, Path(tmpdir)), len(events))
    keep = [i for i, clip in enumerate(clips) if np.abs(clip).max() >= 1e-3]
    job = Job(name, 128, 0)
    _save(out, job, [events[i] for i in keep], clips[keep])
    with np.load(out) as data:  # _save labels by GM_NOTES; relabel with this kit's own map
        arrays = dict(data)
    arrays["labels"] = np.array([notes[int(n)] for n in arrays["notes"]])
    np.savez_compressed(out, **arrays)
    log.info("%s: %d of %d notes sound", name, len(keep), len(events))
    return out


def render_extra(cache: Path) -> dict[str, Path]:
    """Render FreePats and Red Zeppelin into ``cache`` (skipped when there); their group files."""
    cache.mkdir(parents=True, exist_ok=True)
    return {
        "freepats": _render_kit("freepats", GM_NOTES, _render_timidity, cache),
        "redzep": _render_kit("redzep", REDZEP_NOTES, lambda ev, tmp: _render_fluidsynth(ev, REDZEP_SF2, tmp), cache),
    }


def load_kit(path: Path, source: str, velocities: tuple[int, ...] | None = None) -> Clips:
    """One rendered group as Clips (source given), optionally only some velocities."""
    clips, labels, _ = load_group(path)
    with np.load(path) as data:
        vels = [int(v) for v in data["velocities"]]
    out = Clips([], [], [], [], [])
    for clip, label, vel in zip(clips, labels, vels):
        if velocities is not None and vel not in velocities:
            continue
        out.audio.append(trim_leading(clip))
        out.fine.append(label)
        out.classes.append(dev_class(label))
        out.groups.append(path.stem)
        out.source.append(source)
    return out


def load_sonicpi(tsv: Path) -> Clips:
    clips = load_devset(tsv)
    clips.source = ["sonicpi"] * len(clips)
    return clips
