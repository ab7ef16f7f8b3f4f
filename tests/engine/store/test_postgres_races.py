"""Two machines writing one file's row at once on a shared PostgreSQL catalog: one row, no error."""

from __future__ import annotations

import threading
import time

import pytest

from soundalike.engine.config import StoreSettings
from soundalike.engine.store.postgres.store import PostgresStore


@pytest.fixture
def two_stores(postgres_server, tmp_path):
    url = postgres_server.catalog_for(tmp_path)
    a, b = (PostgresStore(url, StoreSettings(machine=name, roots=("S=/S",))) for name in "ab")
    a.add_root("/S")
    yield a, b
    a.close()
    b.close()


def record(store, path: str, content: str = "h", size: int = 1) -> int:
    with store.transaction() as tx:
        return tx.record_sample(
            path=path, root="/S", size=size, mtime=1.0, content_hash=content, status="ok", reason=None, facts=None
        )


def in_thread(target, *args) -> tuple[threading.Thread, list]:
    """Run ``target(*args)`` on a thread of its own (its own connection); the list gets what it
    returned, or the exception it raised."""
    out: list = []

    def run():
        try:
            out.append(target(*args))
        except BaseException as e:  # handed to the test to assert on
            out.append(e)
        finally:
            args[0].close()  # this thread's connection

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_two_machines_recording_the_same_new_files_at_once_make_one_row_each(two_stores):
    a, b = two_stores
    paths = [f"/S/{i:03d}.wav" for i in range(60)]
    start = threading.Barrier(2)

    def record_all(store):
        start.wait()
        return [record(store, path, content=path) for path in paths]

    (ta, ids_a), (tb, ids_b) = in_thread(record_all, a), in_thread(record_all, b)
    ta.join(timeout=30)
    tb.join(timeout=30)
    assert ids_a[0] == ids_b[0], "no error, and both got the same id for each path"
    assert a.status_counts() == {"ok": len(paths)}


def test_a_record_racing_a_rename_keeps_the_new_path(two_stores):
    a, b = two_stores
    sid = record(a, "/S/old.wav")
    with a.transaction() as tx:
        tx.move_paths("/S/old.wav", "/S/new.wav", "/S")  # not committed yet: b's write waits on the row
        thread, out = in_thread(lambda store: record(store, "/S/old.wav", size=2), b)
        time.sleep(0.3)
    thread.join(timeout=10)
    assert out == [sid], "b's facts went to the row the rename moved"
    assert a.sample_by_path("/S/old.wav") is None
    row = a.sample_by_path("/S/new.wav")
    assert row is not None and row.id == sid and row.size == 2
    assert a.status_counts() == {"ok": 1}


def test_a_rename_onto_a_path_just_recorded_elsewhere_replaces_that_row(two_stores):
    a, b = two_stores
    sid = record(a, "/S/old.wav")
    with b.transaction() as tx:
        other = tx.record_sample(
            path="/S/new.wav", root="/S", size=1, mtime=1.0, content_hash="h", status="ok", reason=None, facts=None
        )  # not committed yet: a's rename collides with it when it is

        def rename(store):
            with store.transaction() as move:
                return move.move_paths("/S/old.wav", "/S/new.wav", "/S")

        thread, out = in_thread(rename, a)
        time.sleep(0.3)
    thread.join(timeout=10)
    assert out == [([(sid, "/S/new.wav")], [other])], "no error: the row recorded meanwhile is replaced"
    row = b.sample_by_path("/S/new.wav")
    assert row is not None and row.id == sid
    assert b.status_counts() == {"ok": 1}
