"""The PostgreSQL store: one catalog on a server, which several machines can open at once.

:class:`PostgresStore` implements :class:`~soundalike.engine.store.interface.Store` over psycopg 3.
Its core is :class:`~.catalog.PgCatalog`; the reads both stores make alike are
:class:`~soundalike.engine.store.shared_store.SharedStore`'s, the user's own lists are in
:mod:`.user_lists`. Open one with :func:`~soundalike.engine.store.factory.open_store` and a
``postgresql://`` URL (credentials from the environment or ``~/.pgpass``, as libpq reads them).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from soundalike.engine.config import StoreSettings
from soundalike.engine.store import sounds
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.filters import Filters
from soundalike.engine.store.postgres import claims as pg_claims
from soundalike.engine.store.postgres import user_lists as own
from soundalike.engine.store.postgres.catalog import PgCatalog
from soundalike.engine.store.postgres.memory import ReadMemory
from soundalike.engine.store.rows import Claim, FolderUse, SampleRow
from soundalike.engine.store.shared_store import SharedStore

log = logging.getLogger(__name__)

T = TypeVar("T")


class PostgresStore(SharedStore, PgCatalog):
    """While the server is out of reach, the reads a search makes (rows, labels, the model's
    signature, the library's folders, the query's row by its path) are answered from what it
    answered before (:mod:`.memory`); every other read fails."""

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

    def _answer(self, read: Callable[[], T], remembered: Callable[[], T], keep: Callable[[T], None] | None = None) -> T:
        """``read()`` from the server (``keep`` gets what it gave); while the server is out of reach,
        ``remembered()`` instead, and the server's error when nothing was remembered (KeyError)."""
        try:
            value = read()
        except StoreError as e:
            self._out_of_reach(e)
            try:
                return remembered()
            except KeyError:
                raise e from None
        if keep is not None:
            keep(value)
        return value

    def samples(self, ids: Iterable[int]) -> dict[int, SampleRow]:
        ids = list(ids)
        return self._answer(
            lambda: super(PostgresStore, self).samples(ids), lambda: self._memory.rows(ids), self._server_answered
        )

    def _server_answered(self, rows: dict[int, SampleRow]) -> None:
        self._memory.keep_rows(rows)
        self._said_out_of_reach = False

    def sample_by_path(self, path: str) -> SampleRow | None:
        def keep(row: SampleRow | None) -> None:
            if row is not None:
                self._memory.keep_rows({row.id: row})

        return self._answer(
            lambda: super(PostgresStore, self).sample_by_path(path), lambda: self._memory.row_at(path), keep
        )

    def roots(self) -> list[str]:
        return self._answer(lambda: super(PostgresStore, self).roots(), self._memory.roots, self._memory.keep_roots)

    def backend_signature(self, backend: str) -> str | None:
        return self._answer(
            lambda: super(PostgresStore, self).backend_signature(backend),
            lambda: self._memory.signature(backend),
            lambda signature: self._memory.keep_signature(backend, signature),
        )

    # --- what of the user's a folder holds, and the user's best tags ---------------------------
    def folder_use(self, root: str) -> FolderUse:
        return own.folder_use(self, root)

    # --- listings and tags: a listing shown is remembered; tags, none while out of reach -------
    def list_samples(self, filters: Filters = Filters(), offset: int = 0, limit: int = 200) -> list[SampleRow]:
        return self._kept(super().list_samples(filters, offset, limit))

    def list_browse(
        self, filters: Filters, offset: int = 0, limit: int = 200, from_end: bool = False
    ) -> list[SampleRow]:
        return self._kept(super().list_browse(filters, offset, limit, from_end))

    def _kept(self, rows: list[SampleRow]) -> list[SampleRow]:
        """``rows``, remembered for searches while the server is out of reach (a listing shown is read)."""
        self._memory.keep_rows({row.id: row for row in rows})
        return rows

    def top_tags(self, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]:
        """Each sample's best tags; while the server is out of reach, none (results are shown without)."""
        return self._answer(lambda: super(PostgresStore, self).top_tags(ids, min_score, per_sample), dict)

    def best_tags(self, min_score: float = 0.0) -> dict[int, str]:
        return own.best_tags(self, min_score)

    # --- copy groups and families, answered from memory while the server is out of reach -------
    def sound_labels(self, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        return self._answer(
            lambda: sounds.labels(self, ids), lambda: self._memory.labels(ids), self._memory.keep_labels
        )

    def labelled(self, family: int, limit: int) -> list[int]:
        return self._answer(lambda: sounds.labelled(self, family, limit), lambda: self._memory.family(family, limit))

    def family_members(self, families: Iterable[int], limit: int) -> list[int]:
        families = set(families)
        return self._answer(
            lambda: sounds.family_members(self, families, limit),
            lambda: [sid for family in families for sid in self._memory.family(family, limit)],
        )

    def family_of(self, sample_id: int, limit: int) -> dict[int, tuple[int, int]]:
        return self._answer(
            lambda: sounds.family_of(self, sample_id, limit),
            lambda: self._remembered_family(sample_id, limit),
            self._memory.keep_labels,
        )

    def _remembered_family(self, sample_id: int, limit: int) -> dict[int, tuple[int, int]]:
        labels = self._memory.labels([sample_id]).get(sample_id)
        return {} if labels is None else self._memory.labels(self._memory.family(labels[1], limit))

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
