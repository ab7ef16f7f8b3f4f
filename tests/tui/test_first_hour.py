"""What a new user tripped on in the app's first hour over a real folder, each driven as they did it."""

from __future__ import annotations

import dataclasses
import os
import re

import numpy as np
import pytest
import soundfile as sf
from rich.cells import cell_len
from textual.widgets import Input, Static

from soundalike.commands.map import symbols
from soundalike.engine.config import TuiSettings
from soundalike.engine.errors import UserError
from soundalike.engine.library.collapse import Group
from soundalike.engine.library.facade import Hit, Library
from soundalike.engine.store.lock import LibraryLocked
from soundalike.engine.tools.demo import render
from soundalike.tui.export import export_files
from soundalike.tui.screens.browser import BrowserScreen
from soundalike.tui.screens.kit import KitScreen
from soundalike.tui.screens.map import MapScreen, legend_text
from soundalike.tui.screens.results import ResultsScreen
from soundalike.tui.widgets.key_hints import KeyHints
from soundalike.tui.widgets.map_render import PALETTE, colours
from soundalike.tui.widgets.sample_list import SampleList
from soundalike.tui.widgets.status_bar import StatusBar
from tests.conftest import TEST_BACKENDS, write
from tests.tui.conftest import in_thread, make_app, wait_for
from tests.tui.test_session_fixes import tag_by_name


def samples(app) -> SampleList:
    return app.screen.query_one(SampleList)


def title(app) -> str:
    return str(app.screen.query_one("#title", Static).render())


def status_line(app) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def test_the_results_status_bar_counts_samples_added_while_it_was_away(indexed, drum_folder, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="24 rows")
        await pilot.press("s")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ResultsScreen) and samples(app).source.count, what="results"
        )
        assert "24 samples" in status_line(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, BrowserScreen), what="back to the library")
        for take in range(3):
            write(drum_folder / "Kit 9" / f"kick_{take}.wav", render("kick", seed=900 + take))
        await in_thread(indexed.library.scan)
        await wait_for(pilot, lambda: "27 samples" in status_line(app), what="the library's bar counts 27")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), what="results again")
        await pilot.pause(0.1)
        assert "27 samples" in status_line(app)


async def test_enter_without_a_text_model_explains_once_then_says_one_line(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="24 rows")
        for word in ("snare", "kick"):
            await pilot.press("slash", *word, "enter")
            await wait_for(pilot, lambda: samples(app).has_focus, what="back on the list")
            await pilot.press("escape")
        await wait_for(pilot, lambda: len(app._notifications) >= 2, what="two notes")
        first, second = [n.message for n in app._notifications]
        assert "clap" in first and "clap" not in second  # how to get a text model: once
        assert "\n" not in second and len(second) < 60


async def test_down_leaves_the_search_box_for_the_list(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="24 rows")
        await pilot.press("slash", *"snare")
        await wait_for(pilot, lambda: samples(app).source.count == 6, what="6 snares")
        await pilot.press("down")
        assert samples(app).has_focus and app.screen.state.text == "snare"
        await pilot.press("down")
        assert samples(app).cursor == 1  # the list's own down from there
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and "results" in title(app), what="results")
        box = app.screen.query_one("#results-search", Input)
        await pilot.press("slash", *"kick")
        await wait_for(pilot, lambda: box.value == "kick", what="words typed")
        await pilot.press("down")
        assert samples(app).has_focus
        await wait_for(pilot, lambda: app.screen.asked.filters.text == "kick", what="the words kept")


def test_export_as_wav_converts_other_formats_and_copies_wavs(tmp_path):
    tone = (0.5 * np.sin(np.linspace(0, 200, 4410))).astype(np.float32)
    flac = write(tmp_path / "in" / "snare.flac", tone, subtype="PCM_24")
    aiff = write(tmp_path / "in" / "hat.aiff", np.stack([tone, tone], axis=1), rate=48000)
    wav = write(tmp_path / "in" / "kick.wav", tone)
    report = export_files([str(flac), str(aiff), str(wav)], str(tmp_path / "out"), fmt="wav")
    assert sorted(os.listdir(tmp_path / "out")) == ["hat.wav", "kick.wav", "snare.wav"]
    assert report.converted == 2 and "2 converted to WAV" in report.summary("out", "copy")
    snare, hat = sf.info(str(tmp_path / "out" / "snare.wav")), sf.info(str(tmp_path / "out" / "hat.wav"))
    assert (snare.format, snare.subtype, snare.samplerate) == ("WAV", "PCM_24", 44100)
    assert (hat.format, hat.channels, hat.samplerate) == ("WAV", 2, 48000)
    assert np.allclose(sf.read(str(tmp_path / "out" / "snare.wav"))[0], sf.read(str(flac))[0])
    assert (tmp_path / "out" / "kick.wav").read_bytes() == wav.read_bytes()
    again = export_files([str(flac)], str(tmp_path / "out"), fmt="wav")  # never over another file
    assert again.done == [str(tmp_path / "out" / "snare (2).wav")]


