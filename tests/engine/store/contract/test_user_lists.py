"""The user's own marks: favourites, user tags and collections."""

from __future__ import annotations

import pytest

from soundalike.engine.errors import QueryError
from soundalike.engine.store.filters import Filters
from tests.engine.store.contract.helpers import add


def test_user_tags_are_added_counted_and_removed(store):
    a, b = add(store, "/S/a.wav"), add(store, "/S/b.wav")
    assert store.add_user_tag([a, b], "  Dark   Kick ") == "dark kick"
    assert store.add_user_tag([a], "fave") == "fave"
    assert store.user_tags() == [("dark kick", 2), ("fave", 1)]
    assert store.tags(a)["user"] == {"dark kick": 1.0, "fave": 1.0}
    assert store.remove_user_tag([a], "Dark Kick") == "dark kick"
    assert store.user_tags() == [("dark kick", 1), ("fave", 1)]
    with pytest.raises(QueryError):
        store.add_user_tag([a], "   ")


def test_collections_hold_samples_once(store):
    a, b = add(store, "/S/a.wav"), add(store, "/S/b.wav")
    assert store.add_to_collection(" Drums ", [a, b]) == "Drums"
    store.add_to_collection("Drums", [a])
    store.add_to_collection("alpha", [])
    assert store.collections() == [("alpha", 0), ("Drums", 2)]
    assert store.count_browse(Filters(collection="Drums")) == 2


def test_a_folder_tells_what_of_the_user_it_holds_and_is_forgotten(store):
    store.add_root("/S")
    store.add_root("/T")
    a, b = add(store, "/S/a.wav"), add(store, "/S/b.wav")
    other = add(store, "/T/c.wav", root="/T")
    store.set_favourite(a, True)
    store.add_user_tag([b], "mine")
    store.add_to_collection("set", [a, b])
    use = store.folder_use("/S")
    assert (use.samples, use.favourites, use.user_tagged, use.collected) == (2, 1, 1, 2)
    with store.transaction() as tx:
        assert sorted(tx.forget_folder("/S")) == [a, b]
    assert store.roots() == ["/T"] and store.samples([a, b, other]).keys() == {other}
    assert store.collections() == [("set", 0)] and store.user_tags() == []


def test_each_users_lists_stay_apart_and_the_shared_facts_do_not(kind, tmp_path):
    if kind.open_as is None:
        pytest.skip(f"the {kind.name} store has one local user")
    ann, bob = kind.open_as(tmp_path, "ann"), kind.open_as(tmp_path, "bob")
    try:
        a, b = add(ann, "/S/kick.wav"), add(ann, "/S/snare.wav")
        with ann.transaction() as tx:
            tx.store_tags(a, "clap", {"kick": 0.9})
        ann.set_favourite(a, True)
        ann.add_user_tag([a, b], "punchy")
        ann.add_to_collection("Set 1", [a])
        bob.set_favourite(b, True)
        bob.add_user_tag([b], "dusty")
        bob.add_to_collection("Set 1", [b])
        assert ann.sample(a).favourite and not ann.sample(b).favourite
        assert bob.sample(b).favourite and not bob.sample(a).favourite
        assert [r.id for r in ann.list_browse(Filters(favourites_only=True))] == [a]
        assert ann.user_tags() == [("punchy", 2)] and bob.user_tags() == [("dusty", 1)]
        assert ann.tags(b) == {"user": {"punchy": 1.0}} and bob.tags(b) == {"user": {"dusty": 1.0}}
        assert bob.count_browse(Filters(tag="punchy")) == 0 and bob.count_browse(Filters(words=("dusty",))) == 1
        assert ann.collections() == [("Set 1", 1)] and bob.collections() == [("Set 1", 1)]
        assert bob.matching_ids(Filters(collection="Set 1")) == [b]
        assert bob.folder_use("/S").describe() == "1 favourite, 1 sample with your tags, 1 sample in collections"
        assert bob.tags(a) == {"clap": {"kick": 0.9}}  # the backends' tags are everyone's
        assert ("kick", 1) in bob.all_tags() and ("punchy", 2) not in bob.all_tags()
    finally:
        ann.close()
        bob.close()
