"""Musical facts: stored, read back, and which samples still need analysing."""

from __future__ import annotations

from soundalike.engine.musical.analysis import Musical
from soundalike.engine.store.filters import Filters
from tests.engine.store.contract.helpers import add

LOOP = Musical(
    kind="loop",
    kind_confidence=0.9,
    bpm=120.0,
    bpm_alternative=60.0,
    bpm_confidence=0.8,
    bpm_source="name",
    key=9,
    key_confidence=0.7,
    key_source="audio",
    notes=("from the name", "x"),
)
SHOT = Musical(kind="one-shot", root=45, root_confidence=0.6, root_source="audio", chord="Am7")


def test_musical_facts_round_trip(store):
    loop, shot, bare = add(store, "/S/loop.wav"), add(store, "/S/shot.wav"), add(store, "/S/bare.wav")
    with store.transaction() as tx:
        tx.store_musical(loop, LOOP)
        tx.store_musical(shot, SHOT)
    assert store.musical_of([loop, shot, bare]) == {loop: LOOP, shot: SHOT}
    assert store.ids_to_analyse() == {bare}
    assert store.ids_to_analyse("/S") == {bare} and store.ids_to_analyse("/T") == set()
    assert store.unanalysed_among([loop, bare]) == {bare}


def test_musical_filters_select_samples(store):
    loop, shot = add(store, "/S/loop.wav"), add(store, "/S/shot.wav")
    with store.transaction() as tx:
        tx.store_musical(loop, LOOP)
        tx.store_musical(shot, SHOT)
    assert store.ids_matching(Filters(kind="loop")) == [loop]
    assert store.ids_matching(Filters(bpm=(58.0, 62.0))) == [loop]  # the half-time reading counts
    assert store.ids_matching(Filters(keys=(9,))) == [loop]
    assert store.ids_matching(Filters(roots=(9,))) == [shot]  # A, any octave
