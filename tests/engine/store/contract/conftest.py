"""The stores the contract suite runs against: each test here runs once per entry of ``KINDS``.

A second store joins by adding a :class:`StoreKind`: how to open one at a location, and how to
leave a store of its first schema there (one ok sample at a given path) for the migration tests.
The tests use only the :class:`~soundalike.engine.store.interface.Store` protocol.
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


@dataclass(frozen=True)
class StoreKind:
    name: str
    open: Callable[[Path], Store]
    leave_old: Callable[[Path, str], None]


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


KINDS = [StoreKind("sqlite", _sqlite_open, _sqlite_leave_old)]


@pytest.fixture(params=KINDS, ids=lambda kind: kind.name)
def kind(request) -> StoreKind:
    return request.param


@pytest.fixture
def store(kind: StoreKind, tmp_path: Path) -> Iterator[Store]:
    opened = kind.open(tmp_path)
    yield opened
    opened.close()
