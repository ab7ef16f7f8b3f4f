"""Roots, and what the planner reads to compare the catalog with the disk."""

from __future__ import annotations

from soundalike.engine.store.filters import Filters
from tests.engine.store.contract.helpers import add


def test_roots_are_listed_once_and_go_offline(store):
    store.add_root("/S")
    store.add_root("/S")
    store.add_root("/A")
    assert store.roots() == ["/A", "/S"]
    store.set_root_online("/S", False)  # nothing to read back but that it is accepted
    assert store.roots() == ["/A", "/S"]


def test_the_planner_reads_what_is_known_of_files(store):
    a = add(store, "/S/Kicks/a.wav", size=3, mtime=2.0, content_hash="h")
    b = add(store, "/S/Kicks/Sub/b.wav")
    add(store, "/S/Kicksound.wav")  # a name that starts like the folder, not below it
    off = add(store, "/S/off.wav")
    add(store, "/T/x.wav", root="/T")
    with store.transaction() as tx:
        tx.set_status([off], "offline")
    known = store.known_files("/S")
    assert set(known) == {"/S/Kicks/a.wav", "/S/Kicks/Sub/b.wav", "/S/Kicksound.wav", "/S/off.wav"}
    assert (
        known["/S/Kicks/a.wav"].id,
        known["/S/Kicks/a.wav"].size,
        known["/S/Kicks/a.wav"].mtime,
        known["/S/Kicks/a.wav"].status,
        known["/S/Kicks/a.wav"].content_hash,
    ) == (a, 3, 2.0, "ok", "h")
    assert set(store.known_under("/S/Kicks")) == {"/S/Kicks/a.wav", "/S/Kicks/Sub/b.wav"}
    assert set(store.known_under("/S/Kicks/Sub/b.wav")) == {"/S/Kicks/Sub/b.wav"}
    assert store.known_under("/S/Kicks/Sub/b.wav")["/S/Kicks/Sub/b.wav"].id == b
    assert store.live_count("/S") == 3
    assert store.paths_with_status("/S", "offline", limit=10) == ["/S/off.wav"]
    assert store.paths_with_status("/S", "offline", limit=10, offset=1) == []


def test_listings_page_filter_and_place_rows(store):
    ids = {name: add(store, f"/S/{name}") for name in ("b.wav", "a.wav", "Sub/c.wav", "d.wav")}
    store.set_favourite(ids["d.wav"], True)
    assert [r.path for r in store.list_samples()] == ["/S/Sub/c.wav", "/S/a.wav", "/S/b.wav", "/S/d.wav"]
    assert [r.path for r in store.list_samples(offset=1, limit=2)] == ["/S/a.wav", "/S/b.wav"]
    assert [r.path for r in store.list_samples(Filters(under="/S/Sub"))] == ["/S/Sub/c.wav"]
    assert store.ids_matching(Filters(favourites_only=True)) == [ids["d.wav"]]
    query = Filters(tag_min_score=0.5, words=("d",))
    assert [r.path for r in store.list_browse(query)] == ["/S/d.wav"] and store.count_browse(query) == 1
    assert sorted(store.matching_ids(Filters(not_under="/S/Sub"))) == sorted(
        ids[n] for n in ("a.wav", "b.wav", "d.wav")
    )
    assert store.position_in_browse(Filters(), "/S/b.wav") == 2
    assert store.folders() == ["/S", "/S/Sub"]
    assert store.random_sample() is not None and store.random_sample(tag="none") is None


def test_a_store_of_one_machine_maps_every_root(store):
    store.add_root("/S")
    add(store, "/S/kick.wav")
    assert store.unmapped_roots() == {}
    assert store.roots() == ["/S"] and store.sample_by_path("/S/kick.wav") is not None