async def test_export_key_converts_when_the_setting_asks(indexed, fake_sd, tmp_path, drum_folder):
    flac = write(drum_folder / "Kit 0" / "aaa_tom.flac", render("tom", seed=5))
    indexed.library.scan([drum_folder])
    project = tmp_path / "Project"
    app = make_app(indexed, tui=dataclasses.replace(TuiSettings(), project_folder=str(project), export_format="wav"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).current is not None, what="the library")
        assert samples(app).current.path == str(flac)
        await pilot.press("y")
        await wait_for(pilot, lambda: (project / "aaa_tom.wav").exists(), what="the WAV copy")
        assert sf.info(str(project / "aaa_tom.wav")).format == "WAV"


async def test_index_while_the_app_is_open_names_the_app_and_a_missing_folder_first(
    service, drum_folder, fake_sd, tmp_path
):
    app = make_app(service, roots=[str(drum_folder)])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: service.library.lock.held, what="the app owns the library")
        with Library(service.settings, backends=TEST_BACKENDS) as other:  # what `soundalike index` opens
            with pytest.raises(LibraryLocked, match=r"in use by the soundalike app \(pid"):
                await in_thread(other.scan, [str(drum_folder)])
            with pytest.raises(UserError, match=rf"^{tmp_path / 'not here'} is not a folder$"):
                await in_thread(other.scan, [str(tmp_path / "not here")])


def test_a_user_tag_gets_its_own_symbol_and_colour_on_the_map():
    kinds = ("boomy", "kick", "my fav", "other")
    symbol = symbols(kinds)
    assert symbol["kick"] == "K" and symbol["other"] == "·"
    assert len(set(symbol.values())) == 4  # "boomy" and "my fav" share neither "·" nor one symbol
    rgb = colours(kinds)
    assert rgb[1] == PALETTE["kick"] and rgb[3] == PALETTE["other"] and len(set(rgb)) == 4


def test_the_map_legend_wraps_between_entries_instead_of_being_cut():
    items = [
        (name, 10 + i, (200, 100, 50))
        for i, name in enumerate(
            ("open hat", "clap", "closed hat", "kick", "rim", "snare", "tom", "cymbal", "shaker", "other", "boomy")
        )
    ]
    lines = legend_text(items, 118).plain.splitlines()
    assert len(lines) == 2 and all(cell_len(line) <= 118 for line in lines)
    assert all(f"■ {name} {count}" in "\n".join(lines) for name, count, _ in items)  # no entry split or cut
    assert all(cell_len(line) <= 78 for line in legend_text(items, 78).plain.splitlines())


async def test_at_80x24_a_folded_row_shows_its_whole_file_name(indexed, fake_sd, drum_folder):
    for kit, seed in (("Pearl", 7), ("Ludwig", 8)):  # the query's own layers fold into it, not into a row
        kick = render("kick", seed=seed)
        for level, word in ((0.3, "Soft"), (0.6, "Med"), (1.0, "Hard")):
            write(drum_folder / f"{kit} Kit" / "Kick" / f"{kit}Kick-{word}.wav", kick * level)
    indexed.library.scan([drum_folder])
    app = make_app(indexed)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"PearlKick-Med")
        await wait_for(pilot, lambda: samples(app).source.count == 1, what="the one kick")
        await pilot.press("down", "s")
        await wait_for(
            pilot, lambda: isinstance(app.screen, ResultsScreen) and samples(app).source.count, what="results"
        )
        await pilot.pause(0.1)
        lines = [samples(app).render_line(y).text for y in range(samples(app).source.count)]
        folded = [line for line in lines if "LudwigKick" in line]
        assert folded and "▸" in folded[0], lines
        assert re.search(r"/LudwigKick-(Soft|Med|Hard)\.wav \+\d ", folded[0])  # whole, and how many


async def test_the_kit_and_map_keys_fit_80_columns(indexed, fake_sd):
    tag_by_name(indexed.library)
    app = make_app(indexed)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: samples(app).current is not None, what="the library")
        for key, screen in (("K", KitScreen), ("p", MapScreen)):
            await pilot.press(key)
            await wait_for(pilot, lambda s=screen: isinstance(app.screen, s), what=screen.__name__)
            hints = str(app.screen.query_one(KeyHints).render()).rstrip()
            assert hints.endswith("Esc  back") and cell_len(hints) <= 80
            await pilot.press("escape")


async def test_a_folded_group_is_shown_and_played_by_its_lead(indexed, fake_sd, drum_folder):
    """The engine picks a group's lead (the loudest layer, not the softest that scored best); the
    row, the detail and Space all use that lead, whatever its members scored."""
    library = indexed.library
    soft, hard, snare = (
        library.browse.sample_by_path(drum_folder / "Kit 0" / name)
        for name in ("kick_0.wav", "kick_1.wav", "snare_0.wav")
    )
    group = Group(Hit(hard, 0.91), layers=(Hit(soft, 0.99),))
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).current is not None, what="the library")
        app.show_results("layers", lambda: [group, Group(Hit(snare, 0.95))])
        await wait_for(
            pilot, lambda: isinstance(app.screen, ResultsScreen) and samples(app).source.count == 2, what="two rows"
        )
        line = samples(app).render_line(0).text
        assert samples(app).current.id == hard.id and "kick_1.wav" in line
        assert "0.990" in line  # the group ranks by its best score, above the snare's 0.95
        await pilot.press("space")
        await wait_for(pilot, lambda: app.status_state.playing == "kick_1.wav", what="the lead plays")
