"""Kit screen, drum map and listen key, driven with Pilot over a real engine on the built-in backend."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from textual.widgets import DataTable

from soundalike.engine.config import EngineSettings, Settings, TuiSettings
from soundalike.engine.live.service import EngineService
from soundalike.tui.screens.kit import KitScreen
from soundalike.tui.screens.map import MapScreen
from soundalike.tui.screens.results import ResultsScreen
from soundalike.tui.widgets.map_view import MapView
from tests.fake_input import FakeInputDevice
from tests.kit_sounds import write_kit
from tests.tui.conftest import FakeSoundDevice, in_thread, make_app, wait_for


class FakeAudioDevices(FakeSoundDevice):
    """Output for audition (the TUI's fake) and an input stream that plays back ``audio``."""

    def __init__(self, audio=None, rate=44100, input_error=None):
        super().__init__()
        self.recorder = FakeInputDevice(audio, rate, input_error)
        self.recorder.PortAudioError = self.PortAudioError

    def query_devices(self, device=None, kind=None):
        if kind == "input":
            return self.recorder.query_devices(device, kind)
        return super().query_devices(device, kind)

    def InputStream(self, **kwargs):  # noqa: N802
        return self.recorder.InputStream(**kwargs)


@pytest.fixture(scope="module")
def kit_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("tui-kits")
    for kit in range(2):
        write_kit(root / f"Kit {kit}", kit)
    return root


@pytest.fixture
def kit_service(kit_root, tmp_path):
    tui = TuiSettings(kit_folder=str(tmp_path / "kits"), listen_seconds=1.5)
    settings = Settings(
        engine=EngineSettings(
            data_dir=str(tmp_path / "data"), backends=("builtin",), default_backend="builtin", workers=1
        ),
        tui=tui,
    )
    with EngineService(settings) as service:
        service.library.scan([str(kit_root)])
        yield service


def install_sd(monkeypatch, devices) -> None:
    monkeypatch.setitem(sys.modules, "sounddevice", devices)


async def open_on(pilot, app, name: str) -> None:
    """Put the browser's cursor on the file called ``name``."""
    from soundalike.tui.widgets.sample_list import SampleList

    lst = app.screen.query_one(SampleList)
    await wait_for(pilot, lambda: lst.source.count > 0, what="rows")
    index = next(i for i in range(lst.source.count) if lst.source.row(i).path.endswith(name))
    lst.move_to(index)
    await pilot.pause()


async def test_kit_screen_builds_cycles_locks_and_exports(kit_service, monkeypatch, tmp_path):
    install_sd(monkeypatch, FakeAudioDevices())
    app = make_app(kit_service)
    async with app.run_test(size=(110, 34)) as pilot:
        await open_on(pilot, app, "Kit 0/Kick-Med.wav")
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(app.screen, KitScreen) and app.screen.kit is not None, what="kit")
        screen = app.screen
        table = screen.query_one(DataTable)
        assert table.row_count == 11 and str(table.get_row_at(0)[2]) == "Kick-Med.wav"
        await pilot.press("j", "k", "down")  # snare
        first = screen.current_sample().path
        await pilot.press("right")
        assert screen.current_sample().path != first and str(table.get_row_at(1)[4]).startswith("2/")
        await pilot.press("L", "right")
        assert str(table.get_row_at(1)[5]) == "locked" and str(table.get_row_at(1)[4]).startswith("2/")
        await pilot.press("w")
        folder = tmp_path / "kits" / "kit-Kick-Med"
        await wait_for(
            pilot,
            lambda: (folder / "sfz" / "kit.sfz").exists() and any((folder / "hydrogen").glob("*/drumkit.xml")),
            what="export written",
        )
        await wait_for(pilot, lambda: any("Kit written" in n.message for n in app._notifications), what="the message")
        message = next(n.message for n in app._notifications if "Kit written" in n.message)
        named = message.split(": ", 1)[1].split(", ")  # every file it names is where it says
        assert len(named) == 3 and all((folder / relative).is_file() for relative in named), message
        kick = str(table.get_row_at(0)[2])
        await pilot.press("r", "r", "r")
        assert str(table.get_row_at(0)[2]) == kick == "Kick-Med.wav"  # the seed keeps its slot
        await pilot.press("escape")
        assert not isinstance(app.screen, KitScreen)


