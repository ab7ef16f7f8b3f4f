"""The SQLite store, the embedded default: one catalog file per library.

:class:`SqliteStore` is the :class:`~soundalike.engine.store.interface.Store` the library opens. Its
core (connection, samples, vectors, statistics) is :class:`~soundalike.engine.store.catalog.Catalog`;
the reads of each concept are written in their own module (:mod:`.reads`, :mod:`.sounds`,
:mod:`.musical`, :mod:`.user_lists`, :mod:`.roots`) and named here, so the engine calls methods
and never a module that knows SQL.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from soundalike.engine.store import musical, reads, roots, sounds, user_lists
from soundalike.engine.store.catalog import Catalog, SampleRow
from soundalike.engine.store.claims import LocalClaims
from soundalike.engine.store.errors import damaged
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.rows import Claim
from soundalike.engine.store.salvage import problems

if TYPE_CHECKING:
    from soundalike.engine.musical.analysis import Musical


class SqliteStore(Catalog):
    def check(self) -> None:
        """Raise CatalogDamaged (one line: run `soundalike repair`) when the catalog file is corrupt."""
        found = problems(self.path)
        if found:
            raise damaged(self.path, found[0])

    # --- roots and the planner's state ---------------------------------------------------------
    def unmapped_roots(self) -> dict[str, int]:
        return {}  # one machine: every root is this machine's own

    def folder_use(self, root: str) -> roots.FolderUse:
        return roots.folder_use(self, root)

    def ids_to_analyse(self, root: str | None = None) -> set[int]:
        return musical.ids_to_analyse(self, root)

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
        return reads.folders(self)

    def random_sample(self, tag: str | None = None) -> SampleRow | None:
        return reads.random_sample(self, tag)

    # --- tags and musical facts ----------------------------------------------------------------
    def all_tags(self) -> list[tuple[str, int]]:
        return reads.all_tags(self)

    def top_tags(self, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]:
        return reads.top_tags(self, ids, min_score, per_sample)

    def scored_tag_counts(self, min_score: float = 0.5) -> list[tuple[str, int]]:
        return reads.scored_tag_counts(self, min_score)

    def best_tags(self, min_score: float = 0.0) -> dict[int, str]:
        """Kept until the catalog changes: every sample's row is read (seconds at a million), and a
        kit asks again for each build."""
        mark = (self.change_mark(), min_score)
        kept = getattr(self, "_best_tags", None)
        if kept is None or kept[0] != mark:
            kept = self._best_tags = (mark, reads.best_tags(self, min_score))
        return dict(kept[1])

    def musical_of(self, ids: Sequence[int]) -> dict[int, Musical]:
        return musical.musical_of(self, ids)

    # --- copy groups and families --------------------------------------------------------------
    def sound_facts(self, ids: Sequence[int], playable: bool = True) -> dict[int, sounds.SoundFacts]:
        return sounds.facts(self, ids, playable)

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
        return sounds.with_layer_names(self, names, limit)

    def copy_groups(self) -> list[list[int]]:
        return sounds.copy_groups(self)

    def without_facts(self, ids: Sequence[int]) -> set[int]:
        return sounds.without_facts(self, ids)

    # --- the user's own lists ------------------------------------------------------------------
    def add_user_tag(self, ids: Iterable[int], tag: str) -> str:
        return user_lists.add_user_tag(self, ids, tag)

    def remove_user_tag(self, ids: Iterable[int], tag: str) -> str:
        return user_lists.remove_user_tag(self, ids, tag)

    def user_tags(self) -> list[tuple[str, int]]:
        return user_lists.user_tags(self)

    def add_to_collection(self, name: str, ids: Iterable[int]) -> str:
        return user_lists.add_to_collection(self, name, ids)

    def collections(self) -> list[tuple[str, int]]:
        return user_lists.collections(self)

    # --- claims: granted, one process indexes a SQLite catalog ---------------------------------
    @functools.cached_property
    def _claims(self) -> LocalClaims:
        return LocalClaims()

    def claim(self, paths: Sequence[str], seconds: float) -> list[str]:
        return self._claims.claim(paths, seconds)

    def extend_claims(self, seconds: float) -> int:
        return self._claims.extend(seconds)

    def release_claims(self, paths: Iterable[str]) -> None:
        self._claims.release(paths)

    def claims(self) -> list[Claim]:
        return self._claims.held()
