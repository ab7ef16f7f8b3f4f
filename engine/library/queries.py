"""Reads of a library: similarity and text queries, samples, tags, statistics.

The read side of :class:`soundalike.engine.library.facade.Library`, composed into it. Reads never take the library
lock: they are safe from any thread, and from another process while ``serve`` writes.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol, cast

import numpy as np

from soundalike.engine.config import Settings
from soundalike.engine.embedders.base import Embedder
from soundalike.engine.embedders.torch_support import INSTALL_HINT
from soundalike.engine.errors import FileError, QueryError, UserError
from soundalike.engine.library.backends import LibraryBackends
from soundalike.engine.library.indexes import LibraryIndexes
from soundalike.engine.musical.analysis import Musical, analyse, analyse_safely
from soundalike.engine.musical.drums import drum_reason
from soundalike.engine.musical.filters import fit
from soundalike.engine.pipeline.audio import decode_file, prepare, resample
from soundalike.engine.pipeline.ingest import embed_checked
from soundalike.engine.pipeline.walk import stat_entry
from soundalike.engine.store.catalog import SampleRow
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.interface import Store

#: ``similar(musical=True)`` looks this many times ``k`` deep for hits that fit the query musically.
MUSICAL_POOL = 5


@dataclass(frozen=True)
class Hit:
    sample: SampleRow
    score: float

    @property
    def path(self) -> str:
        return self.sample.path


@dataclass(frozen=True)
class Resolved:
    """A query already turned into its vector, with its sample id when it is one of the library's
    and what it was made from (``source``: a path, an id or audio), so repeated reads of one query
    embed it once."""

    vector: np.ndarray
    own_id: int | None
    source: object = None


class _TextEmbedder(Protocol):
    def embed_text(self, texts: list[str]) -> np.ndarray: ...


class LibraryQueries:
    def __init__(
        self, settings: Settings, catalog: Store, indexes: LibraryIndexes, backends: LibraryBackends, data_dir: str
    ):
        self.settings = settings
        self._catalog = catalog
        self._indexes = indexes
        self._backends = backends
        self._data_dir = data_dir

    def _searching(self, backend: str) -> Embedder:
        """The embedder of ``backend``, checked against the model its stored vectors come from."""
        embedder = self._backends.get(backend)
        self._indexes.check_model(backend, embedder.signature())
        return embedder

    def similar(
        self,
        to: str | os.PathLike | int | np.ndarray | Resolved,
        k: int | None = None,
        backend: str | None = None,
        weights: Mapping[str, float] | None = None,
        filters: Filters | None = None,
        sample_rate: int | None = None,
        musical: bool = False,
    ) -> list[Hit]:
        """The ``k`` samples closest to a file path, a sample id or an audio array.

        A path in the library with unchanged size and mtime reuses its stored vector; any other
        file is decoded and embedded on the spot (and not added). The query itself is excluded.
        ``musical``: among the closest ``MUSICAL_POOL`` times ``k``, those that fit the query
        musically (a loop: same tempo range, compatible key; a tonal one-shot: same root) come first.
        """
        backend = backend or self.settings.engine.default_backend
        k = k or self.settings.index.default_k
        embedder = self._searching(backend)
        vector, own_id = self.query_vector(to, backend, sample_rate)
        pool = k * MUSICAL_POOL if musical else k
        hits = self._search(backend, embedder.query_vector(vector, weights), pool, filters, exclude=own_id)
        if musical:
            source = to.source if isinstance(to, Resolved) else to
            hits = self._musical_first(hits, self._query_musical(source, own_id, sample_rate), k)
        scale = embedder.score_scale(weights)  # scores as weighted mean cosines: 1.0 = the same sound
        return [Hit(hit.sample, min(hit.score / scale, 1.0)) for hit in hits]

    def analyse_musical(self, path: str | os.PathLike) -> Musical:
        """Musical facts of any audio file, in or out of the library (FileError when it does not decode).

        As at indexing, only the names below the file's library folder are read (its own folder, for a
        file outside the library: a "Loops" higher up says nothing about it), and its drum tags count."""
        engine = self.settings.engine
        decoded = decode_file(path, engine.max_seconds, engine.silence_db)
        full = os.path.abspath(os.fspath(path))
        row = self.sample_by_path(full)
        root = row.root if row else os.path.dirname(os.path.dirname(full))
        drum = drum_reason(self.tags(row.id)) if row else None
        return analyse_safely(decoded, full, root, drum)

    def _query_musical(self, to, own_id: int | None, sample_rate: int | None) -> Musical:
        if own_id is not None:
            stored = self._catalog.musical_of([own_id]).get(own_id)
            if stored is not None:
                return stored
        if isinstance(to, np.ndarray):
            mono = to.mean(axis=1) if to.ndim == 2 else to
            return analyse(np.asarray(mono, dtype=np.float32), int(sample_rate or 0), mono.size / (sample_rate or 1))
        if isinstance(to, (str, os.PathLike)):
            return self.analyse_musical(to)
        return Musical()

    def _musical_first(self, hits: list[Hit], query: Musical, k: int) -> list[Hit]:
        facts = self._catalog.musical_of([hit.sample.id for hit in hits])
        ranked = sorted(hits, key=lambda hit: -fit(query, facts.get(hit.sample.id)))  # stable: score order kept
        return ranked[:k]

    def text_backend(self, backend: str | None = None) -> str:
        """The backend that answers text queries: ``backend``, else the first enabled one that can."""
        names = [backend] if backend else list(self.settings.engine.backends)
        for name in names:
            if self._backends.can_embed_text(name):
                return name
        raise UserError(
            f"text search needs a backend that understands text, such as clap: {INSTALL_HINT}, "
            f'then add "clap" to [engine] backends in config.toml '
            f"(enabled now: {', '.join(self.settings.engine.backends)})"
        )

    def search_text(
        self, text: str, k: int | None = None, backend: str | None = None, filters: Filters | None = None
    ) -> list[Hit]:
        """The ``k`` samples that best match a description such as "dusty vinyl snare"."""
        if not text.strip():
            raise QueryError("empty text query")
        name = self.text_backend(backend)
        query = cast(_TextEmbedder, self._searching(name)).embed_text([text])[0]
        return self._search(name, query, k or self.settings.index.default_k, filters, exclude=None)

    def _search(
        self, backend: str, query: np.ndarray, k: int, filters: Filters | None, exclude: int | None
    ) -> list[Hit]:
        """``filters``: which samples may be results (playable ones unless they name a status)."""
        allowed = None
        if filters is not None and not filters.is_empty():
            allowed = np.array(
                self._catalog.matching_ids(filters if filters.status else dataclasses.replace(filters, status="ok")),
                dtype=np.int64,
            )
        hits = self._indexes.get(backend).search(query, k, allowed=allowed, exclude=exclude)
        rows = self._catalog.samples(sid for sid, _ in hits)
        # unfiltered, only playable samples: an index opened on trust may still hold one gone offline
        # or missing since it was saved (removals do not change the catalog's vector version)
        return [
            Hit(rows[sid], score)
            for sid, score in hits
            if sid in rows and (allowed is not None or rows[sid].status == "ok")
        ]

    def query_vector(self, to, backend: str, sample_rate: int | None) -> tuple[np.ndarray, int | None]:
        """The vector ``to`` (a sample id, an audio array, a file path) stands for, and its sample id
        when it is one of the library's samples (so results can leave it out)."""
        if isinstance(to, Resolved):
            return to.vector, to.own_id
        if isinstance(to, (int, np.integer)):
            vector = self._indexes.get(backend).reconstruct(int(to))
            if vector is None:
                raise FileError(f"sample {to} has no {backend} vector (not indexed, failed or missing)")
            return vector, int(to)
        if isinstance(to, np.ndarray):
            if not sample_rate:
                raise QueryError("an audio array query needs its sample_rate")
            return self.embed_audio(to, sample_rate, backend), None
        return self._path_vector(os.path.abspath(os.fspath(to)), backend)

    def _path_vector(self, path: str, backend: str) -> tuple[np.ndarray, int | None]:
        row = self._catalog.sample_by_path(path)
        if not os.path.lexists(path):
            raise FileError(f"{path}: no such file")
        entry = stat_entry(path)
        if entry.problem:
            raise FileError(f"{path}: {entry.problem}")
        if row is not None and row.status == "ok" and (row.size, row.mtime) == (entry.size, entry.mtime):
            vector = self._indexes.get(backend).reconstruct(row.id)
            if vector is not None:
                return vector, row.id
        own_id = row.id if row is not None else None
        return self.embed_file(path, backend), own_id

    def embed_file(self, path: str | os.PathLike, backend: str | None = None) -> np.ndarray:
        """Vector of any audio file, in or out of the library (raises FileError with the reason)."""
        return self.analyse_file(path, backend).vectors[0]

    def analyse_file(self, path: str | os.PathLike, backend: str | None = None):
        """Vector and tags (when the backend tags) of any audio file; FileError with the reason."""
        engine = self.settings.engine
        decoded = decode_file(path, engine.max_seconds, engine.silence_db)
        if decoded.facts.silent:
            raise FileError(f"{path}: silent (peak {decoded.facts.peak_db:.0f} dBFS)")
        embedder = self._backends.get(backend or engine.default_backend)
        return embed_checked(embedder, [prepare(decoded, embedder.sample_rate, engine.trim_db)])

    def tag_file(self, path: str | os.PathLike) -> dict[str, dict[str, float]]:
        """What is this sound: tags from every enabled backend that can name sounds, best first."""
        out = {}
        for name in self.settings.engine.backends:
            tags = self.analyse_file(path, name).tags
            if tags:
                out[name] = dict(sorted(tags[0].items(), key=lambda kv: -kv[1]))
        return out

    def embed_audio(self, audio: np.ndarray, sample_rate: int, backend: str | None = None) -> np.ndarray:
        embedder = self._backends.get(backend or self.settings.engine.default_backend)
        mono = np.asarray(audio, dtype=np.float32)
        mono = mono.mean(axis=1) if mono.ndim == 2 else mono
        return embed_checked(embedder, [resample(mono, sample_rate, embedder.sample_rate)]).vectors[0]

    # --- samples, tags, statistics -----------------------------------------------------------
    def sample_by_path(self, path: str | os.PathLike) -> SampleRow | None:
        return self._catalog.sample_by_path(os.path.abspath(os.fspath(path)))

    def tags(self, sample_id: int) -> dict[str, dict[str, float]]:
        return self._catalog.tags(sample_id)

    def best_tags(self, min_score: float | None = None) -> dict[int, str]:
        """Every playable sample's best-scoring tag, from any source, when it is sure: scored at least
        ``min_score`` (default ``[engine] tag_confidence``). Untagged and unsure samples are left out."""
        threshold = self.settings.engine.tag_confidence if min_score is None else min_score
        return self._catalog.best_tags(threshold)

    def stats(self) -> dict:
        counts = self._catalog.status_counts()
        return {
            "data_dir": self._data_dir,
            "roots": self._catalog.roots(),
            "samples": sum(counts.values()),
            "by_status": counts,
            "failure_reasons": self._catalog.failure_reasons(),
            "vectors": self._catalog.vector_counts(),
            "indexed": {name: len(self._indexes.get(name)) for name in self.settings.engine.backends},
        }
