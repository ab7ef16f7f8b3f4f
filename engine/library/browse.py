"""The library's browse part: every read the TUI, the bridge and the CLI make of the catalog.

``Library`` attaches one as ``library.browse``; nothing outside the engine holds the catalog itself
(tests/test_architecture.py checks that). Reads only: the producer's writes (favourites, user tags,
collections) are ``Library`` methods, which take the library lock. None of these load vectors, so a
page of a million-sample library costs one indexed SQL query.

The value types a caller builds or reads (``BrowseQuery``, ``Filters``, ``SampleRow``) and the
function that shows a stored path to a person (``readable``) are re-exported here, so callers need
no catalog-level module.
"""
from __future__ import annotations

from collections.abc import Iterable

from soundalike.engine.musical.analysis import Musical
from soundalike.engine.musical.store import musical_of
from soundalike.engine.store import browse, user_lists
from soundalike.engine.store.browse import BrowseQuery
from soundalike.engine.store.catalog import Catalog, Filters, SampleRow
from soundalike.engine.store.text import readable, utf8_or_readable

__all__ = ["BrowseQuery", "Filters", "LibraryBrowse", "SampleRow", "readable", "utf8_or_readable"]


class LibraryBrowse:
    """Listings, counts, tags, folders, collections and failures of one library's catalog."""

    def __init__(self, catalog: Catalog):
        self._catalog = catalog

    # --- listings --------------------------------------------------------------------------------
    def page(self, query: BrowseQuery, offset: int = 0, limit: int = 200) -> list[SampleRow]:
        """One page of the library view's listing, in the query's order."""
        return browse.list_browse(self._catalog, query, offset, limit)

    def count(self, query: BrowseQuery) -> int:
        """How many samples the listing holds."""
        return browse.count_browse(self._catalog, query)

    def position(self, query: BrowseQuery, path: str) -> int:
        """How many samples of the listing sort before ``path`` (its row number when it is listed)."""
        return browse.position_in_browse(self._catalog, query, path)

    def matching_ids(self, query: BrowseQuery) -> list[int]:
        """Ids of every sample the listing holds."""
        return browse.matching_ids(self._catalog, query)

    def rows(self, filters: Filters = Filters(), offset: int = 0, limit: int = 200) -> list[SampleRow]:
        """Samples matching catalog ``filters``, by path."""
        return browse.list_samples(self._catalog, filters, offset, limit)

    def ids_matching(self, filters: Filters) -> list[int]:
        """Ids of playable samples (status ok) that pass ``filters``."""
        return self._catalog.ids_matching(filters)

    def folders(self) -> list[str]:
        """Every folder that directly holds a sample, sorted."""
        return browse.folders(self._catalog)

    def random(self, tag: str | None = None) -> SampleRow | None:
        """A random playable sample, optionally with ``tag``."""
        return browse.random_sample(self._catalog, tag)

    # --- single samples ----------------------------------------------------------------------------
    def sample(self, sample_id: int) -> SampleRow | None:
        return self._catalog.sample(sample_id)

    def samples(self, ids: Iterable[int]) -> dict[int, SampleRow]:
        """id -> row of those ``ids`` still known (a removed one is left out)."""
        return self._catalog.samples(ids)

    def musical(self, ids: Iterable[int]) -> dict[int, Musical]:
        """id -> stored musical facts, for the ``ids`` analysed."""
        return musical_of(self._catalog, list(ids))

    # --- tags and collections ----------------------------------------------------------------------
    def top_tags(self, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]:
        """sample id -> its best tags (any source) scored at least ``min_score``, best first (or the best
        one marked unsure, "tom?")."""
        return browse.top_tags(self._catalog, ids, min_score, per_sample)

    def tag_counts(self, min_score: float = 0.5) -> list[tuple[str, int]]:
        """(tag, samples carrying it with at least ``min_score``), most common first."""
        return browse.scored_tag_counts(self._catalog, min_score)

    def all_tags(self) -> list[tuple[str, int]]:
        """(tag, samples) over every tag source and score, most common first."""
        return browse.all_tags(self._catalog)

    def user_tags(self) -> list[tuple[str, int]]:
        """(tag, samples) of every tag the producer gave, most used first."""
        return user_lists.user_tags(self._catalog)

    def collections(self) -> list[tuple[str, int]]:
        """(name, samples) of every collection, by name."""
        return user_lists.collections(self._catalog)

    # --- counts and failures -----------------------------------------------------------------------
    def status_counts(self) -> dict[str, int]:
        """status ("ok", "failed", "missing", "offline") -> samples."""
        return self._catalog.status_counts()

    def failures(self, limit: int = 10_000) -> list[tuple[str, str]]:
        """(path, reason) of the files that failed to index."""
        return self._catalog.failures(limit)
