"""The PostgreSQL store: one catalog on a server, which several machines can open at once.

:class:`PostgresStore` implements :class:`~soundalike.engine.store.interface.Store` over psycopg 3.
Its core is :class:`~.catalog.PgCatalog`; reads whose SQL both databases accept are the SQLite
store's own modules (:mod:`..sounds`, :mod:`..musical`, :mod:`..user_lists`, :mod:`..reads`), the
others are in :mod:`.reads`. Open one with :func:`~soundalike.engine.store.factory.open_store` and a
``postgresql://`` URL (credentials from the environment or ``~/.pgpass``, as libpq reads them).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from soundalike.engine.store import musical, sounds, user_lists
from soundalike.engine.store import reads as shared_reads
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.postgres import reads
from soundalike.engine.store.postgres.catalog import PgCatalog
from soundalike.engine.store.postgres.transaction import upsert
from soundalike.engine.store.rows import USER_SOURCE, FolderUse, SampleRow

if TYPE_CHECKING:
    from soundalike.engine.musical.analysis import Musical

_USER_TAG = upsert("tags", ("sample_id", "source", "tag"), ("sample_id", "source", "tag", "score"))
_COLLECTION = upsert("collections", ("name",), ("name", "created"), replace=False)
_ITEM = upsert(
    "collection_items", ("collection_id", "sample_id"), ("collection_id", "sample_id", "added"), replace=False
)


class PostgresStore(PgCatalog):
    # --- roots and the planner's state ---------------------------------------------------------
    def folder_use(self, root: str) -> FolderUse:
        return reads.folder_use(self, root)

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
        return shared_reads.folders(self)  # type: ignore[arg-type]

    def random_sample(self, tag: str | None = None) -> SampleRow | None:
        return reads.random_sample(self, tag)

    # --- tags and musical facts ----------------------------------------------------------------
    def all_tags(self) -> list[tuple[str, int]]:
        return shared_reads.all_tags(self)  # type: ignore[arg-type]

    def top_tags(self, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]:
        return shared_reads.top_tags(self, ids, min_score, per_sample)  # type: ignore[arg-type]

    def scored_tag_counts(self, min_score: float = 0.5) -> list[tuple[str, int]]:
        return shared_reads.scored_tag_counts(self, min_score)  # type: ignore[arg-type]

    def best_tags(self, min_score: float = 0.0) -> dict[int, str]:
        return reads.best_tags(self, min_score)

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
        tag = user_lists.clean_name(tag, "tag").lower()
        with self.transaction() as tx:
            tx.executemany(_USER_TAG, [(sid, USER_SOURCE, tag, 1.0) for sid in ids])
        return tag

    def remove_user_tag(self, ids: Iterable[int], tag: str) -> str:
        return user_lists.remove_user_tag(self, ids, tag)  # type: ignore[arg-type]

    def user_tags(self) -> list[tuple[str, int]]:
        return user_lists.user_tags(self)  # type: ignore[arg-type]

    def add_to_collection(self, name: str, ids: Iterable[int]) -> str:
        """Add samples to the collection ``name`` (made when new); returns the name as stored."""
        name = user_lists.clean_name(name, "collection")
        now = time.time()
        with self.transaction() as tx:
            tx.execute(_COLLECTION, (name, now))
            row = tx.execute("SELECT id FROM collections WHERE name = ?", (name,)).fetchone()
            assert row is not None  # inserted above, or there already
            tx.executemany(_ITEM, [(row[0], sid, now) for sid in ids])
        return name

    def collections(self) -> list[tuple[str, int]]:
        return user_lists.collections(self)  # type: ignore[arg-type]
