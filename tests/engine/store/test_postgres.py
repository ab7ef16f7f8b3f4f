"""The PostgreSQL store beyond the contract: opened by URL, shared by two openers, and its errors."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import psycopg
import pytest

from soundalike.engine.errors import UserError
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.factory import open_store
from soundalike.engine.store.postgres.schema import SCHEMA_VERSION
from soundalike.engine.store.postgres.store import PostgresStore
from soundalike.engine.store.sqlite import SqliteStore
from tests.engine.store.contract.helpers import add


@pytest.fixture
def url(postgres_server, tmp_path) -> str:
    return postgres_server.catalog_for(tmp_path)


def test_a_postgresql_url_opens_the_postgres_store_and_a_path_the_sqlite_one(url, tmp_path):
    store = open_store(url)
    try:
        assert isinstance(store, PostgresStore)
    finally:
        store.close()
    local = open_store(tmp_path / "catalog.sqlite")
    assert isinstance(local, SqliteStore)
    local.close()


def test_two_openers_of_one_database_see_each_others_writes(url):
    first, second = PostgresStore(url), PostgresStore(url)  # two machines over one catalog
    try:
        sid = add(first, "/S/kick.wav")
        second.add_to_collection("shared", [sid])
        assert second.sample(sid).path == "/S/kick.wav"  # type: ignore[union-attr]
        assert first.collections() == [("shared", 1)]
    finally:
        first.close()
        second.close()


def test_two_writers_recording_one_new_file_share_its_row_and_count_versions_apart(url):
    first, second = PostgresStore(url), PostgresStore(url)
    pool = ThreadPoolExecutor(1)
    try:
        with first.transaction() as tx:
            sid = tx.record_sample(
                path="/S/a.wav", root="/S", size=1, mtime=1.0, content_hash=None, status="ok", reason=None, facts=None
            )
            tx.store_vector(sid, "clap", np.ones(4, np.float32))
            assert tx.bump_vectors_version("clap") == 1
            racing = pool.submit(add, second, "/S/a.wav", size=2)  # waits for the first to commit
            time.sleep(0.3)
        assert racing.result(timeout=10) == sid
        assert second.sample(sid).size == 2 and second.status_counts() == {"ok": 1}  # type: ignore[union-attr]
        with second.transaction() as tx:
            assert tx.bump_vectors_version("clap") == 2
    finally:
        pool.shutdown()
        first.close()
        second.close()


def test_an_unreachable_server_is_one_store_error_without_the_password(tmp_path):
    with pytest.raises(StoreError) as raised:
        PostgresStore(f"postgresql://someone:s3cret@/nothing?host={tmp_path}&connect_timeout=2")
    assert "nothing" in str(raised.value) and "s3cret" not in str(raised.value)


def test_a_refused_write_rolls_back_and_raises_the_store_error(url):
    store = PostgresStore(url)
    try:
        with pytest.raises(StoreError), store.transaction() as tx:
            sid = tx.record_sample(
                path="/S/a.wav", root="/S", size=1, mtime=1.0, content_hash=None, status="ok", reason=None, facts=None
            )
            tx.set_status([sid], "lost")  # not a status the schema allows
        assert store.sample_by_path("/S/a.wav") is None
        add(store, "/S/b.wav")  # the connection goes on after the rollback
    finally:
        store.close()


def test_a_newer_schema_is_refused(url):
    PostgresStore(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE schema_version SET version = %s", (SCHEMA_VERSION + 1,))
    with pytest.raises(UserError, match="newer than this soundalike"):
        PostgresStore(url)
