"""One IMMEDIATE transaction on the SQLite catalog, its writes as named methods.

``with catalog.transaction() as tx:`` hands out a :class:`SqliteTransaction`: the engine calls its
methods (the :class:`~soundalike.engine.store.interface.Transaction` protocol, written once for both
stores in :class:`~.shared_transaction.SharedTransaction`); the store's own modules, which write the
SQL, use ``execute``/``executemany`` on it as on a connection.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

from soundalike.engine.store import writes
from soundalike.engine.store.dialect import SQLITE
from soundalike.engine.store.errors import store_error
from soundalike.engine.store.paths import AsTheyAre
from soundalike.engine.store.shared_transaction import SharedTransaction

if TYPE_CHECKING:
    import numpy as np


class SqliteTransaction(SharedTransaction):
    def __init__(self, conn: sqlite3.Connection):
        super().__init__(conn, SQLITE, AsTheyAre())
        self._versions: dict[str, int] = {}  # the vectors version this transaction bumped each backend to

    def record_sample(self, **sample: Any) -> int:
        return writes.record_sample(self._conn, **sample)

    def store_vector(self, sample_id: int, backend: str, vector: np.ndarray) -> None:
        super().store_vector(sample_id, backend, vector)
        self.bump_vectors_version(backend)

    def bump_vectors_version(self, backend: str) -> int:
        """The version this transaction brings ``backend``'s vectors to (bumped once per transaction)."""
        if backend not in self._versions:
            self._versions[backend] = writes.bump_vectors_version(self._conn, backend)
        return self._versions[backend]


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
