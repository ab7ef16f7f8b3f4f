"""One IMMEDIATE transaction on the SQLite catalog, its writes as named methods.

``with catalog.transaction() as tx:`` hands out a :class:`SqliteTransaction`: the engine calls its
methods (the :class:`~soundalike.engine.store.interface.Transaction` protocol); the store's own
modules, which write the SQL, use ``execute``/``executemany`` on it as on a connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from soundalike.engine.store import musical, roots, sounds, writes
from soundalike.engine.store.errors import store_error

if TYPE_CHECKING:
    import numpy as np

    from soundalike.engine.musical.analysis import Musical
    from soundalike.engine.pipeline.audio import AudioFacts


class SqliteTransaction:
    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn
        self._versions: dict[str, int] = {}  # the vectors version this transaction bumped each backend to

    # --- the store's own modules ---------------------------------------------------------------
    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Any]) -> sqlite3.Cursor:
        return self._conn.executemany(sql, seq)

    # --- samples and their files ---------------------------------------------------------------
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
    ) -> int:
        return writes.record_sample(
            self._conn,
            path=path,
            root=root,
            size=size,
            mtime=mtime,
            content_hash=content_hash,
            status=status,
            reason=reason,
            facts=facts,
            ctime=ctime,
            inode=inode,
        )

    def move_paths(self, src: str, dest: str, root: str) -> tuple[list[tuple[int, str]], list[int]]:
        return writes.move_paths(self._conn, src, dest, root)

    def recent_twin(self, sample_id: int, since: float, exclude: Iterable[int] = ()) -> int | None:
        return writes.recent_twin(self._conn, sample_id, since, exclude)

    def adopt(self, old_id: int, new_id: int) -> None:
        writes.adopt(self._conn, old_id, new_id)

    def set_identity(self, pairs: Iterable[tuple[int, float, int]]) -> None:
        writes.set_identity(self._conn, pairs)

    def set_status(self, ids: Iterable[int], status: str, reason: str | None = None) -> None:
        writes.set_status(self._conn, ids, status, reason)

    def delete_samples(self, ids: Iterable[int]) -> None:
        writes.delete_samples(self._conn, ids)

    def forget_folder(self, root: str) -> list[int]:
        return roots.forget_folder(self._conn, root)

    # --- what was made of them -----------------------------------------------------------------
    def store_vector(self, sample_id: int, backend: str, vector: np.ndarray) -> None:
        writes.store_vector(self._conn, sample_id, backend, vector)
        self.bump_vectors_version(backend)

    def bump_vectors_version(self, backend: str) -> int:
        """The version this transaction brings ``backend``'s vectors to (bumped once per transaction)."""
        if backend not in self._versions:
            self._versions[backend] = writes.bump_vectors_version(self._conn, backend)
        return self._versions[backend]

    def store_tags(self, sample_id: int, source: str, tags: Mapping[str, float]) -> None:
        writes.store_tags(self._conn, sample_id, source, dict(tags))

    def store_musical(self, sample_id: int, facts: Musical) -> None:
        musical.store_musical(self._conn, sample_id, facts)

    # --- copy groups and families --------------------------------------------------------------
    def put_sound(self, sample_id: int, fingerprint: bytes | None, layer_name: str) -> None:
        sounds.put(self._conn, sample_id, fingerprint, layer_name)

    def set_layer_name(self, sample_id: int, layer_name: str) -> None:
        sounds.set_layer_name(self._conn, sample_id, layer_name)

    def relabel(self, column: str, old: Iterable[int], new: int) -> None:
        sounds.relabel(self._conn, column, old, new)

    def set_labels(self, labels: Iterable[tuple[int, int, int]]) -> None:
        sounds.set_labels(self._conn, labels)

    def sound_facts(self, ids: Sequence[int], playable: bool = True) -> dict[int, sounds.SoundFacts]:
        return sounds.facts(self._conn, ids, playable)

    def sound_labels(self, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        return sounds.labels(self._conn, ids)

    def labelled(self, family: int, limit: int) -> list[int]:
        return sounds.labelled(self._conn, family, limit)


class Immediate:
    """``with catalog.transaction() as tx:`` runs statements in one IMMEDIATE transaction.

    Inside it the store's modules see SQLite's own errors; one that leaves it is raised as the
    store's (:class:`~soundalike.engine.store.errors.StoreError`), after the rollback.
    """

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock, path: str | os.PathLike):
        self.conn, self.lock, self.path = conn, lock, path

    def __enter__(self) -> SqliteTransaction:
        self.lock.acquire()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except BaseException as e:
            self.lock.release()
            if isinstance(e, sqlite3.Error):
                raise store_error(self.path, e) from e
            raise
        return SqliteTransaction(self.conn)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
        except sqlite3.Error as e:
            raise store_error(self.path, e) from e
        finally:
            self.lock.release()
        if isinstance(exc, sqlite3.Error):
            raise store_error(self.path, exc) from exc
