"""The TUI's parts without a screen: mixer, event coalescing, filters, text fitting, keys, entry."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from soundalike.bridge.events import BridgeActivity
from soundalike.cli import build_parser, default_to_tui
from soundalike.commands import tui as tui_cmd
from soundalike.engine.config import TuiSettings
from soundalike.engine.events import EventBus, Progress, SampleAdded, SampleFailed
from soundalike.tui import format as fmt
from soundalike.tui.filters import FilterState
from soundalike.tui.keys import ACTIONS
from soundalike.tui.live import EngineActivity, FailureDigest, LiveFeed, SamplesChanged
from soundalike.tui.screens.results import breadcrumb
from soundalike.tui.sound.audio import Player
from soundalike.tui.sound.mixer import Mixer
from soundalike.tui.widgets.waveform import render


def test_mixer_fades_between_sounds_without_a_jump():
    mixer = Mixer(48000, channels=2)
    mixer.start(np.full(48000, 0.8, dtype=np.float32))
    first = mixer.render(1024)[:, 0]
    assert first[0] < 0.01 and first[-1] == pytest.approx(0.8)
    mixer.start(np.full(48000, -0.8, dtype=np.float32))
    switch = mixer.render(1024)[:, 0]
    assert np.abs(np.diff(np.concatenate([first[-1:], switch]))).max() < 0.01
    mixer.stop()
    tail = mixer.render(1024)[:, 0]
    assert tail[-1] == 0.0 and not mixer.playing


def test_player_reports_missing_portaudio(monkeypatch):
    class Broken:
        def __getattr__(self, name):
            raise OSError("PortAudio library not found")

    player = Player(module=Broken())
    assert not player.open() and "PortAudio" in player.reason
    player.play(np.zeros(10, dtype=np.float32), 44100)  # a no-op, not a crash
    player.stop()


def test_event_bursts_post_one_message_and_coalesce_into_one_batch():
    bus, posted = EventBus(), []
    feed = LiveFeed(bus, posted.append)
    bus.publish(SampleAdded(0, "/s/early.wav"))  # before the app runs: kept, nothing posted
    assert not posted and feed.start().changed_ids == {0}
    for i in range(1, 1001):
        bus.publish(SampleAdded(i, f"/s/{i}.wav"))
        bus.publish(Progress(i, 1000))
    bus.publish(SampleFailed("/s/x.wav", "not decodable audio"))
    bus.publish(BridgeActivity("127.0.0.1:9001", "/soundalike/similar", "kick.wav -> 10 results"))
    assert len(posted) == 1 and isinstance(posted[0], EngineActivity)
    batch = feed.take()
    assert len(batch.changed_ids) == 1000 and batch.progress == Progress(1000, 1000)
    assert batch.failed == [("/s/x.wav", "not decodable audio")] and len(batch.bridge) == 1
    changed, news = batch.screen_messages()
    assert isinstance(changed, SamplesChanged) and len(changed.ids) == 1000 and len(news.activity) == 1
    assert feed.take().is_empty()
    bus.publish(object())  # not the app's business: no message
    bus.publish(SampleAdded(5000, "/s/late.wav"))
    assert len(posted) == 2 and posted[0].can_replace(posted[1])
    feed.close()
    bus.publish(SampleAdded(5001, "/s/closed.wav"))
    assert len(posted) == 2


def test_failures_are_told_in_one_toast_per_interval():
    digest = FailureDigest(every=5.0)
    assert digest.add([("/s/a.wav", "not audio")], now=100.0) == "Couldn't index a.wav: not audio"
    assert digest.add([("/s/b.wav", "empty"), ("/s/c.wav", "empty")], now=101.0) is None and digest.waiting
    told = digest.add([], now=105.0)
    assert told is not None and told.startswith("2 files couldn't be indexed, e.g. b.wav: empty")
    assert not digest.waiting and digest.add([], now=200.0) is None


def test_filter_state_cycles_and_builds_a_query():
    state = FilterState().cycled("duration").cycled("kind").cycled("favourites")
    query = state.query(TuiSettings())
    assert query.max_duration == 0.5 and query.kind == "one-shot" and query.guess_kind and query.favourites_only
    assert "one-shots" in state.describe()
    assert state.cleared() == FilterState()


def test_fit_keeps_unicode_within_width():
    text = "ドラム/キック 808 très long nom.wav"
    for width in (5, 12, 30):
        cut = fmt.fit(text, width)
        assert fmt.cell_len(cut) == width
    assert fmt.fit(text, 12).endswith("nom.wav ") or fmt.fit(text, 12).startswith("…")
    assert fmt.duration(0.123) == "0.12s" and fmt.duration(75) == "1:15"


@pytest.mark.parametrize(
    "width,expected",
    [
        (80, "similar to a.wav › similar to b.wav › similar to c.wav — 20 results"),
        (60, "… › similar to b.wav › similar to c.wav — 20 results"),
        (45, "… › similar to c.wav — 20 results"),
        (10, "… › similar to c.wav — 20 results"),  # cropped on screen, still saying there is a way back
    ],
)
def test_breadcrumb_of_nested_results_fits_by_dropping_the_oldest(width, expected):
    assert breadcrumb(["similar to a.wav", "similar to b.wav"], "similar to c.wav — 20 results", width) == expected
    assert breadcrumb([], "similar to c.wav", 5) == "similar to c.wav"


def test_waveform_is_the_requested_size():
    rows = render(np.sin(np.linspace(0, 100, 5000)).astype(np.float32), 40, 4)
    assert len(rows) == 4 and all(len(r) == 40 for r in rows)


def test_every_action_has_a_key_setting_and_every_key_setting_an_action():
    settings = {f.name[4:] for f in dataclasses.fields(TuiSettings) if f.name.startswith("key_")}
    assert settings == {a.name for a in ACTIONS}


@pytest.mark.parametrize(
    "argv,expected",
    [
        ([], ["tui"]),
        (["~/Samples"], ["tui", "~/Samples"]),
        (["--data-dir", "lib", "~/Samples"], ["--data-dir", "lib", "tui", "~/Samples"]),
        (["index", "~/Samples"], ["index", "~/Samples"]),
        (["-v", "stats"], ["-v", "stats"]),
        (["--help"], ["--help"]),
    ],
)
def test_bare_soundalike_runs_the_app(argv, expected):
    assert default_to_tui(argv, build_parser()) == expected


def test_no_folder_and_an_empty_library_opens_the_demo(make_settings, monkeypatch, tmp_path):
    from soundalike.engine.library.facade import Library
    from tests.conftest import TEST_BACKENDS

    built = []
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(tui_cmd, "build_demo_library", built.append)
    with Library(make_settings(), backends=TEST_BACKENDS) as library:
        assert tui_cmd.choose_roots([], library) is None  # the demo, in a library of its own
        settings = tui_cmd.demo_settings(library.settings)
        assert tui_cmd.open_demo(settings) == [str(tmp_path / "cache" / "soundalike" / "demo-library")]
        assert built == [tmp_path / "cache" / "soundalike" / "demo-library"]
        assert settings.engine.resolved_data_dir() == tmp_path / "cache" / "soundalike" / "demo-data"
        library.add_root(str(tmp_path))
        assert tui_cmd.choose_roots([], library) == []


def test_tui_command_rejects_a_missing_folder(tmp_path, capsys, monkeypatch):
    from soundalike.cli import main

    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))
    assert main(["--data-dir", str(tmp_path / "lib"), str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_docs_list_every_key():
    """docs/tui.md's key table names a key of every action ("docs list every key")."""
    from pathlib import Path

    from soundalike.tui.keys import keys_for, pretty

    table = Path(__file__).parents[2].joinpath("docs", "tui.md").read_text().split("## Keys (defaults)")[1]
    table = table.split("\n\n")[1]
    cells = [line.split("|")[1] for line in table.splitlines()[2:]]
    for action in ACTIONS:
        keys = keys_for(TuiSettings(), action.name)
        shown = {f"`{k}`" for k in keys} | {pretty(k) for k in keys}
        assert any(any(s in cell for s in shown) for cell in cells), f"{action.name} ({keys}) not in docs/tui.md"


