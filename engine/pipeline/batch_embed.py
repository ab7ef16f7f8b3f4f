"""Embed a list of files with one backend, outside any library (for `embed` and `eval`)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from soundalike.engine.config import EngineSettings
from soundalike.engine.embedders.base import Embedder
from soundalike.engine.pipeline.executors import Executors
from soundalike.engine.pipeline.ingest import Ingestor, Job
from soundalike.engine.pipeline.walk import stat_entry


@dataclass
class BatchResult:
    vectors: np.ndarray  # (N, dim) float32, NaN rows for files that failed, rows in input order
    failures: list[tuple[str, str]]  # (path, reason)
    seconds: float

    @property
    def embedded(self) -> int:
        return len(self.vectors) - len(self.failures)


def embed_paths(
    paths: Sequence[str],
    embedder: Embedder,
    settings: EngineSettings,
    progress: Callable[[int, int], None] | None = None,
) -> BatchResult:
    started = time.perf_counter()
    matrix = np.full((len(paths), embedder.dim), np.nan, dtype=np.float32)
    rows_of: dict[str, list[int]] = {}
    jobs = []
    for row, path in enumerate(paths):
        entry = stat_entry(os.path.abspath(path))
        rows_of.setdefault(entry.path, []).append(row)
        if len(rows_of[entry.path]) == 1:
            jobs.append(Job(entry, (embedder.name,)))
    failures, done = [], 0
    for chunk in Executors().run(Ingestor({embedder.name: embedder}, settings), jobs):
        for item in chunk:
            rows = rows_of[item.entry.path]
            if item.error:
                failures += [(item.entry.path, item.error)] * len(rows)
            else:
                matrix[rows] = item.vectors[embedder.name]
        done += len(chunk)
        if progress:
            progress(done, len(jobs))
    return BatchResult(matrix, failures, time.perf_counter() - started)
