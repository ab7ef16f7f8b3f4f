"""The writes of a transaction that both stores make through the same modules, named once.

:class:`SharedTransaction` is the :class:`~.interface.Transaction` of
:class:`~.transaction.SqliteTransaction` and :class:`~.postgres.transaction.PgTransaction`: its
methods call the store's own modules (:mod:`.writes`, :mod:`.sounds`, :mod:`.musical`,
:mod:`.roots`) with the transaction's connection, its :class:`~.dialect.Dialect` and its
:class:`~.paths.Paths` (paths and layer names cross as this machine's own). A store adds
how a sample's row is written and how the vectors' version is bumped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from soundalike.engine.store import musical, roots, sounds, writes
from soundalike.engine.store.dialect import Dialect
from soundalike.engine.store.paths import Paths
from soundalike.engine.store.rows import SoundFacts

if TYPE_CHECKING:
    import numpy as np

    from soundalike.engine.musical.analysis import Musical


class SharedTransaction:
    #: That sample ``b`` is no favourite (of anyone's), in this store's schema.
    NOT_A_FAVOURITE = "b.favourite = 0"

    def __init__(self, conn: Any, dialect: Dialect, paths: Paths):
        self._conn = conn
        self.dialect = dialect
        self.paths = paths

    # --- what each store writes its own way -----------------------------------------------------
    def record_sample(self, **sample: Any) -> int:
        """Insert or update the row of a file (``sample``: the keywords of the protocol's
        ``record_sample``, :func:`~.writes.sample_values`); a new path with the content of a missing
        (or offline) sample takes over that row, so a moved file keeps its id, favourite, tags and vectors."""
        raise NotImplementedError

    def bump_vectors_version(self, backend: str) -> int:
        raise NotImplementedError

    # --- the store's own modules ---------------------------------------------------------------
    def execute(self, sql: str, params: Any = ()) -> Any:
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Any]) -> Any:
        return self._conn.executemany(sql, seq)

    # --- samples and their files ---------------------------------------------------------------
    def move_paths(self, src: str, dest: str, root: str) -> tuple[list[tuple[int, str]], list[int]]:
        stored = self.paths.stored
        moved, replaced = writes.move_paths(self._conn, stored(src), stored(dest), stored(root))
        return [(sid, self.paths.local(path) or path) for sid, path in moved], replaced

    def recent_twin(self, sample_id: int, since: float, exclude: Iterable[int] = ()) -> int | None:
        return writes.recent_twin(self._conn, sample_id, since, exclude, self.NOT_A_FAVOURITE)

    def adopt(self, old_id: int, new_id: int) -> None:
        writes.adopt(self._conn, old_id, new_id)

    def set_identity(self, pairs: Iterable[tuple[int, float, int]]) -> None:
        writes.set_identity(self._conn, pairs)

    def set_status(self, ids: Iterable[int], status: str, reason: str | None = None) -> None:
        writes.set_status(self._conn, ids, status, reason)

    def delete_samples(self, ids: Iterable[int]) -> None:
        writes.delete_samples(self._conn, ids)

    def forget_folder(self, root: str) -> list[int]:
        return roots.forget_folder(self._conn, self.paths.stored(root))

    # --- what was made of them -----------------------------------------------------------------
    def store_vector(self, sample_id: int, backend: str, vector: np.ndarray) -> None:
        writes.store_vector(self._conn, sample_id, backend, vector, self.dialect)

    def store_tags(self, sample_id: int, source: str, tags: Mapping[str, float]) -> None:
        writes.store_tags(self._conn, sample_id, source, dict(tags))

    def store_musical(self, sample_id: int, facts: Musical) -> None:
        musical.store_musical(self._conn, sample_id, facts, self.dialect)

    # --- copy groups and families --------------------------------------------------------------
    def put_sound(self, sample_id: int, fingerprint: bytes | None, layer_name: str) -> None:
        sounds.put(self._conn, sample_id, fingerprint, self.paths.layer(layer_name, to_stored=True), self.dialect)

    def set_layer_name(self, sample_id: int, layer_name: str) -> None:
        sounds.set_layer_name(self._conn, sample_id, self.paths.layer(layer_name, to_stored=True))

    def relabel(self, column: str, old: Iterable[int], new: int) -> None:
        sounds.relabel(self._conn, column, old, new)

    def set_labels(self, labels: Iterable[tuple[int, int, int]]) -> None:
        sounds.set_labels(self._conn, labels)

    def sound_facts(self, ids: Sequence[int], playable: bool = True) -> dict[int, SoundFacts]:
        return self.paths.local_facts(sounds.facts(self._conn, ids, playable))

    def sound_labels(self, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        return sounds.labels(self._conn, ids)

    def labelled(self, family: int, limit: int) -> list[int]:
        return sounds.labelled(self._conn, family, limit)
