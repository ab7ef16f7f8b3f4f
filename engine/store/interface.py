"""The store as the rest of the engine sees it: what a catalog holds, read and written by name.

:class:`Store` is every read of the catalog the engine makes, and ``transaction()`` hands out a
:class:`Transaction`, every write, applied all together or not at all. Both speak only in plain
values: ids are ``int``, paths ``str``, vectors numpy ``float32`` arrays, rows the frozen
dataclasses of :mod:`.rows`; no connection, cursor or row object of a database crosses them, so a second
store (PostgreSQL, several machines over one library) implements them without the library, the
live engine, the bridge or the app changing. The SQLite store (:class:`~.sqlite.SqliteStore`) is
the embedded default; ``tests/engine/store/contract/`` is what any store must pass.

Writes come in two forms only: a named ``Store`` method is one change committed on its own (a
favourite, a user tag, a root); a ``Transaction`` method joins the changes that must land together
(a batch of indexed files with their vectors, tags and facts; a rename; forgetting a folder).

How a shared store (PostgreSQL, several machines) fits: paths stay ``str`` here, so mapping a
machine's mount point to a named root happens inside that store; a store is opened for one user
(:func:`~.factory.open_store`), so favourites, user tags and collections are that user's while
tags, musical facts and copy groups are everyone's; ``vectors``/``vectors_version`` are what a
local FAISS cache loads and checks, ``vector_changes`` what it catches up from (only what changed
since its version) and ``follow_vectors`` how it hears of other machines' changes as they commit.
Several indexers share one catalog by claiming files before
they decode them (``claim``): a file another indexer holds is left to it, and a claim that is not
extended (its indexer was killed) expires; the SQLite store, indexed by one process under the
one-writer :class:`~.lock.LibraryLock`, grants every claim.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

    from soundalike.engine.musical.analysis import Musical
    from soundalike.engine.pipeline.audio import AudioFacts
    from soundalike.engine.store.errors import StoreError
    from soundalike.engine.store.filters import Filters
    from soundalike.engine.store.rows import Claim, FolderUse, Known, SampleRow, SoundFacts, VectorChanges


class SoundReads(Protocol):
    """Copy and layer facts, readable both from the store and inside a transaction."""

    def sound_facts(self, ids: Sequence[int], playable: bool = True) -> dict[int, SoundFacts]: ...

    def sound_labels(self, ids: Sequence[int]) -> dict[int, tuple[int, int]]: ...

    def labelled(self, family: int, limit: int) -> list[int]: ...


class Transaction(SoundReads, Protocol):
    """Every write to the catalog, inside one transaction (``with store.transaction() as tx``)."""

    # samples and their files
    def record_sample(
        self,
        *,
        path: str,
        root: str,
        size: int,
        mtime: float,
        content_hash: str | None,
        status: str,
        reason: str | None,
        facts: AudioFacts | None,
        ctime: float | None = None,
        inode: int | None = None,
    ) -> int: ...

    def move_paths(self, src: str, dest: str, root: str) -> tuple[list[tuple[int, str]], list[int]]: ...

    def recent_twin(self, sample_id: int, since: float, exclude: Iterable[int] = ()) -> int | None: ...

    def adopt(self, old_id: int, new_id: int) -> None: ...

    def set_identity(self, pairs: Iterable[tuple[int, float, int]]) -> None: ...

    def set_status(self, ids: Iterable[int], status: str, reason: str | None = None) -> None: ...

    def delete_samples(self, ids: Iterable[int]) -> None: ...

    def forget_folder(self, root: str) -> list[int]: ...

    # what was made of them
    def store_vector(self, sample_id: int, backend: str, vector: np.ndarray) -> None: ...

    def bump_vectors_version(self, backend: str) -> int: ...

    def store_tags(self, sample_id: int, source: str, tags: Mapping[str, float]) -> None: ...

    def store_musical(self, sample_id: int, facts: Musical) -> None: ...

    # copy groups and families
    def put_sound(self, sample_id: int, fingerprint: bytes | None, layer_name: str) -> None: ...

    def set_layer_name(self, sample_id: int, layer_name: str) -> None: ...

    def relabel(self, column: str, old: Iterable[int], new: int) -> None: ...

    def set_labels(self, labels: Iterable[tuple[int, int, int]]) -> None: ...


class Store(SoundReads, Protocol):
    """A library's catalog: samples, vectors, tags, musical facts, copy groups, user lists, roots."""

    def close(self) -> None: ...

    def check(self) -> None:
        """Raise ``CatalogDamaged`` when the store's own data is damaged (its repair is ``soundalike repair``)."""

    def transaction(self) -> AbstractContextManager[Transaction]: ...

    # roots and the planner's state
    def add_root(self, path: str) -> None: ...

    def roots(self) -> list[str]: ...

    def set_root_online(self, path: str, online: bool) -> None: ...

    def unmapped_roots(self) -> dict[str, int]:
        """Roots of a shared catalog this machine has no path for (name -> samples), which are not
        playable here and left out of every listing; empty for a store of one machine."""

    def known_files(self, root: str) -> dict[str, Known]: ...

    def known_under(self, path: str) -> dict[str, Known]: ...

    def live_count(self, root: str) -> int: ...

    def paths_with_status(self, root: str, status: str, limit: int, offset: int = 0) -> list[str]: ...

    def folder_use(self, root: str) -> FolderUse: ...

    def ids_to_analyse(self, root: str | None = None) -> set[int]: ...

    def unanalysed_among(self, ids: Sequence[int]) -> set[int]: ...

    def stored_tags(self, ids: Sequence[int]) -> dict[int, dict[str, dict[str, float]]]: ...

    # samples
    def sample(self, sample_id: int) -> SampleRow | None: ...

    def sample_by_path(self, path: str) -> SampleRow | None: ...

    def samples(self, ids: Iterable[int]) -> dict[int, SampleRow]: ...

    def set_favourite(self, sample_id: int, favourite: bool) -> None: ...

    def ids_matching(self, filters: Filters) -> list[int]: ...

    # listings
    def list_samples(self, filters: Filters = ..., offset: int = 0, limit: int = 200) -> list[SampleRow]: ...

    def list_browse(
        self, filters: Filters, offset: int = 0, limit: int = 200, from_end: bool = False
    ) -> list[SampleRow]:
        """One page of the listing in its order; ``from_end``: ``offset`` counts back from its end
        (the last ``limit`` rows are ``from_end=True, offset=0``), as cheap as a page near the top."""
        ...

    def count_browse(self, filters: Filters) -> int: ...

    def matching_ids(self, filters: Filters) -> list[int]: ...

    def position_in_browse(self, filters: Filters, path: str) -> int: ...

    def folders(self) -> list[str]: ...

    def random_sample(self, tag: str | None = None) -> SampleRow | None: ...

    # vectors
    def vectors(self, backend: str) -> tuple[np.ndarray, np.ndarray | None]: ...

    def vector_ids(self, backend: str) -> np.ndarray: ...

    def vector_dim(self, backend: str) -> int | None: ...

    def vectors_of(self, ids: Sequence[int], backend: str) -> tuple[list[int], np.ndarray | None]: ...

    def vector(self, sample_id: int, backend: str) -> np.ndarray | None: ...

    def backends_of(self, ids: Sequence[int]) -> dict[int, set[str]]: ...

    def stored_backends(self) -> list[str]: ...

    def vectors_version(self, backend: str) -> int: ...

    def vector_changes(self, backend: str, since: int) -> VectorChanges | None:
        """What brings a local index holding ``backend``'s vectors at version ``since`` to the
        current version (vectors to add or replace, ids to remove), or None when the store cannot
        say (no log, or one trimmed past ``since``): then rebuild it from :meth:`vectors`."""

    def follow_vectors(
        self,
        on_change: Callable[[str | None], None],
        on_lost: Callable[[StoreError], None],
        stop: threading.Event,
    ) -> None:
        """Until ``stop`` is set: ``on_change(backend)`` when another connection (another machine)
        changed ``backend``'s vectors, ``on_change(None)`` on each (re)connection (catch up on
        everything), ``on_lost`` while the store is out of reach. A store only this machine writes
        has nothing to follow and returns at once."""

    def backend_signature(self, backend: str) -> str | None: ...

    def set_backend_signature(self, backend: str, signature: str) -> bool: ...

    # tags and musical facts
    def tags(self, sample_id: int) -> dict[str, dict[str, float]]: ...

    def all_tags(self) -> list[tuple[str, int]]: ...

    def top_tags(self, ids: list[int], min_score: float = 0.5, per_sample: int = 3) -> dict[int, list[str]]: ...

    def scored_tag_counts(self, min_score: float = 0.5) -> list[tuple[str, int]]: ...

    def best_tags(self, min_score: float = 0.0) -> dict[int, str]: ...

    def musical_of(self, ids: Sequence[int]) -> dict[int, Musical]: ...

    # copy groups and families
    def family_sizes(self, families: Iterable[int]) -> dict[int, int]: ...

    def family_members(self, families: Iterable[int], limit: int) -> list[int]: ...

    def family_of(self, sample_id: int, limit: int) -> dict[int, tuple[int, int]]: ...

    def with_contents(self, hashes: Iterable[str], limit: int) -> dict[str, list[int]]: ...

    def with_layer_names(self, names: Iterable[str], limit: int) -> dict[str, list[int]]: ...

    def copy_groups(self) -> list[list[int]]: ...

    def without_facts(self, ids: Sequence[int]) -> set[int]: ...

    # the user's own lists
    def add_user_tag(self, ids: Iterable[int], tag: str) -> str: ...

    def remove_user_tag(self, ids: Iterable[int], tag: str) -> str: ...

    def user_tags(self) -> list[tuple[str, int]]: ...

    def add_to_collection(self, name: str, ids: Iterable[int]) -> str: ...

    def collections(self) -> list[tuple[str, int]]: ...

    # claims: which indexer decodes which file
    def claim(self, paths: Sequence[str], seconds: float) -> list[str]:
        """Claim ``paths`` for this store's indexer for ``seconds`` (those it holds are extended);
        returns the paths it now holds, sorted. A path another indexer holds is skipped, never waited for."""

    def extend_claims(self, seconds: float) -> int:
        """Every claim this store's indexer holds lasts ``seconds`` from now; returns how many it holds."""

    def release_claims(self, paths: Iterable[str]) -> None:
        """Give up this indexer's claims on ``paths`` (recorded, or no longer to be decoded)."""

    def claims(self) -> list[Claim]:
        """The claims not yet expired, of every indexer, by path."""

    # statistics
    def status_counts(self) -> dict[str, int]: ...

    def failures(self, limit: int = 10_000) -> list[tuple[str, str]]: ...

    def failure_reasons(self) -> dict[str, int]: ...

    def vector_counts(self) -> dict[str, int]: ...
