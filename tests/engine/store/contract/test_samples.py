"""Samples: recorded, updated, moved, adopted, marked gone and forgotten, through any store."""

from __future__ import annotations

import time

import pytest

from tests.engine.store.contract.helpers import FACTS, add


def test_a_recorded_sample_reads_back_with_its_facts(store):
    sid = add(store, "/S/kick.wav", content_hash="h1", size=10, mtime=5.0)
    assert isinstance(sid, int)
    row = store.sample(sid)
    assert row is not None and row.path == "/S/kick.wav" and row.root == "/S" and row.status == "ok"
    assert (row.size, row.mtime, row.content_hash) == (10, 5.0, "h1")
    assert (row.format, row.sample_rate, row.channels, row.duration) == ("WAV", 44100, 1, 0.5)
    assert row.silent is False and row.clipped is False and row.favourite is False
    assert store.sample_by_path("/S/kick.wav") == row
    assert store.samples([sid, 999_999]) == {sid: row}
    assert store.sample(999_999) is None and store.sample_by_path("/S/none.wav") is None


def test_recording_a_known_path_again_updates_its_row(store):
    sid = add(store, "/S/kick.wav", size=1)
    assert add(store, "/S/kick.wav", size=2, status="failed", reason="cannot decode") == sid
    row = store.sample(sid)
    assert row is not None and (row.size, row.status, row.reason) == (2, "failed", "cannot decode")
    assert store.failures() == [("/S/kick.wav", "cannot decode")]
    assert store.failure_reasons() == {"cannot decode": 1}


def test_a_new_path_with_the_content_of_a_missing_sample_takes_over_its_row(store):
    sid = add(store, "/S/old.wav", content_hash="same")
    store.set_favourite(sid, True)
    with store.transaction() as tx:
        tx.set_status([sid], "missing", "gone")
    assert add(store, "/S/new.wav", content_hash="same") == sid
    row = store.sample(sid)
    assert row is not None and row.path == "/S/new.wav" and row.status == "ok" and row.favourite


def test_samples_keep_their_ids_through_a_folder_move(store):
    a, b = add(store, "/S/Old/a.wav"), add(store, "/S/Old/Sub/b.wav")
    there = add(store, "/S/New/a.wav")
    with store.transaction() as tx:
        moved, replaced = tx.move_paths("/S/Old", "/S/New", "/S")
    assert sorted(moved) == [(a, "/S/New/a.wav"), (b, "/S/New/Sub/b.wav")]
    assert replaced == [there] and store.sample(there) is None
    assert store.sample_by_path("/S/New/Sub/b.wav").id == b  # type: ignore[union-attr]


def test_an_older_row_adopts_its_recent_copy(store):
    old = add(store, "/S/a.wav", content_hash="c")
    since = time.time() - 1
    new = add(store, "/T/a.wav", root="/T", content_hash="c")
    with store.transaction() as tx:
        assert tx.recent_twin(old, since) == new
        assert tx.recent_twin(old, since, exclude=[new]) is None
        tx.adopt(old, new)
    row = store.sample(old)
    assert row is not None and row.path == "/T/a.wav" and row.root == "/T" and store.sample(new) is None


def test_statuses_are_counted_and_deleted_samples_are_gone(store):
    ids = [add(store, f"/S/{n}.wav") for n in range(4)]
    with store.transaction() as tx:
        tx.set_status(ids[:1], "offline", "drive unplugged")
        tx.set_status(ids[1:2], "missing")
        tx.delete_samples(ids[2:3])
    assert store.status_counts() == {"ok": 1, "offline": 1, "missing": 1}
    assert store.sample(ids[0]).reason == "drive unplugged"  # type: ignore[union-attr]
    assert store.sample(ids[2]) is None


def test_identity_is_recorded(store):
    sid = add(store, "/S/a.wav")
    with store.transaction() as tx:
        tx.set_identity([(sid, 12.5, 77)])
    known = store.known_files("/S")["/S/a.wav"]
    assert (known.id, known.ctime, known.inode) == (sid, 12.5, 77)


def test_a_failed_transaction_writes_nothing(store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.record_sample(
            path="/S/a.wav", root="/S", size=1, mtime=1.0, content_hash=None, status="ok", reason=None, facts=FACTS
        )
        raise RuntimeError("stop")
    assert store.sample_by_path("/S/a.wav") is None
    assert store.status_counts() == {}


def test_favourites_are_kept(store):
    sid = add(store, "/S/a.wav")
    store.set_favourite(sid, True)
    assert store.sample(sid).favourite is True  # type: ignore[union-attr]
    store.set_favourite(sid, False)
    assert store.sample(sid).favourite is False  # type: ignore[union-attr]


def test_any_file_name_round_trips(store):
    odd = "/S/caf\udce9 \uffff.wav"  # a Latin-1 byte that is not UTF-8, and the store's own escape character
    sid = add(store, odd)
    assert store.sample(sid).path == odd  # type: ignore[union-attr]
    assert store.sample_by_path(odd).id == sid  # type: ignore[union-attr]
    assert set(store.known_files("/S")) == {odd}
    assert store.failures() == [] and [r.path for r in store.list_samples()] == [odd]
