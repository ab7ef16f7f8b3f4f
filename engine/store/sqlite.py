"""The SQLite store, the embedded default: one catalog file per library.

:class:`SqliteStore` is the :class:`~soundalike.engine.store.interface.Store` the library opens. Its
core (connection, samples, vectors, statistics) is :class:`~soundalike.engine.store.catalog.Catalog`;
the reads both stores make alike are :class:`~.shared_store.SharedStore`'s; the rest, SQLite's own
(a folder's use, the best tags, the user's lists, claims), is named here, so the engine calls methods and never a
module that knows SQL.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence

from soundalike.engine.store import reads, roots, user_lists
from soundalike.engine.store.catalog import Catalog
from soundalike.engine.store.claims import LocalClaims
from soundalike.engine.store.errors import damaged
from soundalike.engine.store.rows import Claim
from soundalike.engine.store.salvage import problems
from soundalike.engine.store.shared_store import SharedStore


class SqliteStore(SharedStore, Catalog):
    def check(self) -> None:
        """Raise CatalogDamaged (one line: run `soundalike repair`) when the catalog file is corrupt."""
        found = problems(self.path)
        if found:
            raise damaged(self.path, found[0])

    # --- roots, a folder's use and the best tags ----------------------------------------------------
    def unmapped_roots(self) -> dict[str, int]:
        return {}  # one machine: every root is this machine's own

    def folder_use(self, root: str) -> roots.FolderUse:
        return roots.folder_use(self, root)

    def best_tags(self, min_score: float = 0.0) -> dict[int, str]:
        """Kept until the catalog changes: every sample's row is read (seconds at a million), and a
        kit asks again for each build."""
        mark = (self.change_mark(), min_score)
        kept = getattr(self, "_best_tags", None)
        if kept is None or kept[0] != mark:
            kept = self._best_tags = (mark, reads.best_tags(self, min_score))
        return dict(kept[1])

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
