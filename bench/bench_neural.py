"""Neural backends on CPU: embeddings per second on generated 1 s one-shots.

aisfx runs its real shipped weights. No model hub is reachable here, so every other backend runs a
tiny randomly initialised model of the right family (the test fixtures): those figures measure
our plumbing (chunking, padding, feature extraction, batching), not the real models' cost.

    .venv/bin/python bench/bench_neural.py [--clips 32] [--threads 1]

Thread count matters: on a busy 2-core machine, 2 torch threads ran the same model 15-40x slower
than 1 (OpenMP workers spin waiting for a core), so the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from soundalike.engine.embedders.neural import NEURAL_BACKENDS  # noqa: E402


def one_shots(sample_rate: int, count: int) -> list[np.ndarray]:
    """Decaying tones with a little noise, 1 s each, all different."""
    t = np.arange(sample_rate, dtype=np.float32) / sample_rate
    rng = np.random.default_rng(0)
    clips = []
    for index in range(count):
        tone = np.sin(2 * np.pi * (60 + 37 * index) * t) + 0.2 * rng.standard_normal(t.size)
        clips.append((0.7 * tone * np.exp(-(3 + index % 7) * t)).astype(np.float32))
    return clips


def rate(embedder, clips: list[np.ndarray], repeats: int) -> float:
    embedder.embed(clips[:2])  # warm-up
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        embedder.embed(clips)
        best = min(best, time.perf_counter() - start)
    return len(clips) / best


def tiny_model_paths(folder: Path) -> dict[str, Path]:
    from tests.neural import conftest as tiny  # the test fixtures' builders

    class Folders:
        def mktemp(self, name: str) -> Path:
            path = folder / name
            path.mkdir()
            return path

    folders = Folders()
    paths = {"clap": tiny.build_tiny_clap(folders.mktemp("clap"))}
    for name in ("wav2vec2", "hubert", "wavlm", "speaker", "mert"):
        paths[name] = getattr(tiny, f"tiny_{name}_path").__wrapped__(folders)
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(args.threads)
    print(
        f"python {platform.python_version()}, torch {torch.__version__}, {args.threads} threads, "
        f"{args.clips} one-shots of 1 s, best of {args.repeats}, load average {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        paths = tiny_model_paths(Path(tmp))
        for cls in NEURAL_BACKENDS:
            if cls.name == "aisfx":
                embedder, label = cls(cls.Options(device="cpu")), "real weights"
            else:
                embedder, label = cls(cls.Options(model_path=str(paths[cls.name]), device="cpu")), "TINY random model"
            speed = rate(embedder, one_shots(cls.sample_rate, args.clips), args.repeats)
            print(f"{cls.name:>9}  {speed:8.1f} embeddings/s  dim {embedder.dim:4d}  ({label})")


if __name__ == "__main__":
    main()