def test_a_chord_one_shot_shows_its_chord():
    from soundalike.engine.musical.analysis import Musical
    from soundalike.tui.widgets.detail import musical_line
    from soundalike.tui.widgets.sample_list import music_cell

    facts = Musical(kind="one-shot", kind_confidence=0.9, key=21, key_source="audio", root=45, chord="Am7")
    assert musical_line(facts) == "one-shot 90% · chord Am7"
    assert music_cell(facts) == "Am7"


def test_every_key_is_bound_by_the_part_that_runs_it():
    """Each action of the keymap is bound by the app, a screen or a widget, and runs there: its
    action is a method of the class that declares the binding, never handed on (``app.``, ``screen.``)."""
    from textual.binding import BindingsMap

    from soundalike.tui.app import SoundalikeApp
    from soundalike.tui.screens.base import AppScreen
    from soundalike.tui.screens.browser import BrowserScreen
    from soundalike.tui.screens.kit import KitScreen
    from soundalike.tui.screens.listing import ListingScreen
    from soundalike.tui.screens.map import MapScreen
    from soundalike.tui.screens.results import ResultsScreen
    from soundalike.tui.widgets.sample_list import SampleList

    names, bound, wrong = {a.name for a in ACTIONS}, set(), []
    for part in (
        SoundalikeApp,
        AppScreen,
        ListingScreen,
        BrowserScreen,
        ResultsScreen,
        KitScreen,
        MapScreen,
        SampleList,
    ):
        declared = BindingsMap(part.__dict__.get("BINDINGS", [])).key_to_bindings.values()
        for binding in (b for bs in declared for b in bs if b.id in names):
            bound.add(binding.id)
            if not hasattr(part, "action_" + binding.action.split("(")[0]):
                wrong.append(f"{part.__name__} binds {binding.id} to {binding.action}")
    assert not wrong
    assert bound == names, f"bound nowhere: {sorted(names - bound)}"
