"""The SQL that differs between the two stores, where a statement is otherwise one."""

from __future__ import annotations

import sqlite3

import numpy as np

from soundalike.engine.store.dialect import POSTGRES, SQLITE


def test_an_upsert_replaces_or_keeps_a_row_in_each_dialect():
    assert SQLITE.upsert("meta", ("key",), ("key", "value")) == "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)"
    assert SQLITE.upsert("roots", ("path",), ("path", "added"), replace=False) == (
        "INSERT OR IGNORE INTO roots(path, added) VALUES (?, ?)"
    )
    assert POSTGRES.upsert("meta", ("key",), ("key", "value")) == (
        "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    )
    assert POSTGRES.upsert("pairs", ("a", "b"), ("a", "b")) == (
        "INSERT INTO pairs(a, b) VALUES (?, ?) ON CONFLICT (a, b) DO NOTHING"
    )


def test_the_sqlite_upsert_runs_and_replaces(tmp_path):
    conn = sqlite3.connect(tmp_path / "t.sqlite")
    conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)")
    for value in ("1", "2"):
        conn.execute(SQLITE.upsert("meta", ("key",), ("key", "value")), ("k", value))
    conn.execute(SQLITE.upsert("meta", ("key",), ("key", "value"), replace=False), ("k", "3"))
    assert conn.execute("SELECT key, value FROM meta").fetchall() == [("k", "2")]


def test_ids_cross_as_an_in_list_or_one_array():
    assert SQLITE.in_ids("id", [3, 4]) == ("id IN (?,?)", [3, 4])
    assert POSTGRES.in_ids("id", (3, 4)) == ("id = ANY(?)", [[3, 4]])


def test_a_vector_comes_back_as_the_float32_it_was_stored_as():
    vectors = np.arange(6, dtype=np.float64).reshape(2, 3) / 7
    for dialect in (SQLITE, POSTGRES):
        blob = dialect.blob(vectors[0]) + dialect.blob(vectors[1])
        back = dialect.floats(blob).reshape(2, -1)
        assert back.dtype == np.float32
        np.testing.assert_array_equal(back, vectors.astype(np.float32))
    assert POSTGRES.blob(np.ones(1, np.float32)) == np.ones(1, "<f4").tobytes()  # little-endian on any machine
