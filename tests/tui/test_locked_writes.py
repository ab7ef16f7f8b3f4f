"""TUI writes while another process owns the library (``soundalike serve``): the write runs on a
worker, a toast names the owner, the app keeps running, and nothing is lost or half-written.

The other owner is a second ``LibraryLock`` on the same data folder: flock locks conflict between
two opens exactly as between two processes (tests/engine/store/test_lock.py).
"""

from __future__ import annotations

import os

from soundalike.engine.store.lock import LibraryLock
from soundalike.tui.screens.prompt import Prompt
from soundalike.tui.widgets.sample_list import SampleList
from tests.tui.conftest import make_app, wait_for


def samples(app) -> SampleList:
    return app.screen.query_one(SampleList)


def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


def owner_toast(app) -> str | None:
    return next((m for m in toasts(app) if "soundalike serve" in m and f"pid {os.getpid()}" in m), None)


async def test_favourite_while_serve_owns_the_library_says_who_and_loses_nothing(indexed, fake_sd):
    library = indexed.library
    app = make_app(indexed)
    other = LibraryLock(library.data_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        sample = samples(app).current
        with other.hold("soundalike serve"):
            await pilot.press("f")
            await wait_for(pilot, lambda: owner_toast(app), what="a toast naming the owner")
            assert not library.browse.sample(sample.id).favourite and app.is_running
            assert os.path.basename(sample.path) in owner_toast(app)
        await pilot.press("f")  # the owner is gone: the same key works
        await wait_for(pilot, lambda: library.browse.sample(sample.id).favourite, what="the star written")
        await wait_for(pilot, lambda: samples(app).current.favourite, what="the star shown")
        assert samples(app).current.id == sample.id


async def test_tag_and_collect_while_serve_owns_the_library_tell_the_owner(indexed, fake_sd):
    library = indexed.library
    app = make_app(indexed)
    other = LibraryLock(library.data_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        sample = samples(app).current
        with other.hold("soundalike serve"):
            for key, answer in (("T", "punchy"), ("C", "Favs")):
                await pilot.press(key)
                await wait_for(pilot, lambda: isinstance(app.screen, Prompt), what="the prompt")
                await pilot.press(*answer, "enter")
                await wait_for(
                    pilot,
                    lambda key=key: sum("soundalike serve" in m for m in toasts(app)) == 1 + (key == "C"),
                    what=f"the owner named after {key}",
                )
        assert library.browse.tags(sample.id).get("user", {}) == {} and app.is_running
        assert "Favs" not in [name for name, _ in library.browse.collections()]


async def test_a_write_the_catalog_refuses_is_a_toast_and_the_app_goes_on(indexed, fake_sd):
    from tests.conftest import catalog_of

    library = indexed.library
    with catalog_of(library).transaction() as tx:  # by hand: a refusal the catalog does not name itself
        tx.execute(
            "CREATE TRIGGER no_stars BEFORE UPDATE OF favourite ON samples "
            "BEGIN SELECT RAISE(ABORT, 'stars refused'); END"
        )
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        sample = samples(app).current
        await pilot.press("f")

        def refused() -> str | None:
            return next((m for m in toasts(app) if "stars refused" in m), None)

        await wait_for(pilot, refused, what="a toast saying the write was refused")
        told = refused() or ""
        assert "could not be read or written" in told and os.path.basename(sample.path) in told
        assert not library.browse.sample(sample.id).favourite and app.is_running
