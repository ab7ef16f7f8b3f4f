"""The library's browse part and its user-list writes: what the TUI, the bridge and the CLI read
and write instead of the catalog. A real library of generated drums on a temp folder."""

from __future__ import annotations

import os

import pytest

from soundalike.engine.library.browse import Filters
from soundalike.engine.library.facade import Library
from soundalike.engine.store.lock import LibraryLock, LibraryLocked
from tests.conftest import TEST_BACKENDS


@pytest.fixture
def library(make_settings, drum_folder):
    (drum_folder / "broken.wav").write_bytes(b"RIFF not really a wave file")
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        library.scan([str(drum_folder)])
        yield library


def test_a_listing_pages_counts_and_finds_positions(library):
    everything = Filters()
    rows = library.browse.page(everything, 0, 100)
    assert library.browse.count(everything) == len(rows) == 25
    assert [row.path for row in rows] == sorted(row.path for row in rows)
    assert library.browse.page(everything, 5, 3) == rows[5:8]
    assert [library.browse.position(everything, row.path) for row in rows] == list(range(25))
    kicks = Filters(tag_min_score=0.5, words=("kick",))
    assert sorted(library.browse.matching_ids(kicks)) == sorted(r.id for r in rows if "kick" in r.path)
    assert library.browse.count(kicks) == 6


def test_folders_counts_failures_and_single_rows(library, drum_folder):
    kits = [str(drum_folder / "Kit 0"), str(drum_folder / "Kit 1")]
    assert library.browse.folders() == sorted([str(drum_folder), *kits])
    assert library.browse.status_counts() == {"ok": 24, "failed": 1}
    [(path, reason)] = library.browse.failures()
    assert path == str(drum_folder / "broken.wav") and reason
    kit_0 = library.browse.rows(Filters(under=str(drum_folder / "Kit 0")))
    assert len(kit_0) == 12 and all("Kit 0" in row.path for row in kit_0)
    assert library.browse.ids_matching(Filters(under=str(drum_folder / "Kit 0"))) == [row.id for row in kit_0]
    by_id = library.browse.samples([kit_0[0].id, kit_0[1].id, 10_000])
    assert set(by_id) == {kit_0[0].id, kit_0[1].id} and library.browse.sample(kit_0[0].id) == kit_0[0]
    picked = library.browse.random()
    assert picked is not None and picked.status == "ok"


def test_user_tags_and_collections_are_written_through_the_library(library, drum_folder):
    kicks = library.browse.rows(Filters(under=str(drum_folder / "Kit 0")))[:2]
    ids = [row.id for row in kicks]
    assert library.tag_samples(ids, "  Punchy ") == "punchy"
    assert library.browse.user_tags() == [("punchy", 2)]
    assert library.browse.count(Filters(tag_min_score=0.5, tag="punchy")) == 2
    assert all("punchy" in tags for tags in library.browse.top_tags(ids).values())
    assert ("punchy", 2) in library.browse.tag_counts() and ("punchy", 2) in library.browse.all_tags()
    library.tag_samples(ids[:1], "punchy", remove=True)
    assert library.browse.user_tags() == [("punchy", 1)]
    assert library.add_to_collection("Faves", ids) == "Faves"
    assert library.browse.collections() == [("Faves", 2)]
    assert sorted(library.browse.matching_ids(Filters(collection="Faves"))) == sorted(ids)


def test_a_user_list_write_waits_for_the_owner_and_changes_nothing(library):
    sample_id = library.browse.rows(limit=1)[0].id
    other = LibraryLock(library.data_dir)  # a second open conflicts like a second process
    with other.hold("soundalike serve"):
        with pytest.raises(LibraryLocked, match=rf"soundalike serve \(pid {os.getpid()}"):
            library.tag_samples([sample_id], "mine")
        with pytest.raises(LibraryLocked):
            library.add_to_collection("Faves", [sample_id])
    assert library.browse.user_tags() == [] and library.browse.collections() == []
