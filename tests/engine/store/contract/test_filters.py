"""The one filter value keeps the same samples, in the same order, on every store."""

from __future__ import annotations

import pytest

from soundalike.engine.errors import QueryError
from soundalike.engine.musical.analysis import Musical
from soundalike.engine.store.filters import Filters
from tests.engine.store.contract.helpers import add


@pytest.fixture
def library(store):
    ids = {
        "kick": add(store, "/S/Drums/Big Kick.wav"),
        "snare": add(store, "/S/Drums/snare 50%.wav"),
        "loop": add(store, "/S/Loops/funk LOOP 120.wav"),
        "pad": add(store, "/S/Pads/warm.wav"),
        "gone": add(store, "/S/Drums/gone kick.wav", status="missing"),
    }
    with store.transaction() as tx:
        tx.store_tags(ids["pad"], "clap", {"kick": 0.9, "ambient": 0.4})
        tx.store_tags(ids["snare"], "clap", {"snare": 0.8})
        tx.store_musical(ids["loop"], Musical(kind="loop", bpm=120.0))
        tx.store_musical(ids["kick"], Musical(kind="one-shot", root=36))
    store.add_to_collection("set", [ids["kick"], ids["pad"]])
    return ids


def _names(store, library, filters: Filters) -> set[str]:
    by_id = {sid: name for name, sid in library.items()}
    return {by_id[sid] for sid in store.matching_ids(filters)}


def test_words_match_the_name_below_the_root_or_a_sure_tag(store, library):
    assert _names(store, library, Filters(words=("kick",))) == {"kick", "pad", "gone"}
    assert _names(store, library, Filters(words=("kick",), status="ok")) == {"kick", "pad"}
    assert _names(store, library, Filters(words=("KICK", "big"))) == {"kick"}
    assert _names(store, library, Filters(words=("50%",))) == {"snare"}  # a literal per cent sign
    assert _names(store, library, Filters(words=("ambient",))) == set()  # scored below TAG_CONFIDENCE
    assert _names(store, library, Filters(words=("ambient",), tag_min_score=0.3)) == {"pad"}


def test_folders_paths_tags_and_collections_select(store, library):
    assert _names(store, library, Filters(under="/S/Drums/")) == {"kick", "snare", "gone"}
    assert _names(store, library, Filters(not_under="/S/Drums", status="ok")) == {"loop", "pad"}
    assert _names(store, library, Filters(path_contains="LOOPS/")) == {"loop"}
    assert _names(store, library, Filters(tag="snare")) == {"snare"}
    assert _names(store, library, Filters(tag="kick", tag_min_score=0.95)) == set()
    assert _names(store, library, Filters(collection="set")) == {"kick", "pad"}
    assert _names(store, library, Filters(collection="none")) == set()


def test_kinds_analysed_or_guessed(store, library):
    assert _names(store, library, Filters(kind="loop")) == {"loop"}
    assert _names(store, library, Filters(kind="one-shot")) == {"kick"}
    guessed = Filters(kind="one-shot", guess_kind=True, status="ok")
    assert _names(store, library, guessed) == {"kick", "snare", "pad"}  # not analysed: a short file is a one-shot
    assert _names(store, library, Filters(kind="loop", guess_kind=True, loop_min_seconds=0.1)) >= {"loop", "pad"}
    with pytest.raises(QueryError):
        store.matching_ids(Filters(kind="drone", guess_kind=True))


def test_listing_orders_place_rows_alike(store, library):
    by_bpm = Filters(order="bpm", status="ok")
    assert [r.path for r in store.list_browse(by_bpm)][0] == "/S/Loops/funk LOOP 120.wav"
    assert store.position_in_browse(by_bpm, "/S/Drums/Big Kick.wav") == 1  # without a tempo: last, by path
    newest = Filters(order="added", status="ok")
    assert [r.id for r in store.list_browse(newest, limit=2)] == [library["pad"], library["loop"]]
    assert store.position_in_browse(newest, "/S/Drums/Big Kick.wav") == 3
    assert store.count_browse(Filters(order="key")) == 5
    with pytest.raises(QueryError):
        store.list_browse(Filters(order="size"))


@pytest.mark.parametrize("order", ["path", "added", "bpm", "key"])
def test_a_page_read_from_the_end_is_the_same_rows_in_the_same_order(store, library, order):
    for filters in (Filters(order=order), Filters(order=order, status="ok")):
        every = [r.id for r in store.list_browse(filters)]
        assert [r.id for r in store.list_browse(filters, 0, 2, from_end=True)] == every[-2:]
        assert [r.id for r in store.list_browse(filters, 1, 2, from_end=True)] == every[-3:-1]
        assert [r.id for r in store.list_browse(filters, 0, 100, from_end=True)] == every
