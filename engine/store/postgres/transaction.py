"""One transaction on the PostgreSQL catalog, its writes as named methods.

The writes are :class:`~soundalike.engine.store.shared_transaction.SharedTransaction`'s, in the SQL
both databases accept (insert-or-replace as ``ON CONFLICT``, :mod:`..dialect`); here is what is the
shared catalog's own: a sample's row (its id from ``RETURNING``), a rename another machine may race,
favourites that are each user's own, and the vectors' version kept with the change log.
"""

from __future__ import annotations

import threading
from typing import Any

from psycopg.errors import UniqueViolation

from soundalike.engine.store import writes
from soundalike.engine.store.dialect import POSTGRES
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.postgres import changes
from soundalike.engine.store.postgres.connection import WRITE_WAIT_SECONDS, PgConnection
from soundalike.engine.store.postgres.paths import PathMap
from soundalike.engine.store.shared_transaction import SharedTransaction

#: How often a rename is tried again when rows recorded meanwhile at its new paths collide with it.
_MOVE_ATTEMPTS = 3
#: The change log is trimmed once in this many versions of a backend's vectors.
TRIM_EVERY = 100


class PgTransaction(SharedTransaction):
    """Paths and layer names cross as this machine's own; the catalog keeps them by named root (:mod:`.paths`)."""

    #: Favourites are each user's own here: a twin is taken only when it is no one's.
    NOT_A_FAVOURITE = "NOT EXISTS (SELECT 1 FROM favourites f WHERE f.sample_id = b.id)"

    def __init__(self, conn: PgConnection, paths: PathMap):
        super().__init__(conn, POSTGRES, paths)

    def record_sample(self, **sample: Any) -> int:
        """As in the SQLite store, but a row found at its path keeps its path and root as they are
        (another machine may have just followed a rename), and one inserted meanwhile by another
        machine is updated."""
        values = writes.sample_values(**sample)
        values["path"], values["root"] = self.paths.stored(values["path"]), self.paths.stored(values["root"])
        existing = self._conn.execute("SELECT id FROM samples WHERE path = ?", (values["path"],)).fetchone()
        update = dict(values)
        if existing is not None:
            del update["path"], update["root"]
        elif values["content_hash"]:
            existing = self._conn.execute(writes.MISSING_TWIN_SQL, (values["content_hash"],)).fetchone()
        if existing is not None:
            assignments = ", ".join(f"{name} = ?" for name in update)
            self._conn.execute(f"UPDATE samples SET {assignments} WHERE id = ?", [*update.values(), existing[0]])
            return int(existing[0])
        insert = self.dialect.upsert("samples", ("path",), [*values, "added"])
        row = self._conn.execute(f"{insert} RETURNING id", [*values.values(), values["updated"]]).fetchone()
        assert row is not None  # an INSERT ... RETURNING that succeeded
        return int(row[0])

    def move_paths(self, src: str, dest: str, root: str) -> tuple[list[tuple[int, str]], list[int]]:
        """As in the SQLite store; when another machine records a file at a new path meanwhile (the
        rename collides with its row), that row is replaced as any row already there would be."""
        for attempt in range(_MOVE_ATTEMPTS):
            self._conn.execute("SAVEPOINT move_paths")
            try:
                moved = super().move_paths(src, dest, root)
            except StoreError as e:
                if not isinstance(e.__cause__, UniqueViolation) or attempt == _MOVE_ATTEMPTS - 1:
                    raise
                self._conn.execute("ROLLBACK TO SAVEPOINT move_paths")  # its row is committed now: seen next time
                continue
            self._conn.execute("RELEASE SAVEPOINT move_paths")
            return moved
        raise AssertionError("unreachable")

    def bump_vectors_version(self, backend: str) -> int:
        """The version this transaction brings ``backend``'s vectors to: bumped once per transaction
        (storing or removing a vector bumps it too, in the log's trigger), in commit order, since the
        bump holds the backend's row until commit. Now and then the log's oldest changes are trimmed."""
        row = self._conn.execute("SELECT vector_version(?)", (backend,)).fetchone()
        assert row is not None  # a function's value
        version = int(row[0])
        if version % TRIM_EVERY == 0:
            count = self._conn.execute("SELECT count(*) FROM vectors WHERE backend = ?", (backend,)).fetchone()
            changes.trim(self._conn, backend, max(changes.KEEP_AT_LEAST, 2 * int(count[0]) if count else 0))
        return version


class Scope:
    """``with store.transaction() as tx:`` runs statements in one transaction, rolled back on error."""

    def __init__(self, conn: PgConnection, lock: threading.RLock, paths: PathMap):
        self.conn, self.lock, self.paths = conn, lock, paths

    def __enter__(self) -> PgTransaction:
        self.lock.acquire()
        try:
            self.conn.begin(wait=WRITE_WAIT_SECONDS)
        except BaseException:
            self.lock.release()
            raise
        return PgTransaction(self.conn, self.paths)

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            self.conn.end(commit=exc_type is None)
        finally:
            self.lock.release()
