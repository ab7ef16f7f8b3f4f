"""Where indexing time goes, stage by stage, in this process on one thread (for bench_index.py).

Each stage is timed in CPU seconds of this thread over every file, so the figures add up to
what one file costs a core, whatever else the machine is doing.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import soundfile as sf

from soundalike.engine.config import Settings
from soundalike.engine.embedders.builtin import BuiltinEmbedder
from soundalike.engine.errors import FileError
from soundalike.engine.library.facade import Library
from soundalike.engine.musical.analysis import analyse_safely
from soundalike.engine.musical.drums import drum_reason
from soundalike.engine.pipeline.audio import (
    RESAMPLE_MARGIN_SECONDS,
    _to_mono,
    decode_file,
    describe,
    hash_bytes,
    prepare,
    resample,
    trim_leading_silence,
)
from soundalike.engine.pipeline.blas import one_blas_thread
from soundalike.engine.pipeline.ingest import Processed
from soundalike.engine.pipeline.walk import stat_entry

EXTENSIONS = Settings().engine.extensions
CROP = getattr(BuiltinEmbedder, "reads_seconds", None) is not None


def audio_paths(folders) -> list[str]:
    return sorted(
        str(Path(d) / n)
        for folder in folders
        for d, _, names in os.walk(folder)
        for n in names
        if Path(n).suffix.lower() in EXTENSIONS
    )


class Clock:
    def __init__(self):
        self.seconds: dict[str, float] = defaultdict(float)

    def __call__(self, stage: str, fn, *args, **kwargs):
        started = time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            self.seconds[stage] += time.thread_time() - started


def _decode(data: bytes, max_seconds: float):
    with sf.SoundFile(io.BytesIO(data)) as sound:
        wanted = int(max_seconds * sound.samplerate)
        frames = sound.read(frames=min(sound.frames, wanted), dtype="float32", always_2d=True)
        return frames, sound.samplerate, sound.channels, sound.frames, f"{sound.format} {sound.subtype}"


def breakdown(paths: list[str]) -> None:
    settings = Settings().engine
    embedder = BuiltinEmbedder()
    clock = Clock()
    done, lengths, waiting = [], [], []
    for path in paths:
        data = clock("read file", Path(path).read_bytes)
        digest = clock("hash (blake2b)", hash_bytes, data, len(data))
        try:
            frames, rate, channels, total, fmt = clock("decode (soundfile)", _decode, data, settings.max_seconds)
        except Exception:
            continue
        mono = clock("mono + facts", _to_mono, frames)
        facts = clock("mono + facts", describe, mono, fmt, rate, channels, total / rate, settings.silence_db)
        if facts.silent:
            continue
        lengths.append(total / rate)
        trimmed = clock("trim", trim_leading_silence, mono, rate, settings.trim_db)
        if CROP:  # as ingest does: only what the backend reads, plus the resampler's margin
            trimmed = trimmed[: int(np.ceil((embedder.reads_seconds + RESAMPLE_MARGIN_SECONDS) * rate))]
        clip = clock("resample (soxr HQ)", resample, trimmed, rate, embedder.sample_rate)
        with one_blas_thread():  # as ingest computes them
            frames = clock("log-mel frames", embedder.frames, clip) if getattr(embedder, "frames", None) else None
        waiting.append((path, facts, digest, clock("features", embedder.features, clip), frames))
        if len(waiting) == 16:
            done += _model_and_musical(waiting, embedder, settings, clock)
            waiting = []
    done += _model_and_musical(waiting, embedder, settings, clock)
    with tempfile.TemporaryDirectory() as tmp:
        import dataclasses

        base = Settings()
        from soundalike.engine.library.parts import LibraryParts

        parts = LibraryParts.open(dataclasses.replace(base, engine=dataclasses.replace(base.engine, data_dir=tmp)))
        with Library(parts.settings, parts=parts) as library:
            library.index("builtin")
            from soundalike.engine.library.facade import ScanReport

            report = ScanReport()
            for start in range(0, len(done), 16):  # the chunk size the scan writes
                clock("catalog + index write", parts.writer._apply, done[start : start + 16], report)
    total = sum(clock.seconds.values())
    count = len(done)
    print(
        f"\nbreakdown, one thread, CPU ms per file over {count} decodable files "
        f"(median length {np.median(lengths):.2f} s, {sum(x > 2.0 for x in lengths)} longer than 2 s):"
    )
    for stage, seconds in clock.seconds.items():
        print(f"  {stage:24s} {1000 * seconds / count:6.2f} ms  {100 * seconds / total:5.1f} %")
    print(f"  {'sum':24s} {1000 * total / count:6.2f} ms")


def _model_and_musical(waiting, embedder, settings, clock) -> list[Processed]:
    """As ingest runs them: the model on a chunk (one BLAS thread), then each file's musical
    analysis, which reads the tags."""
    if not waiting:
        return []
    with one_blas_thread():
        frames = np.stack([w[4] for w in waiting]) if waiting[0][4] is not None else None
        analysis = clock("model + tags", embedder.analyse_features, np.stack([w[3] for w in waiting]), frames)
    done = []
    for (path, facts, digest, *_), vector, tags in zip(waiting, analysis.vectors, analysis.tags):
        decoded = decode_file(path, settings.max_seconds, settings.silence_db)  # untimed: for musical
        musical = clock(
            "musical analysis", analyse_safely, decoded, path, str(Path(path).parent), drum_reason({"builtin": tags})
        )
        done.append(
            Processed(
                stat_entry(path, str(Path(path).parent)), facts, digest, {"builtin": vector}, {"builtin": tags}, musical
            )
        )
    return done


def floor(paths: list[str]) -> None:
    """Decode + mono + trim + resample to 22.05 kHz only, on all cores: the floor under any embedder."""
    settings = Settings().engine

    def one(path):
        try:
            prepare(decode_file(path, settings.max_seconds), 22050, settings.trim_db)
        except FileError:
            pass

    cpu, started = time.process_time(), time.perf_counter()
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        list(pool.map(one, paths))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"\ndecode + resample floor, {os.cpu_count()} threads: {len(paths) / wall:6.1f} files/s, "
        f"CPU {1000 * cpu / len(paths):.2f} ms/file"
    )
