"""Claims between indexers sharing one PostgreSQL catalog: never twice, never waiting, expiring."""

from __future__ import annotations

import threading
import time

import pytest

from soundalike.engine.config import StoreSettings
from soundalike.engine.store.postgres.store import PostgresStore


@pytest.fixture
def two_stores(postgres_server, tmp_path):
    url = postgres_server.catalog_for(tmp_path)
    a, b = PostgresStore(url, StoreSettings(machine="a")), PostgresStore(url, StoreSettings(machine="b"))
    yield a, b
    a.close()
    b.close()


def test_a_path_held_by_another_indexer_is_skipped_until_released(two_stores):
    a, b = two_stores
    assert a.claim(["/S/1.wav", "/S/2.wav"], 30.0) == ["/S/1.wav", "/S/2.wav"]
    assert b.claim(["/S/2.wav", "/S/3.wav"], 30.0) == ["/S/3.wav"]
    assert {(c.path, c.machine) for c in b.claims()} == {("/S/1.wav", "a"), ("/S/2.wav", "a"), ("/S/3.wav", "b")}
    b.release_claims(["/S/1.wav"])  # not b's to release
    assert b.claim(["/S/1.wav"], 30.0) == []
    a.release_claims(["/S/1.wav", "/S/2.wav"])
    assert b.claim(["/S/1.wav", "/S/2.wav"], 30.0) == ["/S/1.wav", "/S/2.wav"]


def test_a_claim_not_extended_expires_and_another_indexer_takes_it(two_stores):
    a, b = two_stores
    a.claim(["/S/1.wav"], 0.3)
    assert b.claim(["/S/1.wav"], 30.0) == []
    time.sleep(0.4)
    assert b.claim(["/S/1.wav"], 30.0) == ["/S/1.wav"]
    assert a.extend_claims(30.0) == 0, "a's claim was taken over: extending finds none"


def test_indexers_claiming_the_same_batches_at_once_split_them(two_stores):
    a, b = two_stores
    paths = [f"/S/{i:04d}.wav" for i in range(400)]
    won: dict[str, list[str]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def run(name, store, order):
        start.wait()
        for i in range(0, len(order), 20):
            won[name] += store.claim(order[i : i + 20], 30.0)
        store.close()  # this thread's connection

    threads = [
        threading.Thread(target=run, args=("a", a, paths)),
        threading.Thread(target=run, args=("b", b, paths[::-1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not set(won["a"]) & set(won["b"]), "no path claimed by both"
    assert sorted(won["a"] + won["b"]) == paths


def test_machines_mounting_the_share_at_other_places_claim_the_same_file(postgres_server, tmp_path):
    url = postgres_server.catalog_for(tmp_path)
    a = PostgresStore(url, StoreSettings(machine="a", roots=("samples=/Volumes/Samples",)))
    b = PostgresStore(url, StoreSettings(machine="b", roots=("samples=/mnt/samples",)))
    try:
        assert a.claim(["/Volumes/Samples/Kit/kick.wav"], 30.0) == ["/Volumes/Samples/Kit/kick.wav"]
        assert b.claim(["/mnt/samples/Kit/kick.wav", "/mnt/samples/Kit/snare.wav"], 30.0) == [
            "/mnt/samples/Kit/snare.wav"
        ]
        assert {c.path for c in b.claims()} == {"/mnt/samples/Kit/kick.wav", "/mnt/samples/Kit/snare.wav"}
    finally:
        a.close()
        b.close()
