"""Engine core figures: indexing throughput, `similar` latency, re-open and re-index times.

Every speed is printed with a baseline measured in the same run on the same files, as a ratio,
because these machines are noisy.

    .venv/bin/python bench/bench_core.py [--files 2000] [--rescan-files 10000] [--sizes 10000,100000]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import faiss
import numpy as np
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic_library import fill  # noqa: E402
from soundalike.engine.config import Settings  # noqa: E402
from soundalike.engine.library.facade import Library  # noqa: E402
from soundalike.engine.library.query import SimilarQuery  # noqa: E402
from soundalike.engine.pipeline.audio import decode_file, prepare  # noqa: E402
from soundalike.engine.tools.demo import INSTRUMENTS, RATE, render  # noqa: E402


def make_files(folder: Path, count: int) -> list[Path]:
    names = list(INSTRUMENTS)
    paths = []
    for number in range(count):
        instrument = names[number % len(names)]
        path = folder / f"kit{number // len(names):05d}" / f"{instrument.replace(' ', '_')}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, render(instrument, seed=number), RATE, subtype="PCM_16")
        paths.append(path)
    return paths


def settings_for(data_dir: Path, workers: int) -> Settings:
    base = Settings()
    return dataclasses.replace(base, engine=dataclasses.replace(base.engine, data_dir=str(data_dir), workers=workers))


def floor_rate(paths: list[Path], rate: int, workers: int) -> float:
    """Decode + mono + resample + trim only: the floor any embedder sits on."""

    def one(path):
        prepare(decode_file(path), rate)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, paths))
    return len(paths) / (time.perf_counter() - started)


def librosa_indexer_rate(paths: list[Path]) -> float:
    """A typical open-source indexer: librosa.load at 22.05 kHz, 40 MFCC means and deviations, FAISS flat."""
    import warnings

    import librosa

    warnings.filterwarnings("ignore", message="n_fft=")  # one-shots shorter than librosa's window
    librosa.feature.mfcc(y=np.zeros(22050, dtype=np.float32), sr=22050)  # warm up numba
    started = time.perf_counter()
    rows = []
    for path in paths:
        y, sr = librosa.load(path, sr=22050, mono=True)
        mfcc = librosa.feature.mfcc(y=y, sr=sr, n_mfcc=40)
        rows.append(np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]))
    matrix = np.array(rows, dtype=np.float32)
    faiss.normalize_L2(matrix)
    faiss.IndexFlatIP(matrix.shape[1]).add(matrix)
    return len(paths) / (time.perf_counter() - started)


def bench_indexing(count: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_files(Path(tmp) / "samples", count)
        with Library(settings_for(Path(tmp) / "lib", workers)) as library:
            rate = library.embedder("builtin").sample_rate
            started = time.perf_counter()
            report = library.scan([str(Path(tmp) / "samples")])
            ours = report.indexed / (time.perf_counter() - started)
        floor = floor_rate(paths, rate, workers)
        typical = librosa_indexer_rate(paths)
    print(f"indexing {count} one-shots, {workers} workers:")
    print(f"  soundalike index (builtin)      {ours:8.1f} files/s")
    print(f"  decode+resample floor           {floor:8.1f} files/s   ours/floor = {ours / floor:.2f}")
    print(f"  librosa MFCC + FAISS (1 thread) {typical:8.1f} files/s   ours/typical = {ours / typical:.2f}")


def bench_rescan(count: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        originals = make_files(Path(tmp) / "originals", 200)
        samples = Path(tmp) / "samples"
        for number in range(count):  # hard links: 10k real paths without 10k distinct renders
            target = samples / f"pack{number // 500:03d}" / f"s{number:05d}_{originals[number % 200].name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(originals[number % 200], target)
        with Library(settings_for(Path(tmp) / "lib", workers)) as library:
            first = library.scan([str(samples)])
            started = time.perf_counter()
            again = library.scan()
            rescan = time.perf_counter() - started
    print(
        f"re-index of an unchanged {count}-file folder: {rescan:.2f} s "
        f"(first index {first.seconds:.1f} s; {again.unchanged} unchanged, {again.indexed} re-embedded)"
    )


def latency(fn, repeats: int) -> tuple[float, float]:
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.99 * (len(times) - 1))]


def bench_similar(size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_for(Path(tmp) / "lib", 1)
        with Library(settings) as library:
            dim = library.embedder("builtin").dim
            fill(library, size, "builtin", dim)
        started = time.perf_counter()
        library = Library(settings)
        library.index("builtin")
        reopen = time.perf_counter() - started
        index = library.index("builtin")
        ids = index.ids()
        rng = np.random.default_rng(1)
        picks = rng.choice(ids, 300)
        raw_queries = [index.reconstruct(int(i)).reshape(1, -1) for i in picks]
        raw_index = index._index
        raw = latency(lambda i: raw_index.search(raw_queries[i], 11), 300)
        ours = latency(lambda i: library.similar(SimilarQuery(int(picks[i]), k=10, collapse=False)).hits, 300)
        library.close()
    print(
        f"similar at {size} items (dim {dim}): p50 {ours[0]:.2f} ms, p99 {ours[1]:.2f} ms; "
        f"raw FAISS p50 {raw[0]:.2f} ms -> ratio {ours[0] / raw[0]:.2f}; re-open {reopen:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rescan-files", type=int, default=10000)
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"faiss {faiss.__version__}"
    )
    bench_indexing(args.files, args.workers)
    bench_rescan(args.rescan_files, args.workers)
    for size in map(int, args.sizes.split(",")):
        bench_similar(size)


if __name__ == "__main__":
    main()
