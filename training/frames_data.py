"""Training data of the learned front end: log-mel frame patches of every training clip and its variants.

The clips are the built-in recipe's (``train_builtin.py --recipe real``): rendered GM kits of FluidR3,
TimGM6mb and MuseScore (drums and the ``other`` melodic notes), the 400 synthetic kits, the dev set,
Sonic Pi, FreePats and Red Zeppelin. Each clip gives its clean patch and ``n_aug`` augmented ones
(``builtin_data.augment``: pitch, EQ tilt, saturation, band limiting, reverb, noise, cuts), computed
by the runtime's own :class:`MelFrames`, so training and inference see identical inputs.

Each clip also gets a *source* for the metric loss: positives must come from another source, so
kits of one soundfont (which share samples) are one source, as in ``pooled_eval.py``.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing as mp
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from builtin_data import Clips, augment, load_devset, load_renders
from real_sources import family, load_kit, load_sonicpi, render_extra
from render_kits import render_all

from soundalike.engine.embedders.builtin_frames import FRAME_COUNT, MelFrames

log = logging.getLogger(__name__)

REAL_SOURCES = ("dev", "sonicpi", "freepats", "redzep")
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Patches:
    """(N, 1 + n_aug, FRAME_COUNT, 64) float16 patches with per-clip labels, group and metric source."""

    frames: np.ndarray
    fine: np.ndarray
    groups: np.ndarray
    sources: np.ndarray  # the unit positives must differ in
    kinds: np.ndarray  # "real", "render" or "synth"


def _patches_for(task) -> np.ndarray:
    clip, seed, index, n_aug = task
    frames = MelFrames()
    rng = np.random.default_rng([seed, index])
    clip = clip[: int(2.0 * 22050)]
    variants = [clip] + [augment(clip, rng) for _ in range(n_aug)]
    return np.stack([frames(v) for v in variants]).astype(np.float16)


def patches(clips: Clips, n_aug: int, seed: int, cache: Path, name: str, workers: int = 2) -> np.ndarray:
    code = (ROOT / "engine/embedders/builtin_frames.py").read_bytes() + (ROOT / "training/builtin_data.py").read_bytes()
    key = hashlib.sha1(code + f"{name}:{len(clips)}:{n_aug}:{seed}:{'|'.join(clips.groups)}".encode()).hexdigest()[:12]
    path = cache / f"frames-{name}-{key}.npy"
    if path.exists():
        return np.load(path)
    start = time.perf_counter()
    tasks = [(clip, seed, i, n_aug) for i, clip in enumerate(clips.audio)]
    with mp.get_context("fork").Pool(workers) as pool:
        out = np.stack(pool.map(_patches_for, tasks, chunksize=16))
    log.info(
        "%s: %d clips x %d variants of log-mel frames in %.0f s",
        name,
        len(clips),
        1 + n_aug,
        time.perf_counter() - start,
    )
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def training_clips(renders: Path, devset: Path | None, sonicpi: Path, synth: Clips) -> dict[str, Clips]:
    parts = {"renders": load_renders(render_all(renders)), "synth": synth}
    if devset is not None:
        parts["dev"] = load_devset(devset)
    parts["sonicpi"] = load_sonicpi(sonicpi)
    for name, path in render_extra(renders).items():
        parts[name] = load_kit(path, name)
    return parts


def build_patches(parts: dict[str, Clips], n_aug: int, synth_aug: int, seed: int, cache: Path, workers: int) -> Patches:
    blocks, fine, groups, sources, kinds = [], [], [], [], []
    for name, clips in parts.items():
        keep = np.array([a is not None and len(a) > 0 for a in clips.audio])
        clips = clips.subset(keep)
        block = patches(clips, synth_aug if name == "synth" else n_aug, seed, cache, name, workers)
        blocks.append(block)
        fine += clips.fine
        groups += clips.groups
        sources += [g if s == "synth" else family(s, g) for s, g in zip(clips.source, clips.groups)]
        kinds += ["synth" if name == "synth" else "render" if name == "renders" else "real"] * len(clips)
    width = max(b.shape[1] for b in blocks)
    frames = np.zeros((sum(len(b) for b in blocks), width, FRAME_COUNT, blocks[0].shape[3]), np.float16)
    start = 0
    for block in blocks:  # clips with fewer variants repeat theirs to fill the row
        reps = -(-width // block.shape[1])
        frames[start : start + len(block)] = np.tile(block, (1, reps, 1, 1))[:, :width]
        start += len(block)
    return Patches(frames, np.array(fine), np.array(groups), np.array(sources), np.array(kinds))
