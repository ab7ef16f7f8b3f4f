"""A studio's faults, with real PostgreSQL processes: the server restarts under the engines, the
network drops mid-batch. Readers answer searches from their own index meanwhile; engines connect
again and catch up; a batch cut short is rolled back and written again, nothing lost or doubled."""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time

import numpy as np
import pytest

from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.live.service import EngineService
from soundalike.engine.pipeline.ingest import Processed
from soundalike.engine.pipeline.walk import FileEntry
from soundalike.engine.store.errors import StoreError
from soundalike.engine.store.postgres.transaction import PgTransaction
from tests.conftest import TEST_BACKENDS
from tests.studio.faults import Relay
from tests.studio.test_sync import DEADLINE, _find, mounts


def _on(settings, url: str):
    return dataclasses.replace(settings, store=dataclasses.replace(settings.store, url=url))


def _later_kit(drum_folder, tmp_path):
    away = tmp_path / "later"
    shutil.move(drum_folder / "Kit 1", away)
    return lambda: shutil.move(away, drum_folder / "Kit 1")


def test_readers_answer_while_the_server_restarts_and_catch_up_after(
    own_server, machine_settings, drum_folder, tmp_path
):
    land = _later_kit(drum_folder, tmp_path)
    url = own_server.url("postgres")
    writer = Library(_on(machine_settings("a"), url), backends=TEST_BACKENDS)
    writer.scan([str(drum_folder)])
    reader = EngineService(_on(machine_settings("b", mounts(drum_folder)), url), backends=TEST_BACKENDS)
    try:
        reader.start()
        kick = reader.library.browse.sample_by_path(str(drum_folder / "Kit 0" / "kick_0.wav"))
        assert kick is not None
        before = reader.library.similar(SimilarQuery(to=kick.id, k=3))

        own_server.stop_only()
        during = reader.library.similar(SimilarQuery(to=kick.id, k=3))
        assert during and [g.lead.sample.path for g in during] == [g.lead.sample.path for g in before]
        with pytest.raises(StoreError) as raised:  # reads that need the server: one line saying so
            reader.library.browse.rows()
        assert "\n" not in str(raised.value) and "PostgreSQL catalog" in str(raised.value)

        own_server.start_again()
        land()
        writer.scan([str(drum_folder)])  # the writer connects again too
        assert _find(reader.library, str(drum_folder / "Kit 1" / "kick_0.wav"), DEADLINE + 1) < DEADLINE + 1
        assert len(reader.library.index("bands")) == 24

        own_server.restart()  # and once more, straight through
        writer.remove([drum_folder / "Kit 1" / "kick_0.wav"])
        assert len(reader.library.browse.rows()) == 23
    finally:
        reader.stop()
        writer.close()


def test_a_batch_cut_by_a_network_drop_is_written_again_whole(
    own_server, machine_settings, drum_folder, tmp_path, monkeypatch
):
    relay = Relay(own_server.port)
    through = own_server.tcp_url(relay.port)
    writer = Library(_on(machine_settings("a"), through), backends=TEST_BACKENDS)
    reader = EngineService(_on(machine_settings("b", mounts(drum_folder)), through), backends=TEST_BACKENDS)
    stored = PgTransaction.store_vector
    calls = []

    def store_vector(self, sample_id, backend, vector):
        calls.append(sample_id)
        if len(calls) == 5:  # inside the first batch's transaction: the network drops
            relay.cut()
        return stored(self, sample_id, backend, vector)

    monkeypatch.setattr(PgTransaction, "store_vector", store_vector)
    try:
        reader.start()
        assert len(reader.library.index("bands")) == 0
        report = writer.scan([str(drum_folder)])
        assert relay.cuts == 1 and report.failed == [] and report.indexed == 24
        rows = writer.browse.rows()
        assert len(rows) == 24 and len({row.path for row in rows}) == 24
        assert writer.browse.status_counts() == {"ok": 24}
        snare = str(drum_folder / "Kit 1" / "snare_2.wav")
        assert _find(reader.library, snare, DEADLINE + 1) < DEADLINE + 1
        assert len(reader.library.index("bands")) == 24
    finally:
        reader.stop()
        writer.close()
        relay.close()


def _processed(first: int, count: int, dim: int) -> list[Processed]:
    rng = np.random.default_rng(first)
    vectors = rng.standard_normal((count, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        Processed(
            FileEntry(f"/share/s{i}.wav", size=1, mtime=1.0, root="/share"), vectors={"bands": vectors[i - first]}
        )
        for i in range(first, first + count)
    ]


def test_a_write_while_the_server_restarts_waits_for_it(own_server, machine_settings):
    writer = Library(_on(machine_settings("a"), own_server.url("postgres")), backends=TEST_BACKENDS)
    dim = writer.embedder("bands").dim
    try:
        assert writer.record(_processed(0, 3, dim)).indexed == 3
        own_server.stop_only()
        back = threading.Timer(1.0, own_server.start_again)
        back.start()
        report = writer.record(_processed(3, 3, dim))  # waits for the server, then lands whole
        back.join()
        assert report.failed == [] and report.indexed == 3
        assert writer.browse.status_counts() == {"ok": 6} and len(writer.index("bands")) == 6
    finally:
        writer.close()


def test_searches_stay_quick_while_the_network_answers_nothing(own_server, machine_settings, drum_folder):
    relay = Relay(own_server.port)
    writer = Library(_on(machine_settings("a"), own_server.url("postgres")), backends=TEST_BACKENDS)
    writer.scan([str(drum_folder)])
    reader = Library(
        _on(machine_settings("b", mounts(drum_folder)), own_server.tcp_url(relay.port)), backends=TEST_BACKENDS
    )
    try:
        kick = reader.browse.sample_by_path(str(drum_folder / "Kit 0" / "kick_0.wav"))
        assert kick is not None and reader.similar(SimilarQuery(to=kick.id, k=3))
        relay.silent = True
        relay.cut()
        took = []
        for _ in range(3):
            start = time.monotonic()
            assert reader.similar(SimilarQuery(to=kick.id, k=3)), "answered from this machine's index"
            took.append(time.monotonic() - start)
        assert took[0] < 8 and max(took[1:]) < 1.0, took  # one wait for the network, not one per search
    finally:
        reader.close()
        writer.close()
        relay.close()
