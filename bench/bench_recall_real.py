"""Recall of the approximate index on vectors of real drum sounds (the built-in backend).

The vectors come from real audio: the kits under a data folder (wav/flac/ogg files, decoded as the
indexer does, and the rendered General MIDI kits cached as ``renders/*.npz``), grown to the sizes
asked for by variants of those sounds, each made from the audio and embedded for real: gain,
rate change (pitch), a short room, an EQ tilt, a cut tail, two hits layered, added noise. No
random vectors. The vectors are cached (``--cache``), so a second run only searches.

Each size is searched with the index classes the library uses (``VectorIndex`` with its
approximate index, the library's ``[index]`` settings unless overridden) and compared with exact
flat search: recall@10 (the share of the exact top 10 found), top-1 agreement and latency.

    .venv/bin/python bench/bench_recall_real.py [--data /work/data] [--cache /tmp/i25oneoff]
        [--sizes 20000,50000,100000] [--queries 300] [--grid]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import scipy.signal
import soxr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from soundalike.engine.config import IndexSettings  # noqa: E402
from soundalike.engine.embedders.registry import create_embedder  # noqa: E402
from soundalike.engine.errors import DecodeError  # noqa: E402
from soundalike.engine.pipeline.audio import decode_file, prepare  # noqa: E402
from soundalike.engine.store.index import VectorIndex  # noqa: E402

AUDIO = (".wav", ".flac", ".ogg", ".aif", ".aiff", ".mp3")
KIT_FOLDERS = ("devset", "extra", "more")
RENDER_RATE = 44_100  # the rate training/render_kits.py renders at
BATCH = 256


def real_clips(data: Path, rate: int) -> list[np.ndarray]:
    """Every real sound: the kits' audio files and the rendered kits' hits, mono at ``rate``."""
    clips = []
    for folder in KIT_FOLDERS:
        for path in sorted((data / folder).rglob("*")):
            if path.suffix.lower() in AUDIO and path.is_file():
                try:
                    decoded = decode_file(path)
                except DecodeError:
                    continue
                clip = prepare(decoded, rate)
                if len(clip) > 64 and np.abs(clip).max() > 1e-4:
                    clips.append(clip[: 2 * rate])
    for path in sorted((data / "renders").glob("*.npz")):
        with np.load(path) as group:
            for row, n in zip(group["audio"], group["lengths"]):
                clip = soxr.resample(row[: max(int(n), 64)].astype(np.float32) / 32767, RENDER_RATE, rate)
                if np.abs(clip).max() > 1e-4:
                    clips.append(clip.astype(np.float32))
    return clips


# --- variants: each made from the audio -------------------------------------------------------
def _gain(x, rng, rate, others):
    return x * 10 ** (rng.uniform(-18, 6) / 20)


def _rate(x, rng, rate, others):
    return soxr.resample(x, rate, rate / 2 ** (rng.uniform(-3, 3) / 12))


def _room(x, rng, rate, others):
    rt60 = rng.uniform(0.1, 0.5)
    t = np.arange(int(rt60 * rate)) / rate
    ir = rng.standard_normal(len(t)) * np.exp(-6.9 * t / rt60)
    wet = scipy.signal.fftconvolve(x, ir)
    wet *= np.abs(x).max() / (np.abs(wet).max() + 1e-9)
    return np.pad(x, (0, len(wet) - len(x))) + rng.uniform(0.1, 0.4) * wet


def _tilt(x, rng, rate, others):
    b, a = scipy.signal.butter(1, rng.uniform(300, 4000) / (rate / 2))
    low, tilt = scipy.signal.lfilter(b, a, x), rng.uniform(-9, 9)
    return low * 10 ** (-tilt / 40) + (x - low) * 10 ** (tilt / 40)


def _truncate(x, rng, rate, others):
    keep = max(int(rng.uniform(0.05, 0.6) * rate), 64)
    y = x[:keep].copy()
    fade = min(int(0.005 * rate), len(y))
    y[-fade:] *= np.linspace(1.0, 0.0, fade)
    return y


def _layer(x, rng, rate, others):
    other = others[int(rng.integers(len(others)))]
    out = np.zeros(max(len(x), len(other)), dtype=np.float32)
    out[: len(x)] += x
    out[: len(other)] += other * rng.uniform(0.2, 0.8) * np.abs(x).max() / (np.abs(other).max() + 1e-9)
    return out


def _noise(x, rng, rate, others):
    noise = rng.standard_normal(len(x))
    return x + noise * np.abs(x).max() * 10 ** (rng.uniform(-50, -25) / 20)


VARIANTS = (_gain, _rate, _room, _tilt, _truncate, _layer, _noise)


def variant(clips: list[np.ndarray], i: int, rate: int) -> np.ndarray:
    """Variant ``i`` (deterministic): one real sound through one to three of the changes above."""
    rng = np.random.default_rng(i)
    x = clips[i % len(clips)]
    for fn in rng.choice(len(VARIANTS), size=int(rng.integers(1, 4)), replace=False):
        x = VARIANTS[fn](x, rng, rate, clips)
    x = np.asarray(x, dtype=np.float32)
    peak = np.abs(x).max()
    return x / peak * 0.9 if peak > 1.0 else x


def vectors(data: Path, cache: Path, count: int) -> np.ndarray:
    """``count`` vectors: the real sounds', then variants', cached in ``cache`` as they are made."""
    cache.mkdir(parents=True, exist_ok=True)
    embedder = create_embedder("builtin")
    rate = embedder.sample_rate
    done = sorted(cache.glob("vectors-*.npy"))
    have = np.concatenate([np.load(p) for p in done]) if done else np.zeros((0, embedder.dim), np.float32)
    if len(have) >= count:
        return have[:count]
    started, clips = time.perf_counter(), real_clips(data, rate)
    print(f"{len(clips)} real sounds decoded in {time.perf_counter() - started:.1f} s", flush=True)
    made, start = [have], len(have)
    while start < count:
        stop = min(start + 4 * BATCH, max(count, start + 4 * BATCH))
        t0 = time.perf_counter()
        batch = [clips[i] if i < len(clips) else variant(clips, i, rate) for i in range(start, stop)]
        part = np.concatenate([embedder.embed(batch[j : j + BATCH]) for j in range(0, len(batch), BATCH)])
        np.save(cache / f"vectors-{start:07d}.npy", part.astype(np.float32))
        made.append(part)
        print(f"  {stop} vectors ({len(batch) / (time.perf_counter() - t0):.0f}/s)", flush=True)
        start = stop
    return np.concatenate(made)[:count]


# --- recall ---------------------------------------------------------------------------------
TIE = 1e-5  # scores this close to the exact 10th count as found (copies score alike)


def pcts(values: list[float]) -> str:
    ms = np.asarray(values) * 1000
    return f"p50 {np.percentile(ms, 50):.2f} ms, p99 {np.percentile(ms, 99):.2f} ms"


def measure(matrix: np.ndarray, settings: IndexSettings, queries: int, probes: list[int], reranks: list[int]) -> None:
    """Build the approximate index the library builds over ``matrix`` (ids 0..n-1), then, for each
    probe and rerank, recall@10 and top-1 against exact flat search over the same queries."""
    import faiss

    n, dim = matrix.shape
    index = VectorIndex(dim, approximate=dataclasses.replace(settings, approximate_above=min(n - 1, 20_000)))
    exact = faiss.IndexFlatIP(dim)
    exact.add(matrix)
    started = time.perf_counter()
    index.add(np.arange(n), matrix)
    index.wait_approximate(3600)
    approx = index._approx
    assert approx is not None, "no approximate index was built"
    build = time.perf_counter() - started
    picks = np.random.default_rng(1).choice(n, size=min(queries, n), replace=False)
    truth_scores, truth_ids = exact.search(matrix[picks], 11)
    print(
        f"{n:,} vectors: approximate index built in {build:.0f} s ({approx.lists} lists); "
        f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB",
        flush=True,
    )
    faiss.omp_set_num_threads(1)  # as the library searches ([index] search_threads)
    times = []
    for sid in picks[:100]:
        t0 = time.perf_counter()
        exact.search(matrix[sid : sid + 1], 11)
        times.append(time.perf_counter() - t0)
    print(f"  exact flat search: {pcts(times)}", flush=True)
    for probe in probes:
        approx.set_probe(probe)
        for rerank in reranks:
            index.approximate = dataclasses.replace(index.approximate, approximate_rerank=rerank)
            strict, tied, top1, top1_tied, times = [], [], [], [], []
            for q, sid in enumerate(picks):
                t0 = time.perf_counter()
                got = index.search(matrix[sid], 10, exclude=int(sid))
                times.append(time.perf_counter() - t0)
                keep = truth_ids[q] != sid
                ids, scores = truth_ids[q][keep][:10], truth_scores[q][keep][:10]
                got_ids = [i for i, _ in got]
                strict.append(len(set(ids.tolist()) & set(got_ids)) / 10)
                tied.append(sum(score >= scores[-1] - TIE for _, score in got) / 10)
                top1.append(bool(got_ids) and got_ids[0] == ids[0])
                top1_tied.append(bool(got) and got[0][1] >= scores[0] - TIE)
            print(
                f"  probe {probe}, rerank {rerank}: recall@10 {np.mean(strict):.4f} (ties counted: "
                f"{np.mean(tied):.4f}, min {min(tied):.1f}); top-1 {np.mean(top1):.3f} (ties: "
                f"{np.mean(top1_tied):.3f}); search {pcts(times)}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("/work/data"))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/soundalike-recall-real"))
    parser.add_argument("--sizes", default="20000,50000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--probes", default="", help="lists probed, e.g. 8,16,48 (default: the setting)")
    parser.add_argument("--reranks", default="", help="re-scored per result, e.g. 2,4 (default: the setting)")
    parser.add_argument("--lists", type=int, default=0, help="IVF lists (default: the setting)")
    args = parser.parse_args()
    settings = IndexSettings()
    if args.lists:
        settings = dataclasses.replace(settings, approximate_lists=args.lists)
    probes = [int(p) for p in args.probes.split(",") if p] or [settings.approximate_probe]
    reranks = [int(r) for r in args.reranks.split(",") if r] or [settings.approximate_rerank]
    sizes = [int(size) for size in args.sizes.split(",")]
    matrix = vectors(args.data, args.cache, max(sizes))
    print(
        f"built-in backend, {matrix.shape[1]}-d; load {os.getloadavg()[0]:.1f}; settings: lists "
        f"{settings.approximate_lists or '4 x sqrt(n)'}, probe {probes}, rerank {reranks}",
        flush=True,
    )
    for size in sizes:
        measure(np.ascontiguousarray(matrix[:size]), settings, args.queries, probes, reranks)


if __name__ == "__main__":
    main()
