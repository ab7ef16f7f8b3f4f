"""One transaction on the PostgreSQL catalog, its writes as named methods.

The writes whose SQL both databases accept are the SQLite store's own functions (:mod:`..writes`,
:mod:`..sounds`, :mod:`..roots`); those that insert-or-replace are written here with
``ON CONFLICT``, and a new sample's id comes back from ``RETURNING``.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from psycopg.errors import UniqueViolation

from soundalike.engine.musical.analysis import VERSION
from soundalike.engine.store import roots, sounds, writes
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.musical import _COLUMNS as MUSICAL_COLUMNS
from soundalike.engine.store.musical import NOTES_SEPARATOR
from soundalike.engine.store.postgres import changes
from soundalike.engine.store.postgres.connection import WRITE_WAIT_SECONDS, PgConnection
from soundalike.engine.store.postgres.paths import PathMap

if TYPE_CHECKING:
    import psycopg

    from soundalike.engine.musical.analysis import Musical
    from soundalike.engine.pipeline.audio import AudioFacts


def upsert(table: str, key: Sequence[str], columns: Sequence[str], replace: bool = True) -> str:
    """INSERT of ``columns`` into ``table``; a row with the same ``key`` has its other columns replaced
    (``replace``) or is kept as it is."""
    marks = ", ".join("?" * len(columns))
    update = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    action = f"DO UPDATE SET {update}" if update and replace else "DO NOTHING"
    return f"INSERT INTO {table}({', '.join(columns)}) VALUES ({marks}) ON CONFLICT ({', '.join(key)}) {action}"


#: How often a rename is tried again when rows recorded meanwhile at its new paths collide with it.
_MOVE_ATTEMPTS = 3
_VECTOR = upsert("vectors", ("backend", "sample_id"), ("sample_id", "backend", "vector"))
#: The change log is trimmed once in this many versions of a backend's vectors.
TRIM_EVERY = 100
META = upsert("meta", ("key",), ("key", "value"))
_SOUND = upsert("sounds", ("sample_id",), ("sample_id", "fingerprint", "layer_name", "copy_group", "family"))
_MUSICAL = upsert("musical", ("sample_id",), ("sample_id", "version", *MUSICAL_COLUMNS, "notes"))


class PgTransaction:
    """Paths and layer names cross as this machine's own; the catalog keeps them by named root (:mod:`.paths`)."""

    def __init__(self, conn: PgConnection, paths: PathMap):
        self._conn = conn
        self._paths = paths

    # --- the store's own modules ---------------------------------------------------------------
    def execute(self, sql: str, params: Any = ()) -> psycopg.Cursor:
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Any]) -> psycopg.Cursor:
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
        """Insert or update the row for ``path``; a new path with the content of a missing (or
        offline) sample takes over that row, as in the SQLite store."""
        values = {
            "path": self._paths.stored(path),
            "root": self._paths.stored(root),
            "size": size,
            "mtime": mtime,
            "content_hash": content_hash,
            "status": status,
            "reason": reason,
            "updated": time.time(),
            "ctime": ctime,
            "inode": inode,
            **writes.facts_columns(facts),
        }
        existing = self._conn.execute("SELECT id FROM samples WHERE path = ?", (values["path"],)).fetchone()
        changes = dict(values)
        if existing is not None:  # its path stays as it is now: another machine may have just followed a rename
            del changes["path"], changes["root"]
        elif content_hash:
            existing = self._conn.execute(
                "SELECT id FROM samples WHERE content_hash = ? AND status IN ('missing', 'offline') "
                "ORDER BY status = 'missing' DESC, updated DESC LIMIT 1",
                (content_hash,),
            ).fetchone()
        if existing is not None:
            assignments = ", ".join(f"{name} = ?" for name in changes)
            self._conn.execute(f"UPDATE samples SET {assignments} WHERE id = ?", [*changes.values(), existing[0]])
            return int(existing[0])
        insert = upsert("samples", ("path",), [*values, "added"])  # another machine may record it meanwhile
        row = self._conn.execute(f"{insert} RETURNING id", [*values.values(), values["updated"]]).fetchone()
        assert row is not None  # an INSERT ... RETURNING that succeeded
        return int(row[0])

    def move_paths(self, src: str, dest: str, root: str) -> tuple[list[tuple[int, str]], list[int]]:
        """As in the SQLite store; when another machine records a file at a new path meanwhile (the
        rename collides with its row), that row is replaced as any row already there would be."""
        stored = self._paths.stored
        for attempt in range(_MOVE_ATTEMPTS):
            self._conn.execute("SAVEPOINT move_paths")
            try:
                moved, replaced = writes.move_paths(self._conn, stored(src), stored(dest), stored(root))  # type: ignore[arg-type]
            except StoreError as e:
                if not isinstance(e.__cause__, UniqueViolation) or attempt == _MOVE_ATTEMPTS - 1:
                    raise
                self._conn.execute("ROLLBACK TO SAVEPOINT move_paths")  # its row is committed now: seen next time
                continue
            self._conn.execute("RELEASE SAVEPOINT move_paths")
            return [(sid, self._paths.local(path) or path) for sid, path in moved], replaced
        raise AssertionError("unreachable")

    def recent_twin(self, sample_id: int, since: float, exclude: Iterable[int] = ()) -> int | None:
        """As the SQLite store's, where a favourite is anyone's (favourites are per user here)."""
        rows = self._conn.execute(
            "SELECT b.id FROM samples a JOIN samples b ON b.content_hash = a.content_hash "
            "WHERE a.id = ? AND b.id != a.id AND b.status = 'ok' AND b.added >= ? "
            "AND NOT EXISTS (SELECT 1 FROM favourites f WHERE f.sample_id = b.id) ORDER BY b.added DESC",
            (sample_id, since),
        ).fetchall()
        excluded = set(exclude)
        return next((sid for (sid,) in rows if sid not in excluded), None)

    def adopt(self, old_id: int, new_id: int) -> None:
        writes.adopt(self._conn, old_id, new_id)  # type: ignore[arg-type]

    def set_identity(self, pairs: Iterable[tuple[int, float, int]]) -> None:
        writes.set_identity(self._conn, pairs)  # type: ignore[arg-type]

    def set_status(self, ids: Iterable[int], status: str, reason: str | None = None) -> None:
        writes.set_status(self._conn, ids, status, reason)  # type: ignore[arg-type]

    def delete_samples(self, ids: Iterable[int]) -> None:
        writes.delete_samples(self._conn, ids)  # type: ignore[arg-type]

    def forget_folder(self, root: str) -> list[int]:
        return roots.forget_folder(self._conn, self._paths.stored(root))  # type: ignore[arg-type]

    # --- what was made of them -----------------------------------------------------------------
    def store_vector(self, sample_id: int, backend: str, vector: np.ndarray) -> None:
        blob = np.ascontiguousarray(vector, dtype="<f4").tobytes()
        self._conn.execute(_VECTOR, (sample_id, backend, blob))

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

    def store_tags(self, sample_id: int, source: str, tags: Mapping[str, float]) -> None:
        writes.store_tags(self._conn, sample_id, source, dict(tags))  # type: ignore[arg-type]

    def store_musical(self, sample_id: int, facts: Musical) -> None:
        values = [getattr(facts, name) for name in MUSICAL_COLUMNS]
        self._conn.execute(_MUSICAL, [sample_id, VERSION, *values, NOTES_SEPARATOR.join(facts.notes)])

    # --- copy groups and families --------------------------------------------------------------
    def put_sound(self, sample_id: int, fingerprint: bytes | None, layer_name: str) -> None:
        layer_name = self._paths.layer(layer_name, to_stored=True)
        self._conn.execute(_SOUND, (sample_id, fingerprint, layer_name, sample_id, sample_id))

    def set_layer_name(self, sample_id: int, layer_name: str) -> None:
        sounds.set_layer_name(self._conn, sample_id, self._paths.layer(layer_name, to_stored=True))  # type: ignore[arg-type]

    def relabel(self, column: str, old: Iterable[int], new: int) -> None:
        sounds.relabel(self._conn, column, old, new)  # type: ignore[arg-type]

    def set_labels(self, labels: Iterable[tuple[int, int, int]]) -> None:
        sounds.set_labels(self._conn, labels)  # type: ignore[arg-type]

    def sound_facts(self, ids: Sequence[int], playable: bool = True) -> dict[int, sounds.SoundFacts]:
        return local_layers(self._paths, sounds.facts(self._conn, ids, playable))

    def sound_labels(self, ids: Sequence[int]) -> dict[int, tuple[int, int]]:
        return sounds.labels(self._conn, ids)

    def labelled(self, family: int, limit: int) -> list[int]:
        return sounds.labelled(self._conn, family, limit)


def local_layers(paths: PathMap, facts: dict[int, sounds.SoundFacts]) -> dict[int, sounds.SoundFacts]:
    """``facts`` with each layer name's folder as this machine's path."""
    return {
        sid: dataclasses.replace(f, layer_name=paths.layer(f.layer_name, to_stored=False)) for sid, f in facts.items()
    }


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
