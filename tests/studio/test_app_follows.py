"""The app on a reader of a shared catalog lists what other machines record as it lands: the engine
publishes the samples its index follower caught up on, as it publishes its own."""

from __future__ import annotations

import dataclasses
import shutil
import sys

import pytest

from soundalike.engine.events import SampleRemoved, SampleUpdated
from soundalike.engine.library.facade import Library
from soundalike.engine.live.service import EngineService
from soundalike.tui.screens.results import ResultsScreen
from soundalike.tui.widgets.sample_list import SampleList
from tests.conftest import TEST_BACKENDS
from tests.tui.conftest import FakeSoundDevice, make_app, wait_for


@pytest.fixture
def no_audio(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", FakeSoundDevice())


async def test_the_readers_app_lists_a_file_landing_on_another_machine(
    machine_settings, drum_folder, tmp_path, no_audio
):
    away = tmp_path / "later"
    shutil.move(drum_folder / "Kit 1", away)
    roots = {"samples": str(drum_folder)}
    writer = Library(machine_settings("a", roots), backends=TEST_BACKENDS)
    writer.scan([str(drum_folder)])
    settings = machine_settings("b", roots)
    reader = EngineService(  # a reader: it neither scans nor watches the share
        dataclasses.replace(settings, store=dataclasses.replace(settings.store, index=False)), backends=TEST_BACKENDS
    )
    heard: list[object] = []
    reader.events.subscribe(heard.append)
    try:
        reader.start()
        app = make_app(reader)
        async with app.run_test(size=(120, 36)) as pilot:
            listing = app.screen.query_one(SampleList)
            await wait_for(pilot, lambda: listing.source.count == 12, what="the shared library")
            shutil.move(away, drum_folder / "Kit 1")
            writer.scan([str(drum_folder)])
            await wait_for(pilot, lambda: listing.source.count == 24, what="the files landed on machine a")
            kick = str(drum_folder / "Kit 1" / "kick_0.wav")
            assert kick in {e.path for e in heard if isinstance(e, SampleUpdated)}

            writer.remove([kick])
            await wait_for(pilot, lambda: listing.source.count == 23, what="the file forgotten on machine a")
            assert any(isinstance(e, SampleRemoved) for e in heard)
    finally:
        reader.stop()
        writer.close()


def _reader(machine_settings, name: str, roots: dict[str, str], url: str | None = None) -> EngineService:
    settings = machine_settings(name, roots)
    store = dataclasses.replace(settings.store, index=False, url=url or settings.store.url)
    return EngineService(dataclasses.replace(settings, store=store), backends=TEST_BACKENDS)


async def test_the_readers_app_finds_similar_sounds_while_the_server_is_down(
    own_server, machine_settings, drum_folder, no_audio
):
    url = own_server.url("postgres")
    roots = {"samples": str(drum_folder)}
    settings = machine_settings("a", roots)
    with Library(dataclasses.replace(settings, store=dataclasses.replace(settings.store, url=url)), TEST_BACKENDS) as a:
        a.scan([str(drum_folder)])
    reader = _reader(machine_settings, "b", roots, url)
    try:
        reader.start()
        app = make_app(reader)
        async with app.run_test(size=(120, 36)) as pilot:
            listing = app.screen.query_one(SampleList)
            await wait_for(pilot, lambda: listing.source.count == 24, what="the shared library")
            own_server.stop_only()  # then the app, just started, searches for the first time
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), what="the results")
            results = app.screen.query_one(SampleList)
            await wait_for(pilot, lambda: results.source.count > 0, what="similar sounds, from b's own index")
            await pilot.press("down", "down")  # the detail pane, without the catalog's tags
            await pilot.pause()
            assert all(
                row.path.startswith(str(drum_folder)) for row in map(results.source.row, range(results.source.count))
            )
    finally:
        reader.stop()
