"""Vectors, tags and model signatures round trip through any store."""

from __future__ import annotations

import numpy as np

from tests.engine.store.contract.helpers import add


def _vector(seed: int, dim: int = 8) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)


def test_vectors_round_trip_exactly(store):
    a, b, gone = add(store, "/S/a.wav"), add(store, "/S/b.wav"), add(store, "/S/c.wav")
    with store.transaction() as tx:
        for sid in (a, b, gone):
            tx.store_vector(sid, "clap", _vector(sid))
        tx.store_vector(a, "bands", _vector(99, 4))
        assert tx.bump_vectors_version("clap") == 1
        assert tx.bump_vectors_version("clap") == 1, "one version per transaction"
        tx.set_status([gone], "missing")
    assert store.vectors_version("clap") == 1 and store.vectors_version("bands") == 1
    assert store.vectors_version("none") == 0
    ids, matrix = store.vectors("clap")
    assert ids.tolist() == [a, b] and matrix is not None and matrix.dtype == np.float32
    assert np.array_equal(matrix, np.stack([_vector(a), _vector(b)]))
    assert store.vector_ids("clap").tolist() == [a, b]
    assert store.vector_dim("clap") == 8 and store.vector_dim("bands") == 4 and store.vector_dim("none") is None
    found, of = store.vectors_of([gone, a, 999], "clap")  # whatever their status
    assert sorted(found) == [a, gone] and of is not None
    assert np.array_equal(of[found.index(gone)], _vector(gone))
    assert np.array_equal(store.vector(a, "bands"), _vector(99, 4))  # type: ignore[arg-type]
    assert store.vector(b, "bands") is None
    assert store.backends_of([a, b, 999]) == {a: {"clap", "bands"}, b: {"clap"}}
    assert sorted(store.stored_backends()) == ["bands", "clap"]
    assert store.vector_counts() == {"clap": 3, "bands": 1}


def test_no_vectors_reads_as_empty(store):
    ids, matrix = store.vectors("clap")
    assert len(ids) == 0 and matrix is None
    assert store.vectors_of([1, 2], "clap") == ([], None)
    assert store.stored_backends() == []


def test_a_new_model_drops_the_old_vectors(store):
    sid = add(store, "/S/a.wav")
    assert store.backend_signature("clap") is None
    assert store.set_backend_signature("clap", "model-1") is False
    with store.transaction() as tx:
        tx.store_vector(sid, "clap", _vector(1))
    assert store.set_backend_signature("clap", "model-1") is False
    assert store.vector(sid, "clap") is not None
    assert store.set_backend_signature("clap", "model-2") is True
    assert store.backend_signature("clap") == "model-2" and store.vector(sid, "clap") is None


def test_tags_are_replaced_per_source_and_read_by_score(store):
    a, b = add(store, "/S/a.wav"), add(store, "/S/b.wav")
    with store.transaction() as tx:
        tx.store_tags(a, "clap", {"kick": 0.9, "snare": 0.3})
        tx.store_tags(a, "clap", {"kick": 0.8, "808": 0.6})
        tx.store_tags(a, "bands", {"kick": 0.7})
        tx.store_tags(b, "clap", {"snare": 0.95, "kick": 0.1})
    assert store.tags(a) == {"clap": {"kick": 0.8, "808": 0.6}, "bands": {"kick": 0.7}}
    assert list(store.tags(a)["clap"]) == ["kick", "808"]  # best first
    assert store.all_tags() == [("kick", 2), ("808", 1), ("snare", 1)]  # most common first, then by name
    assert store.top_tags([a, b], min_score=0.65) == {a: ["kick"], b: ["snare"]}
    assert store.scored_tag_counts(0.65) == [("kick", 1), ("snare", 1)]
    assert store.best_tags() == {a: "kick", b: "snare"}
    assert store.stored_tags([a, 999]) == {a: {"clap": {"kick": 0.8, "808": 0.6}, "bands": {"kick": 0.7}}}


def _held(store, backend: str) -> tuple[int, dict[int, np.ndarray]]:
    version = store.vectors_version(backend)
    ids, matrix = store.vectors(backend)
    return version, {int(sid): matrix[i] for i, sid in enumerate(ids)} if matrix is not None else {}


def test_vector_changes_bring_an_index_from_its_version_to_the_current_one(store):
    a, b, c = add(store, "/S/a.wav"), add(store, "/S/b.wav"), add(store, "/S/c.wav")
    with store.transaction() as tx:
        for sid in (a, b, c):
            tx.store_vector(sid, "clap", _vector(sid))
    since, index = _held(store, "clap")
    unchanged = store.vector_changes("clap", since)
    assert unchanged is not None and unchanged.version == since and len(unchanged) == 0
    with store.transaction() as tx:  # a replaced vector, a new sample, one gone missing, one forgotten
        d = tx.record_sample(
            path="/S/d.wav", root="/S", size=1, mtime=1.0, content_hash=None, status="ok", reason=None, facts=None
        )
        tx.store_vector(d, "clap", _vector(d))
        tx.store_vector(a, "clap", _vector(50))
        version = tx.bump_vectors_version("clap")
    with store.transaction() as tx:
        tx.set_status([b], "missing")
    with store.transaction() as tx:
        tx.delete_samples([c])
    assert store.vectors_version("clap") >= version > since
    changes = store.vector_changes("clap", since)
    if changes is None:  # a store without a change log: the index is rebuilt instead
        return
    for sid in changes.removed:
        index.pop(sid, None)
    for i, sid in enumerate(changes.ids.tolist()):
        assert changes.matrix is not None
        index[sid] = changes.matrix[i]
    current, expected = _held(store, "clap")
    assert changes.version == current
    assert sorted(index) == sorted(expected) == [a, d]
    assert all(np.array_equal(index[sid], expected[sid]) for sid in expected)
    assert len(changes) < 5, "only the changed samples are read"
    with store.transaction() as tx:  # back from missing: searchable again
        tx.set_status([b], "ok")
    again = store.vector_changes("clap", current)
    assert again is not None and again.ids.tolist() == [b] and not again.removed


def test_another_connections_vector_changes_are_heard(kind, store, tmp_path):
    import threading
    import time

    heard: list[str | None] = []
    stop = threading.Event()
    listener = threading.Thread(target=store.follow_vectors, args=(heard.append, lambda error: None, stop))
    listener.start()
    other = kind.open(tmp_path)  # another machine on the same catalog
    try:
        deadline = time.monotonic() + 5
        while listener.is_alive() and not heard and time.monotonic() < deadline:
            time.sleep(0.01)
        if not listener.is_alive():  # a store only this machine writes: nothing to follow
            assert heard == []
            return
        assert heard == [None], "told on connecting: catch up on whatever was missed"
        sid = add(other, "/S/a.wav")
        with other.transaction() as tx:
            tx.store_vector(sid, "clap", _vector(1))
        while "clap" not in heard and time.monotonic() < deadline:
            time.sleep(0.01)
        assert heard[1:] == ["clap"]
    finally:
        stop.set()
        listener.join()
        other.close()