async def test_map_places_every_sample_and_snaps_to_the_nearest(kit_service, monkeypatch):
    install_sd(monkeypatch, FakeAudioDevices())
    app = make_app(kit_service)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, MapScreen) and app.screen.points is not None, what="map")
        screen = app.screen
        view = screen.query_one(MapView)
        total = kit_service.library.stats()["by_status"].get("ok", 0)
        assert len(screen.points) == total and view.selected is not None
        before = screen.current_sample()
        # any key stops the sound, so stop on the key that moved the cursor to another sample
        for _ in range(60):
            await pilot.press("right")
            after = screen.current_sample()
            if after is not None and after.id != before.id:
                break
        assert after is not None and after.id != before.id
        await wait_for(pilot, lambda: app.status_state.playing == Path(after.path).name, what="audition")
        chosen = screen.points.xy[view.selected]
        dists = np.hypot(*(screen.points.xy - [view.cursor.x, view.cursor.y]).T)
        assert np.isclose(np.hypot(*(chosen - [view.cursor.x, view.cursor.y])), dists.min())
        await pilot.press("f")
        await wait_for(pilot, lambda: kit_service.library.browse.sample(after.id).favourite, what="the star")
        await pilot.press("plus")
        assert view.view.x1 - view.view.x0 == pytest.approx(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen.hits, what="similar")
        assert Path(app.screen.title_text.removeprefix("similar to ")).name == Path(after.path).name


async def test_map_keeps_its_projection_when_a_sample_lands(kit_service, monkeypatch, kit_root, tmp_path):
    from soundalike.engine.tools.drum_map import DrumMap

    library = kit_service.library
    before = DrumMap(library).points()
    extra = tmp_path / "more"
    write_kit(extra, 7)
    library.scan([str(extra)])
    after = DrumMap(library).points()
    old = np.isin(after.ids, before.ids)
    assert len(after) > len(before)
    order = np.argsort(before.ids)
    same = np.searchsorted(before.ids[order], after.ids[old])
    assert np.allclose(after.xy[old], before.xy[order][same])  # nothing already there moved


async def test_listen_key_records_and_shows_results(kit_service, monkeypatch, kit_root):
    snare, rate = sf.read(kit_root / "Kit 1" / "Snare-1.wav", dtype="float32")
    audio = np.zeros(int(1.5 * rate), np.float32)
    audio[int(0.2 * rate) : int(0.2 * rate) + snare.size] = snare[: audio.size - int(0.2 * rate)]
    install_sd(monkeypatch, FakeAudioDevices(audio, rate))
    app = make_app(kit_service)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen.hits, what="results")
        assert app.screen.title_text.startswith("recording ")
        assert app.screen.hits[0].path == str(kit_root / "Kit 1" / "Snare-1.wav")


async def test_listen_without_input_says_so_and_offers_the_file_route(kit_service, monkeypatch):
    install_sd(monkeypatch, FakeAudioDevices(input_error="no default input device"))
    app = make_app(kit_service)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("R")
        await wait_for(
            pilot,
            lambda: any("similar FILE --from" in str(n.message) for n in app._notifications),
            what="the no-input notice",
        )


async def test_open_map_places_new_files_without_moving_or_playing(kit_service, monkeypatch, tmp_path):
    install_sd(monkeypatch, FakeAudioDevices())
    app = make_app(kit_service)
    async with app.run_test(size=(100, 34)) as pilot:
        await pilot.press("p")
        await wait_for(pilot, lambda: isinstance(app.screen, MapScreen) and app.screen.points is not None, what="map")
        screen, before = app.screen, len(app.screen.points)
        view = screen.query_one(MapView)
        await pilot.press("plus")
        window = view.view
        write_kit(tmp_path / "landed", 9)
        await in_thread(kit_service.library.scan, [str(tmp_path / "landed")])
        await wait_for(pilot, lambda: len(screen.points) > before, what="new samples placed")
        assert view.view == window and not app.status_state.playing
