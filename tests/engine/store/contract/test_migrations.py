"""A store opens empty where there is none, and brings an old one up to date keeping its samples."""

from __future__ import annotations

import numpy as np

from soundalike.engine.musical.analysis import Musical
from tests.engine.store.contract.helpers import add


def test_an_empty_store_holds_nothing(store):
    assert store.roots() == [] and store.status_counts() == {} and store.collections() == []
    assert store.list_samples() == [] and store.copy_groups() == [] and store.stored_backends() == []
    store.check()  # a sound store raises nothing


def test_a_store_reopens_with_what_it_holds(kind, tmp_path):
    store = kind.open(tmp_path)
    sid = add(store, "/S/a.wav")
    store.close()
    again = kind.open(tmp_path)
    assert again.sample(sid).path == "/S/a.wav"  # type: ignore[union-attr]
    again.close()


def test_an_old_store_is_migrated_and_keeps_its_samples(kind, tmp_path):
    kind.leave_old(tmp_path, "/S/Kicks/old kick.wav")
    store = kind.open(tmp_path)
    try:
        row = store.sample_by_path("/S/Kicks/old kick.wav")
        assert row is not None and row.status == "ok" and store.roots() == ["/S"]
        with store.transaction() as tx:  # what later schemas added works on it
            tx.store_vector(row.id, "clap", np.ones(4, np.float32))
            tx.store_musical(row.id, Musical(kind="one-shot"))
            tx.put_sound(row.id, None, "kick")
        store.add_to_collection("old", [row.id])
        assert store.musical_of([row.id])[row.id].kind == "one-shot"
        assert store.collections() == [("old", 1)] and store.vector_ids("clap").tolist() == [row.id]
        assert store.sound_labels([row.id]) == {row.id: (row.id, row.id)}
    finally:
        store.close()
