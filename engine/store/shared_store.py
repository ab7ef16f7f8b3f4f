"""The reads of the store that both stores make through the same modules, named once.

The concept modules (:mod:`.reads`, :mod:`.musical`, :mod:`.sounds`) take either catalog; here
they become the :class:`~.interface.Store` methods that :class:`~.sqlite.SqliteStore` and
:class:`~.postgres.store.PostgresStore` share. A store adds what is its own: its claims, its
user's lists, a folder's use, and (PostgreSQL) the reads a search answers from memory while the
server is out of reach.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from soundalike.engine.store import musical, reads, sounds
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.rows import SampleRow, SoundFacts
from soundalike.engine.store.shared_catalog import SharedCatalog

if TYPE_CHECKING:
    from soundalike.engine.musical.analysis import Musical


class SharedStore(SharedCatalog):
    # --- the planner's state -------------------------------------------------------------------
    def ids_to_analyse(self, root: str | None = None) -> set[int]:
        return musical.ids_to_analyse(self, self.paths.stored(root) if root else root)

    def unanalysed_among(self, ids: Sequence[int]) -> set[int]:
        return musical.unanalysed_among(self, ids)

    def stored_tags(self, ids: Sequence[int]) -> dict[int, dict[str, dict[str, float]]]:
        return musical.stored_tags(self, ids)

    # --- listings ------------------------------------------------------------------------------
    def list_samples(self, filters: Filters = Filters(), offset: int = 0, limit: int = 200) -> list[SampleRow]:
        return reads.list_samples(self, filters, offset, limit)

    def list_browse(
        self, filters: Filters, offset: int = 0, limit: int = 200, from_end: bool = False
    ) -> list[SampleRow]:
        return reads.list_browse(self, filters, offset, limit, from_end)

    def count_browse(self, filters: Filters) -> int:
        return reads.count_browse(self, filters)

    def matching_ids(self, filters: Filters) -> list[int]:
        return reads.matching_ids(self, filters)

    def position_in_browse(self, filters: Filters, path: str) -> int:
        return reads.position_in_browse(self, filters, path)

    def folders(self) -> list[str]:
        return sorted(self._locals(reads.folders(self)))

    def random_sample(self, tag: str | None = None) -> SampleRow | None:
        return reads.random_sample(self, tag)

    # --- tags and musical facts ----------------------------------------------------------------
    def all_tags(self) -> list[tuple[str, int]]:
        return reads.all_tags(self)

    def top_tags(self, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]:
        return reads.top_tags(self, ids, min_score, per_sample)

    def scored_tag_counts(self, min_score: float = 0.5) -> list[tuple[str, int]]:
        return reads.scored_tag_counts(self, min_score)

    def musical_of(self, ids: Sequence[int]) -> dict[int, Musical]:
        return musical.musical_of(self, ids)

    # --- copy groups and families --------------------------------------------------------------
    def sound_facts(self, ids: Sequence[int], playable: bool = True) -> dict[int, SoundFacts]:
        return self.paths.local_facts(sounds.facts(self, ids, playable))

    def sound_labels(self, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        return sounds.labels(self, ids)

    def labelled(self, family: int, limit: int) -> list[int]:
        return sounds.labelled(self, family, limit)

    def family_sizes(self, families: Iterable[int]) -> dict[int, int]:
        return sounds.family_sizes(self, families)

    def family_members(self, families: Iterable[int], limit: int) -> list[int]:
        return sounds.family_members(self, families, limit)

    def family_of(self, sample_id: int, limit: int) -> dict[int, tuple[int, int]]:
        return sounds.family_of(self, sample_id, limit)

    def with_contents(self, hashes: Iterable[str], limit: int) -> dict[str, list[int]]:
        return sounds.with_contents(self, hashes, limit)

    def with_layer_names(self, names: Iterable[str], limit: int) -> dict[str, list[int]]:
        stored = {self.paths.layer(name, to_stored=True): name for name in names}
        found = sounds.with_layer_names(self, list(stored), limit)
        return {stored[name]: ids for name, ids in found.items()}

    def copy_groups(self) -> list[list[int]]:
        return sounds.copy_groups(self)

    def without_facts(self, ids: Sequence[int]) -> set[int]:
        return sounds.without_facts(self, ids)
