"""No database error leaves the SQLite store as sqlite3's own: an unexpected one is a StoreError."""

from __future__ import annotations

import sqlite3

import pytest

from soundalike.engine.errors import UserError
from soundalike.engine.store.errors import DiskFull, StoreError
from soundalike.engine.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path):
    store = SqliteStore(tmp_path / "catalog.sqlite")
    store.add_root("/S")
    yield store
    store.close()


def test_a_table_gone_is_a_store_error_on_reads_and_writes(store):
    with store.transaction() as tx:
        tx.execute("DROP TABLE tags")
    with pytest.raises(StoreError, match="no such table: tags") as raised:
        store.all_tags()
    assert not isinstance(raised.value, sqlite3.Error) and not isinstance(raised.value, UserError)
    with pytest.raises(StoreError, match="could not be read or written"):
        with store.transaction() as tx:
            tx.execute("INSERT INTO tags(sample_id, source, tag, score) VALUES (1, 'user', 'kick', 1.0)")
    assert store.roots() == ["/S"]  # the store still answers what it can, and its lock was let go


def test_inside_a_transaction_the_stores_own_modules_see_sqlites_error_and_may_go_on(store):
    with store.transaction() as tx:
        tx.execute("INSERT INTO roots(path, added) VALUES ('/T', 0)")
        with pytest.raises(sqlite3.IntegrityError):
            tx.execute("INSERT INTO roots(path, added) VALUES ('/T', 0)")
    assert store.roots() == ["/S", "/T"]


def test_a_full_disk_met_in_a_transaction_is_still_named(store, tmp_path):
    with pytest.raises(DiskFull, match=f"the disk holding {tmp_path} is full"):
        with store.transaction():
            raise sqlite3.OperationalError("database or disk is full")
