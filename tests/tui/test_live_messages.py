"""Engine events reach the app as Textual messages that coalesce: published on
other threads, a burst of 10,000 becomes a handful of screen updates that still carry every change."""

from __future__ import annotations

import time

from soundalike.engine.events import Progress, SampleFailed, SampleUpdated
from soundalike.tui import app as app_module
from soundalike.tui.live import EngineActivity, SamplesChanged
from soundalike.tui.screens.browser import BrowserScreen
from soundalike.tui.widgets.sample_list import SampleList
from tests.tui.conftest import in_thread, make_app, wait_for


def samples(app) -> SampleList:
    return app.screen.query_one(SampleList)


async def test_a_burst_of_10000_events_is_a_few_updates_that_miss_nothing(indexed, fake_sd):
    app, seen = make_app(indexed), []
    async with app.run_test(size=(100, 30), message_hook=seen.append) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        ids = [samples(app).source.row(i).id for i in range(24)]
        seen.clear()

        def burst() -> float:
            start = time.monotonic()
            for i in range(10_000):
                indexed.events.publish(SampleUpdated(ids[i % len(ids)], f"/s/{i}.wav"))
                indexed.events.publish(Progress(i + 1, 10_000))
            return time.monotonic() - start

        took = await in_thread(burst)
        await wait_for(pilot, lambda: app.status_state.progress == Progress(10_000, 10_000), what="the last progress")
        await pilot.pause(2 * app_module.APPLY_SECONDS)
        to_browser = [m for m in seen if isinstance(m, SamplesChanged)]  # the browser is the one screen
        assert to_browser and set().union(*(m.ids for m in to_browser)) == set(ids)
        most = 2 + took / app_module.APPLY_SECONDS  # one update per interval, the first at once
        assert len(to_browser) <= most, f"{len(to_browser)} updates for a {took:.2f} s burst"
        assert sum(isinstance(m, EngineActivity) for m in seen) <= most
        assert isinstance(app.screen, BrowserScreen) and samples(app).source.count == 24


async def test_failures_that_come_too_soon_for_a_toast_are_told_later(indexed, fake_sd, monkeypatch):
    monkeypatch.setattr(app_module, "FAILURE_TOAST_SECONDS", 0.5)
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        indexed.events.publish(SampleFailed("/s/a.wav", "not decodable audio"))
        await wait_for(
            pilot,
            lambda: any("Couldn't index a.wav" in n.message for n in app._notifications),
            what="the first failure told",
        )
        for name in ("b.wav", "c.wav"):
            indexed.events.publish(SampleFailed(f"/s/{name}", "empty"))
        await wait_for(
            pilot,
            lambda: any(n.message.startswith("2 files couldn't be indexed, e.g. b.wav") for n in app._notifications),
            what="the later two, in one toast",
        )


async def test_a_star_does_not_recount_every_sample_by_status_and_other_changes_do(indexed, fake_sd, monkeypatch):
    from soundalike.engine.library.browse import LibraryBrowse

    counted: list[float] = []
    real = LibraryBrowse.status_counts

    def status_counts(self):
        counted.append(time.monotonic())
        return real(self)

    monkeypatch.setattr(LibraryBrowse, "status_counts", status_counts)
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        await pilot.pause(2 * app_module.APPLY_SECONDS)
        counted.clear()
        first = samples(app).current
        await pilot.press("f")
        await wait_for(pilot, lambda: samples(app).current.favourite != first.favourite, what="the star shown")
        await pilot.pause(3 * app_module.APPLY_SECONDS)  # the star's own event has come and gone
        assert counted == []
        indexed.events.publish(SampleUpdated(first.id, first.path))  # indexed again: its status may have moved
        await wait_for(pilot, lambda: bool(counted), what="the status counts read again")
