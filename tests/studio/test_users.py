"""Two machines as two users on one catalog: each one's favourites, tags and collections are theirs;
the copy groups and the backends' tags are everyone's. The second user works in the app."""

from __future__ import annotations

import os
import sys

import pytest

from soundalike.engine.library.facade import Library
from soundalike.engine.live.service import EngineService
from soundalike.engine.store.filters import Filters
from soundalike.tui.widgets.sample_list import SampleList
from tests.conftest import TEST_BACKENDS
from tests.tui.conftest import FakeSoundDevice, make_app, wait_for


@pytest.fixture
def no_audio(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", FakeSoundDevice())


async def test_two_users_keep_their_own_lists(machine_settings, drum_folder, no_audio):
    roots = {"samples": str(drum_folder)}
    with Library(machine_settings("a", roots, user="ann"), backends=TEST_BACKENDS) as ann:
        ann.scan([str(drum_folder)])
        kick = ann.browse.sample_by_path(os.path.join(drum_folder, "Kit 0", "kick_0.wav")).id
        ann.set_favourite(kick)
        ann.tag_samples([kick], "boomy")
        ann.add_to_collection("Beat 1", [kick])
        shared_groups = ann.browse.sound_labels(ann.browse.ids_matching(Filters()))

    with EngineService(machine_settings("b", roots, user="bob"), backends=TEST_BACKENDS) as bob:
        assert bob.library.browse.sound_labels(bob.library.browse.ids_matching(Filters())) == shared_groups
        assert not bob.library.browse.sample(kick).favourite
        assert bob.library.browse.user_tags() == [] and bob.library.browse.collections() == []
        app = make_app(bob)
        async with app.run_test(size=(120, 36)) as pilot:
            listing = app.screen.query_one(SampleList)
            await wait_for(pilot, lambda: listing.source.count == 24, what="the shared library")
            assert all(row.path.startswith(str(drum_folder)) for row in bob.library.browse.rows())
            listing.move_to(listing.source.index_of(kick))
            await pilot.press("f")  # bob stars ann's favourite for himself
            await wait_for(pilot, lambda: bob.library.browse.sample(kick).favourite, what="bob's star")

    with Library(machine_settings("a", roots, user="ann"), backends=TEST_BACKENDS) as ann:
        ann.set_favourite(kick, False)  # ann's unstar leaves bob's star
        assert ann.browse.user_tags() == [("boomy", 1)] and ann.browse.collections() == [("Beat 1", 1)]
    with Library(machine_settings("b", roots, user="bob"), backends=TEST_BACKENDS) as bob_again:
        assert bob_again.browse.sample(kick).favourite
        assert bob_again.browse.count(Filters(favourites_only=True)) == 1


async def test_the_app_says_which_roots_are_not_on_this_machine(machine_settings, drum_folder, no_audio):
    with Library(machine_settings("a", {"samples": str(drum_folder)}), backends=TEST_BACKENDS) as a:
        a.scan([str(drum_folder)])
    with EngineService(machine_settings("c"), backends=TEST_BACKENDS) as elsewhere:
        app = make_app(elsewhere)
        async with app.run_test(size=(120, 36)) as pilot:
            await wait_for(
                pilot,
                lambda: any("Not on this machine, left out: samples (24)" in n.message for n in app._notifications),
                what="the notice",
            )
            assert app.screen.query_one(SampleList).source.count == 0
