"""Turn files into vectors: decode, prepare for each backend, embed. Files in, results out.

Nothing here touches the catalog or the index; the library applies what comes out. Each file
ends as a :class:`Processed` with either vectors or the reason it failed, so one bad file never
stops the others. Where the work runs (threads, forked or spawned processes) is
:mod:`soundalike.engine.pipeline.executors`' business; this module knows no pool.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from soundalike.engine.config import EngineSettings
from soundalike.engine.embedders.base import Embedder, Tags
from soundalike.engine.errors import EmbedError, FileError
from soundalike.engine.musical.analysis import Musical, analyse_safely
from soundalike.engine.musical.drums import drum_reason
from soundalike.engine.pipeline.audio import AudioFacts, Decoded, decode_file, prepare
from soundalike.engine.pipeline.fingerprint import encode, fingerprint
from soundalike.engine.pipeline.walk import FileEntry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A file to process and the backends it needs vectors from."""

    entry: FileEntry
    backends: tuple[str, ...]
    tags: Mapping[str, Tags] | None = None  # stored tags of a decode-only job (the drum gate)


@dataclass
class Processed:
    entry: FileEntry
    facts: AudioFacts | None = None
    content_hash: str | None = None
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    tags: dict[str, Tags] = field(default_factory=dict)
    musical: Musical | None = None
    error: str | None = None
    fingerprint: bytes | None = None  # what decides copies and layers (engine.pipeline.fingerprint), encoded


class Ingestor:
    def __init__(self, embedders: Mapping[str, Embedder], settings: EngineSettings):
        self.embedders = embedders
        self.settings = settings

    def prepare_for_fork(self) -> None:
        for embedder in self.embedders.values():
            embedder.prepare_for_fork()

    def process(self, jobs: Sequence[Job]) -> list[Processed]:
        """Decode and embed one chunk of files; failures are recorded per file."""
        results = [Processed(job.entry) for job in jobs]
        decoded: list[Decoded | None] = [self._decode(job, result) for job, result in zip(jobs, results)]
        for backend in {name for job in jobs for name in job.backends}:
            members = [
                i
                for i, job in enumerate(jobs)
                if backend in job.backends and decoded[i] is not None and results[i].error is None
            ]
            if members:
                clips = [d for i in members if (d := decoded[i]) is not None]
                self._embed(backend, clips, [results[i] for i in members])
        if self.settings.musical:
            self._analyse(jobs, decoded, results)
        return results

    @staticmethod
    def _analyse(jobs: Sequence[Job], decoded: list[Decoded | None], results: list[Processed]) -> None:
        """Musical facts, after embedding: the built-in tags tell drums, which get no root."""
        for job, audio, result in zip(jobs, decoded, results):
            if audio is not None and result.error is None:
                result.musical = analyse_safely(
                    audio, job.entry.path, job.entry.root, drum_reason(result.tags or job.tags)
                )

    def _decode(self, job: Job, result: Processed) -> Decoded | None:
        if job.entry.problem:
            result.error = job.entry.problem
            return None
        if job.entry.size > self.settings.max_file_mb * 2**20:
            result.error = f"file too large ({job.entry.size / 2**20:.0f} MiB > max_file_mb)"
            return None
        try:
            decoded = decode_file(job.entry.path, self.settings.max_seconds, self.settings.silence_db)
        except FileError as e:
            result.error = str(e)
            log.info("cannot decode %s: %s", job.entry.path, e)
            return None
        result.facts, result.content_hash = decoded.facts, decoded.content_hash
        if decoded.facts.silent:
            result.error = f"silent (peak {decoded.facts.peak_db:.0f} dBFS)"
            return None
        result.fingerprint = fingerprint_safely(decoded, job.entry.path)
        return decoded

    def _embed(self, backend: str, decoded: list[Decoded], results: list[Processed]) -> None:
        embedder = self.embedders[backend]
        clips = [prepare(d, embedder.sample_rate, self.settings.trim_db, embedder.reads_seconds) for d in decoded]
        try:
            analysis = embed_checked(embedder, clips)
        except EmbedError:
            for clip, result in zip(clips, results):  # find which file(s) the backend rejects
                self._embed_one(embedder, clip, result)
            return
        for row, result in enumerate(results):
            result.vectors[backend] = analysis.vectors[row]
            if analysis.tags is not None:
                result.tags[backend] = analysis.tags[row]

    def _embed_one(self, embedder: Embedder, clip: np.ndarray, result: Processed) -> None:
        try:
            analysis = embed_checked(embedder, [clip])
        except EmbedError as e:
            result.error = f"{embedder.name} could not embed it: {e}"
            log.info("cannot embed %s with %s: %s", result.entry.path, embedder.name, e)
            return
        result.vectors[embedder.name] = analysis.vectors[0]
        if analysis.tags is not None:
            result.tags[embedder.name] = analysis.tags[0]


def fingerprint_safely(decoded: Decoded, path: str) -> bytes | None:
    """The stored fingerprint of a decoded file; None (the file is still indexed) when it fails."""
    try:
        return encode(fingerprint(decoded))
    except Exception as e:  # odd audio must cost its copy detection, not the file
        log.info("no fingerprint for %s: %s", path, e)
        return None


def embed_checked(embedder: Embedder, clips: list[np.ndarray]):
    """Run a backend on clips; any failure or non-finite output becomes an EmbedError."""
    try:
        analysis = embedder.analyse(clips)
    except EmbedError:
        raise
    except Exception as e:  # a backend bug or odd input must cost one file, not the scan
        log.debug("backend %s failed", embedder.name, exc_info=True)
        raise EmbedError(f"{type(e).__name__}: {e}") from e
    vectors = np.asarray(analysis.vectors, dtype=np.float32)
    if vectors.shape != (len(clips), embedder.dim) or not np.isfinite(vectors).all():
        raise EmbedError(
            f"backend returned unusable vectors (shape {vectors.shape}, finite: {bool(np.isfinite(vectors).all())})"
        )
    analysis.vectors = vectors
    return analysis
