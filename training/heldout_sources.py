"""Real drum sources that no shipped model has trained on: the held-out pool of ``heldout_eval.py``.

From ``/work/shared/devdata/fetch-more.sh DIR`` (checked 2026-12-05, see training/README.md):

* ``csound-soundfont`` (sf_GMbank.sf2): eight GM drum kits, bank 128 programs 0 Standard, 8 Room,
  16 Power, 24 Electronic, 25 TR 808, 32 Jazz, 40 Brush, 48 Orchestra (56 SFX and 127 CM-64 left
  out: not the GM key map). Kits inside it share samples, so the whole soundfont is one group; notes
  that sound the same as one already kept (fallbacks to Standard) are dropped as in ``render_kits``.
* ``opl3-soundfont`` (OPL-3_FM_128M.sf2): one FM drum kit (128-000), the retro sound; one group.
* ``exadrums``: 8 acoustic hits; ``stk``: 10 hits of the Synthesis ToolKit (``more.tsv``); one group each.
* ``fluidr3mono-gm-soundfont`` is FluidR3 GM made mono: the same samples the models train on, so
  it is not held out and not used (``--check-mono`` prints how alike its Standard kit is).

Soundfont kits are rendered at velocity 100 (one layer, as ``pooled_eval.py`` does for soundfonts).
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from builtin_data import Clips, load_devset, trim_leading
from real_sources import _read, load_kit
from render_kits import GM_NOTES, RENDER_SR, Job, _cut, _is_new, _save, _signature, _write_midi, load_group

log = logging.getLogger(__name__)

MORE_ROOT = Path("/work/data/more")
SF2 = MORE_ROOT / "root/usr/share/sounds/sf2"
KITS = {"csound": (SF2 / "sf_GMbank.sf2", (0, 8, 16, 24, 25, 32, 40, 48)), "opl3": (SF2 / "OPL-3_FM_128M.sf2", (0,))}
MONO = MORE_ROOT / "root/usr/share/fluidr3mono-gm-soundfont/FluidR3Mono_GM.sf3"
VELOCITY = 100


def _render(soundfont: Path, job: Job, events, tmp: Path) -> np.ndarray:
    midi, wav = tmp / f"{job.stem}.mid", tmp / f"{job.stem}.wav"
    _write_midi(job, events, midi)
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


def render_soundfont(name: str, soundfont: Path, programs, cache: Path) -> list[Path]:
    """Each drum program of one soundfont into ``cache`` (skipped when there); the files that hold notes."""
    cache.mkdir(parents=True, exist_ok=True)
    seen: dict = {}
    out = []
    events = [(n, VELOCITY) for n in sorted(GM_NOTES)]
    with tempfile.TemporaryDirectory() as tmpdir:
        for program in programs:
            job = Job(name, 128, program)
            path = cache / f"heldout-{job.stem}.npz"
            if not path.exists():
                clips = _cut(_render(soundfont, job, events, Path(tmpdir)), len(events))
                keep = []
                for i, ((note, _vel), clip) in enumerate(zip(events, clips)):
                    if np.abs(clip).max() >= 1e-3 and _is_new(clip, seen.setdefault(note, [])):
                        seen[note].append(_signature(clip))
                        keep.append(i)
                if keep:
                    _save(path, job, [events[i] for i in keep], clips[keep])
                else:
                    np.savez(
                        path,
                        audio=np.zeros((0, clips.shape[1]), np.int16),
                        notes=[],
                        velocities=[],
                        labels=np.array([], dtype="<U12"),
                        lengths=[],
                    )
                log.info("%s program %d: %d new notes", name, program, len(keep))
            else:
                for note, clip in zip(np.load(path)["notes"], load_group(path)[0]):
                    seen.setdefault(int(note), []).append(_signature(np.pad(clip, (0, max(0, 11025 - len(clip))))))
            if len(np.load(path)["notes"]):
                out.append(path)
    return out


def heldout_pool(cache: Path, more_tsv: Path = MORE_ROOT / "more.tsv") -> Clips:
    """The held-out sounds: each soundfont one group, exadrums and stk one group each."""
    parts = []
    for name, (soundfont, programs) in KITS.items():
        for path in render_soundfont(name, soundfont, programs, cache):
            kit = load_kit(path, "heldout")
            kit.groups = [name] * len(kit)
            parts.append(kit)
    more = load_devset(more_tsv)
    more.source = ["heldout"] * len(more)
    more.audio = [trim_leading(a) if a is not None else None for a in more.audio]
    parts.append(more)
    pool = parts[0]
    for part in parts[1:]:
        pool = pool + part
    return pool


def check_mono(cache: Path) -> None:
    """How alike FluidR3Mono's Standard kit is to FluidR3 GM's (max cosine of the first 0.5 s per note)."""
    reference = cache / "fluidr3-128-000.npz"
    clips, _, notes = load_group(reference)
    events = [(n, 100) for n in sorted(GM_NOTES)]
    with tempfile.TemporaryDirectory() as tmpdir:
        mono = _cut(_render(MONO, Job("fluidr3mono", 128, 0), events, Path(tmpdir)), len(events))
    ref = {n: _signature(np.pad(c, (0, max(0, 11025 - len(c))))) for c, n in zip(clips, notes)}
    sims = [float(abs(_signature(m) @ ref[n])) for (n, _), m in zip(events, mono) if n in ref]
    print(
        f"FluidR3Mono vs FluidR3 GM Standard kit: median cosine {np.median(sims):.3f}, "
        f"{np.mean(np.array(sims) > 0.9):.0%} of {len(sims)} notes above 0.9"
    )
