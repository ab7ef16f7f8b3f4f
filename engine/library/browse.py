"""The library's browse part: every read the TUI, the bridge and the CLI make of the catalog.

``Library`` attaches one as ``library.browse``; nothing outside the engine holds the catalog itself
(tests/test_architecture.py checks that). Reads only: the producer's writes (favourites, user tags,
collections) are ``Library`` methods, which take the library lock. None of these load vectors, so a
page of a million-sample library costs one indexed SQL query.

The value types a caller builds or reads (``Filters``, ``SampleRow``) and the
function that shows a stored path to a person (``readable``) are re-exported here, so callers need
no catalog-level module.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np

from soundalike.engine.musical.analysis import Musical
from soundalike.engine.store.catalog import SampleRow
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.interface import Store
from soundalike.engine.store.rows import FolderUse
from soundalike.engine.store.text import readable, utf8_or_readable

__all__ = ["FolderUse", "Filters", "LibraryBrowse", "SampleRow", "readable", "utf8_or_readable"]


class LibraryBrowse:
    """Listings, counts, tags, folders, collections and failures of one library's catalog."""

    def __init__(self, catalog: Store):
        self._catalog = catalog

    def unmapped_roots(self) -> dict[str, int]:
        """Named roots of a shared catalog this machine does not map (name -> samples): not
        playable here, so left out of listings and results (docs/studio.md)."""
        return self._catalog.unmapped_roots()

    def folder_use(self, root: str) -> FolderUse:
        """What a library folder holds: samples, favourites, samples with user tags, in collections."""
        return self._catalog.folder_use(root)

    # --- listings --------------------------------------------------------------------------------
    def page(self, filters: Filters, offset: int = 0, limit: int = 200, from_end: bool = False) -> list[SampleRow]:
        """One page of the library view's listing, in the filters' order (``from_end``: ``offset``
        counts back from the listing's end: a page near the end costs what one near the top does)."""
        return self._catalog.list_browse(filters, offset, limit, from_end)

    def count(self, filters: Filters) -> int:
        """How many samples the listing holds."""
        return self._catalog.count_browse(filters)

    def position(self, filters: Filters, path: str) -> int:
        """How many samples of the listing sort before ``path`` (its row number when it is listed)."""
        return self._catalog.position_in_browse(filters, path)

    def matching_ids(self, filters: Filters) -> list[int]:
        """Ids of every sample the listing holds."""
        return self._catalog.matching_ids(filters)

    def rows(self, filters: Filters = Filters(), offset: int = 0, limit: int = 200) -> list[SampleRow]:
        """Samples matching ``filters``, by path."""
        return self._catalog.list_samples(filters, offset, limit)

    def ids_matching(self, filters: Filters) -> list[int]:
        """Ids of playable samples (status ok) that pass ``filters``."""
        return self._catalog.ids_matching(filters)

    def sound_labels(self, ids: Iterable[int]) -> dict[int, tuple[int, int]]:
        """sample id -> (copy group, family): copies share the first, copies and layers the second."""
        return self._catalog.sound_labels(list(ids))

    def family(self, sample_id: int, limit: int = 200) -> dict[int, tuple[int, int]]:
        """The playable members of ``sample_id``'s family (itself included) with their labels."""
        return self._catalog.family_of(sample_id, limit)

    def copy_groups(self) -> list[list[SampleRow]]:
        """Every group of two or more playable copies of one sound (decided at index time), by path."""
        groups = self._catalog.copy_groups()
        rows = self._catalog.samples(sid for group in groups for sid in group)
        return [sorted((rows[sid] for sid in group if sid in rows), key=lambda row: row.path) for group in groups]

    def folders(self) -> list[str]:
        """Every folder that directly holds a sample, sorted."""
        return self._catalog.folders()

    def random(self, tag: str | None = None) -> SampleRow | None:
        """A random playable sample, optionally with ``tag``."""
        return self._catalog.random_sample(tag)

    # --- single samples ----------------------------------------------------------------------------
    def sample(self, sample_id: int) -> SampleRow | None:
        return self._catalog.sample(sample_id)

    def sample_by_path(self, path: str | os.PathLike) -> SampleRow | None:
        """The sample stored at ``path`` (made absolute), whatever its status; None when there is none."""
        return self._catalog.sample_by_path(os.path.abspath(os.fspath(path)))

    def tags(self, sample_id: int) -> dict[str, dict[str, float]]:
        """A sample's tags: source (a backend, or "user") -> tag -> score."""
        return self._catalog.tags(sample_id)

    def roots(self) -> list[str]:
        """The library's folders."""
        return self._catalog.roots()

    def stored_vectors(self, backend: str) -> tuple[np.ndarray, np.ndarray | None]:
        """(ids, matrix) of ``backend``'s stored vectors of playable samples."""
        return self._catalog.vectors(backend)

    def samples(self, ids: Iterable[int]) -> dict[int, SampleRow]:
        """id -> row of those ``ids`` still known (a removed one is left out)."""
        return self._catalog.samples(ids)

    def musical(self, ids: Iterable[int]) -> dict[int, Musical]:
        """id -> stored musical facts, for the ``ids`` analysed."""
        return self._catalog.musical_of(list(ids))

    # --- tags and collections ----------------------------------------------------------------------
    def top_tags(self, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]:
        """sample id -> its best tags (any source) scored at least ``min_score``, best first (or the best
        one marked unsure, "tom?")."""
        return self._catalog.top_tags(ids, min_score, per_sample)

    def tag_counts(self, min_score: float = 0.5) -> list[tuple[str, int]]:
        """(tag, samples carrying it with at least ``min_score``), most common first."""
        return self._catalog.scored_tag_counts(min_score)

    def all_tags(self) -> list[tuple[str, int]]:
        """(tag, samples) over every tag source and score, most common first."""
        return self._catalog.all_tags()

    def user_tags(self) -> list[tuple[str, int]]:
        """(tag, samples) of every tag the producer gave, most used first."""
        return self._catalog.user_tags()

    def collections(self) -> list[tuple[str, int]]:
        """(name, samples) of every collection, by name."""
        return self._catalog.collections()

    # --- counts and failures -----------------------------------------------------------------------
    def status_counts(self) -> dict[str, int]:
        """status ("ok", "failed", "missing", "offline") -> samples."""
        return self._catalog.status_counts()

    def failures(self, limit: int = 10_000) -> list[tuple[str, str]]:
        """(path, reason) of the files that failed to index."""
        return self._catalog.failures(limit)
