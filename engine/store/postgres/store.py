"""The PostgreSQL store: one catalog on a server, which several machines can open at once.

:class:`PostgresStore` implements :class:`~soundalike.engine.store.interface.Store` over psycopg 3.
Its core is :class:`~.catalog.PgCatalog`; reads whose SQL both databases accept are the SQLite
store's own modules (:mod:`..sounds`, :mod:`..musical`, :mod:`..user_lists`, :mod:`..reads`), the
others are in :mod:`.reads`. Open one with :func:`~soundalike.engine.store.factory.open_store` and a
``postgresql://`` URL (credentials from the environment or ``~/.pgpass``, as libpq reads them).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from soundalike.engine.config import StoreSettings
from soundalike.engine.store import musical, sounds
from soundalike.engine.store import reads as shared_reads
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.postgres import claims as pg_claims
from soundalike.engine.store.postgres import reads
from soundalike.engine.store.postgres import user_lists as own
from soundalike.engine.store.postgres.catalog import PgCatalog
from soundalike.engine.store.postgres.memory import ReadMemory
from soundalike.engine.store.postgres.transaction import local_layers
from soundalike.engine.store.rows import Claim, FolderUse, SampleRow

if TYPE_CHECKING:
    from soundalike.engine.musical.analysis import Musical

log = logging.getLogger(__name__)


class PostgresStore(PgCatalog):
    """While the server is out of reach, the reads a search makes (rows, labels, the model's
    signature, the library's folders, the query's row by its path) are answered from what it answered before (:mod:`.memory`); every other read fails."""

    def __init__(self, url: str, settings: StoreSettings | None = None):
        self._memory = ReadMemory()
        super().__init__(url, settings)

    def _out_of_reach(self, error: StoreError) -> None:
        """Return when ``error`` came of losing the server (then say so once); else raise it."""
        if self.reachable():
            raise error
        if not self._said_out_of_reach:
            log.warning("%s: searches answer from what this machine read before", error)
        self._said_out_of_reach = True

    _said_out_of_reach = False

    def samples(self, ids: Iterable[int]) -> dict[int, SampleRow]:
        ids = list(ids)
        try:
            rows = super().samples(ids)
        except StoreError as e:
            self._out_of_reach(e)
            return self._memory.rows(ids)
        self._memory.keep_rows(rows)
        self._said_out_of_reach = False
        return rows

    def sample_by_path(self, path: str) -> SampleRow | None:
        try:
            row = super().sample_by_path(path)
        except StoreError as e:
            self._out_of_reach(e)
            return self._memory.row_at(path)
        if row is not None:
            self._memory.keep_rows({row.id: row})
        return row

    def roots(self) -> list[str]:
        try:
            roots = super().roots()
        except StoreError as e:
            self._out_of_reach(e)
            try:
                return self._memory.roots()
            except KeyError:
                raise e from None
        self._memory.keep_roots(roots)
        return roots

    def backend_signature(self, backend: str) -> str | None:
        try:
            signature = super().backend_signature(backend)
        except StoreError as e:
            self._out_of_reach(e)
            try:
                return self._memory.signature(backend)
            except KeyError:
                raise e from None
        self._memory.keep_signature(backend, signature)
        return signature

    # --- roots and the planner's state ---------------------------------------------------------
    def folder_use(self, root: str) -> FolderUse:
        return reads.folder_use(self, root)

    def ids_to_analyse(self, root: str | None = None) -> set[int]:
        return musical.ids_to_analyse(self, self.paths.stored(root) if root else root)

    def unanalysed_among(self, ids: Sequence[int]) -> set[int]:
        return musical.unanalysed_among(self, ids)

    def stored_tags(self, ids: Sequence[int]) -> dict[int, dict[str, dict[str, float]]]:
        return musical.stored_tags(self, ids)

    # --- listings ------------------------------------------------------------------------------
    def list_samples(self, filters: Filters = Filters(), offset: int = 0, limit: int = 200) -> list[SampleRow]:
        return self._kept(reads.list_samples(self, filters, offset, limit))

    def list_browse(
        self, filters: Filters, offset: int = 0, limit: int = 200, from_end: bool = False
    ) -> list[SampleRow]:
        return self._kept(reads.list_browse(self, filters, offset, limit, from_end))

    def _kept(self, rows: list[SampleRow]) -> list[SampleRow]:
        """``rows``, remembered for searches while the server is out of reach (a listing shown is read)."""
        self._memory.keep_rows({row.id: row for row in rows})
        return rows

    def count_browse(self, filters: Filters) -> int:
        return reads.count_browse(self, filters)

    def matching_ids(self, filters: Filters) -> list[int]:
        return reads.matching_ids(self, filters)

    def position_in_browse(self, filters: Filters, path: str) -> int:
        return reads.position_in_browse(self, filters, path)

    def folders(self) -> list[str]:
        local = (self.paths.local(folder) for folder in shared_reads.folders(self))  # type: ignore[arg-type]
        return sorted(folder for folder in local if folder is not None)

    def random_sample(self, tag: str | None = None) -> SampleRow | None:
        return reads.random_sample(self, tag)

    # --- tags and musical facts ----------------------------------------------------------------
    def all_tags(self) -> list[tuple[str, int]]:
        return own.all_tags(self)

    def top_tags(self, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]:
        """Each sample's best tags; while the server is out of reach, none (results are shown without)."""
        try:
            return own.top_tags(self, ids, min_score, per_sample)
        except StoreError as e:
            self._out_of_reach(e)
            return {}

    def scored_tag_counts(self, min_score: float = 0.5) -> list[tuple[str, int]]:
        return own.scored_tag_counts(self, min_score)

    def best_tags(self, min_score: float = 0.0) -> dict[int, str]:
        return own.best_tags(self, min_score)

    def musical_of(self, ids: Sequence[int]) -> dict[int, Musical]:
        return musical.musical_of(self, ids)

    # --- copy groups and families --------------------------------------------------------------
    def sound_facts(self, ids: Sequence[int], playable: bool = True) -> dict[int, sounds.SoundFacts]:
        return local_layers(self.paths, sounds.facts(self, ids, playable))

    def sound_labels(self, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        try:
            labels = sounds.labels(self, ids)
        except StoreError as e:
            self._out_of_reach(e)
            return self._memory.labels(ids)
        self._memory.keep_labels(labels)
        return labels

    def labelled(self, family: int, limit: int) -> list[int]:
        try:
            return sounds.labelled(self, family, limit)
        except StoreError as e:
            self._out_of_reach(e)
            return self._memory.family(family, limit)

    def family_sizes(self, families: Iterable[int]) -> dict[int, int]:
        return sounds.family_sizes(self, families)

    def family_members(self, families: Iterable[int], limit: int) -> list[int]:
        families = set(families)
        try:
            return sounds.family_members(self, families, limit)
        except StoreError as e:
            self._out_of_reach(e)
            return [sid for family in families for sid in self._memory.family(family, limit)]

    def family_of(self, sample_id: int, limit: int) -> dict[int, tuple[int, int]]:
        try:
            family = sounds.family_of(self, sample_id, limit)
        except StoreError as e:
            self._out_of_reach(e)
            own = self._memory.labels([sample_id]).get(sample_id)
            return {} if own is None else self._memory.labels(self._memory.family(own[1], limit))
        self._memory.keep_labels(family)
        return family

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

    # --- the user's own lists ------------------------------------------------------------------
    def add_user_tag(self, ids: Iterable[int], tag: str) -> str:
        return own.add_user_tag(self, ids, tag)

    def remove_user_tag(self, ids: Iterable[int], tag: str) -> str:
        return own.remove_user_tag(self, ids, tag)

    def user_tags(self) -> list[tuple[str, int]]:
        return own.user_tags(self)

    def add_to_collection(self, name: str, ids: Iterable[int]) -> str:
        """Add samples to the user's collection ``name`` (made when new); returns the name as stored."""
        return own.add_to_collection(self, name, ids)

    def collections(self) -> list[tuple[str, int]]:
        return own.collections(self)

    # --- claims: which indexer decodes which file ----------------------------------------------
    @functools.cached_property
    def _holder(self) -> pg_claims.Holder:
        return pg_claims.Holder.new(self.settings.machine)

    def claim(self, paths: Sequence[str], seconds: float) -> list[str]:
        return pg_claims.claim(self, self._holder, paths, seconds)

    def extend_claims(self, seconds: float) -> int:
        return pg_claims.extend(self, self._holder, seconds)

    def release_claims(self, paths: Iterable[str]) -> None:
        pg_claims.release(self, self._holder, paths)

    def claims(self) -> list[Claim]:
        return pg_claims.held(self)
