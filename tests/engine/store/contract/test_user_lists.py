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
