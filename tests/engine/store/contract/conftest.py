"""The stores the contract suite runs against: each test here runs once per entry of ``KINDS``.

A second store joins by adding a :class:`StoreKind`: how to open one at a location, and how to
leave a store of its first schema there (one ok sample at a given path) for the migration tests.
The tests use only the :class:`~soundalike.engine.store.interface.Store` protocol.

The PostgreSQL kind opens a catalog (a schema of its own) on a real server the tests start, one per
pytest-xdist worker (:mod:`tests.engine.store.postgres_server`); without Debian's server installed its
tests fail saying so, unless ``SOUNDALIKE_NO_POSTGRES=1`` skips them.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from soundalike.engine.store.interface import Store
from soundalike.engine.store.schema import MIGRATIONS
from soundalike.engine.store.sqlite import SqliteStore
from tests.engine.store.postgres_server import PostgresServer


@dataclass(frozen=True)
class StoreKind:
    name: str
    open: Callable[[Path], Store]
    leave_old: Callable[[Path, str], None]
    #: Open the store at a location for a named user (whose favourites, user tags and collections
    #: they are); None for a store of one local user (SQLite).
    open_as: Callable[[Path, str], Store] | None = None


def _sqlite_open(folder: Path) -> Store:
    return SqliteStore(folder / "catalog.sqlite")


def _sqlite_leave_old(folder: Path, path: str) -> None:
    conn = sqlite3.connect(folder / "catalog.sqlite", isolation_level=None)
    conn.executescript(f"BEGIN; {MIGRATIONS[0]} PRAGMA user_version = 1; COMMIT;")
    conn.execute("INSERT INTO roots(path, added) VALUES ('/S', 0)")
    conn.execute(
        "INSERT INTO samples(path, root, size, mtime, status, added, updated) VALUES (?, '/S', 1, 1, 'ok', 0, 0)",
        (path,),
    )
    conn.close()


def postgres_kind(server: PostgresServer) -> StoreKind:
    import psycopg

    from soundalike.engine.store.postgres.schema import MIGRATIONS as PG_MIGRATIONS
    from soundalike.engine.store.postgres.store import PostgresStore

    def open_(folder: Path) -> Store:
        return PostgresStore(server.catalog_for(folder))

    def open_as(folder: Path, user: str) -> Store:
        from soundalike.engine.config import StoreSettings

        return PostgresStore(server.catalog_for(folder), StoreSettings(user=user))

    def leave_old(folder: Path, path: str) -> None:
        with psycopg.connect(server.catalog_for(folder), autocommit=True) as conn:
            conn.execute(PG_MIGRATIONS[0].encode())
            conn.execute("CREATE TABLE schema_version(version INTEGER NOT NULL); INSERT INTO schema_version VALUES (1)")
            conn.execute("INSERT INTO roots(path, added) VALUES ('/S', 0)")
            conn.execute(
                "INSERT INTO samples(path, root, size, mtime, status, added, updated) "
                "VALUES (%s, '/S', 1, 1, 'ok', 0, 0)",
                (path,),
            )

    return StoreKind("postgresql", open_, leave_old, open_as)


KINDS = ["sqlite", "postgresql"]


@pytest.fixture(params=KINDS)
def kind(request) -> StoreKind:
    if request.param == "postgresql":
        return postgres_kind(request.getfixturevalue("postgres_server"))
    return StoreKind("sqlite", _sqlite_open, _sqlite_leave_old)


@pytest.fixture
def store(kind: StoreKind, tmp_path: Path) -> Iterator[Store]:
    opened = kind.open(tmp_path)
    yield opened
    opened.close()
