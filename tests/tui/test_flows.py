"""The main flows, driven with Pilot over a real engine on a temp library."""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading

import numpy as np

from soundalike.bridge.events import BridgeActivity, BridgeState
from soundalike.engine.config import TuiSettings
from soundalike.engine.store import reads
from soundalike.engine.store import writes as cat
from soundalike.engine.tools.demo import render
from soundalike.tui.screens.browser import BrowserScreen
from soundalike.tui.screens.help import HelpScreen
from soundalike.tui.screens.results import ResultsScreen
from soundalike.tui.screens.tag_picker import TagPicker
from soundalike.tui.widgets.bridge_panel import BridgePanel
from soundalike.tui.widgets.folder_tree import FolderTree
from soundalike.tui.widgets.sample_list import SampleList
from tests.conftest import catalog_of, write
from tests.tui.conftest import in_thread, make_app, shows_path, wait_for


def samples(app) -> SampleList:
    return app.screen.query_one(SampleList)


def browse_all(library):
    return reads.list_samples(catalog_of(library), limit=1000)


def detail_text(app) -> str:
    return str(app.screen.query_one("#facts").render())


async def test_browse_moves_through_the_library_and_folders_filter(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="24 rows")
        first = samples(app).current
        await pilot.press("j", "down")
        assert samples(app).cursor == 2
        assert shows_path(detail_text(app), samples(app).current.path)
        await pilot.press("k")
        assert samples(app).cursor == 1 and samples(app).current.id != first.id
        await pilot.press("G")
        assert samples(app).cursor == 23
        tree = app.screen.query_one(FolderTree)
        await wait_for(pilot, lambda: tree.root.children, what="roots in the tree")
        root = tree.root.children[0]
        root.expand()
        await wait_for(pilot, lambda: len(root.children) == 2, what="kit folders")
        tree.focus()
        tree.move_cursor(root.children[1])
        await pilot.press("enter")
        await wait_for(pilot, lambda: samples(app).source.count == 12, what="one kit")
        assert all("Kit 1" in samples(app).source.row(i).path for i in range(12))


async def test_audition_streams_through_one_stream_and_any_key_stops(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.player.available, what="audio open")
        await pilot.press("space")
        await wait_for(pilot, lambda: app.player.playing, what="playback")
        stream = fake_sd.streams[0]
        assert stream.started and stream.kwargs["samplerate"] == 48000
        audio = stream.pull(4800)
        assert np.abs(audio).max() > 0.05
        assert abs(audio[0]).max() < 0.01  # fades in: no click
        await pilot.press("j")  # the next key stops the sound
        stream.pull(2048)
        assert not app.player.playing
        await pilot.press("a", "j")  # auto-play on cursor move
        await wait_for(pilot, lambda: app.player.playing, what="auto-play")
        assert len(fake_sd.streams) == 1  # the device was opened once


async def test_without_an_output_device_the_app_runs_and_says_why(indexed, fake_sd):
    fake_sd.device_error = "Error querying device -1"
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.status_state.audio == "off", what="audio off")
        assert "no audio output device" in app.player.reason
        await pilot.press("space", "j", "s")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen.hits, what="results")
        assert not fake_sd.streams


async def test_similar_shows_scored_results_and_back_keeps_the_cursor(indexed, fake_sd, drum_folder):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        kick = str(drum_folder / "Kit 0" / "kick_1.wav")
        index = samples(app).source.index_of(indexed.library.browse.sample_by_path(kick).id)
        samples(app).move_to(index)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen.hits, what="results")
        hits = app.screen.hits
        assert len(hits) == 20 and kick not in [h.path for h in hits]
        assert sum("kick" in h.path for h in hits[:3]) >= 2
        assert hits[0].score >= hits[-1].score
        second = hits[1].sample
        await pilot.press("j", "s")  # similar again, from a result: the same screen, new results
        await wait_for(
            pilot,
            lambda: (
                app.screen.hits
                and "similar to " + os.path.basename(second.path) == app.screen.title_text
                and app.screen.hits != hits
            ),
            what="second results",
        )
        assert second.path not in [h.path for h in app.screen.hits]
        await pilot.press("escape")  # back to the first results, then to the library
        assert isinstance(app.screen, ResultsScreen) and app.screen.hits == hits
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen) and samples(app).current.path == kick


def title(app) -> str:
    return str(app.screen.query_one("#title").render())


def similar_to(sample) -> str:
    return "similar to " + os.path.basename(sample.path)


async def similar(pilot, app, sample):
    await pilot.press("s")
    await wait_for(
        pilot,
        lambda: (
            isinstance(app.screen, ResultsScreen)
            and app.screen.title_text == similar_to(sample)
            and "results" in title(app)
        ),
        what=similar_to(sample),
    )


async def test_esc_after_nested_similar_goes_back_one_level_at_a_time(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("j", "j", "j")
        start = samples(app).current
        await similar(pilot, app, start)
        outer = app.screen.hits
        await pilot.press("j", "j")
        second = samples(app).current
        assert title(app).startswith(similar_to(start) + " — 20 results")
        await similar(pilot, app, second)
        assert app.screen.hits != outer and samples(app).cursor == 0  # new results: from the best match
        assert title(app).startswith(f"{similar_to(start)} › {similar_to(second)} — ")  # the trail
        await pilot.press("j", "s")  # a third level
        third = app.screen.outer[-1].source.row(app.screen.outer[-1].cursor)
        await wait_for(
            pilot, lambda: app.screen.title_text == similar_to(third) and "results" in title(app), what="third results"
        )
        assert f"{similar_to(second)} › {similar_to(third)} — 20 results  (Esc: back)" in title(app)

        await pilot.press("escape")
        assert isinstance(app.screen, ResultsScreen) and app.screen.title_text == similar_to(second)
        assert samples(app).cursor == 1 and samples(app).current.id == third.id
        await pilot.press("escape")
        assert isinstance(app.screen, ResultsScreen) and app.screen.hits == outer
        assert samples(app).cursor == 2 and samples(app).current.id == second.id
        assert title(app) == similar_to(start) + " — 20 results  (Esc: back)"
        assert shows_path(detail_text(app), second.path)  # the detail pane follows the restored cursor
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen) and samples(app).current.id == start.id

        await similar(pilot, app, start)  # from the library again: a fresh start, nothing to go back to
        assert app.screen.outer == [] and title(app).startswith(similar_to(start) + " — ")
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)


async def test_esc_while_nested_results_load_keeps_the_outer_ones(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await similar(pilot, app, samples(app).current)
        outer, gate = app.screen.hits, threading.Event()
        await pilot.press("j")
        app.show_results("slow", lambda: gate.wait(10) and list(reversed(outer)))
        await wait_for(pilot, lambda: "slow — searching…" in title(app), what="searching")
        await pilot.press("escape")
        assert app.screen.hits == outer and samples(app).cursor == 1
        gate.set()  # the slow answer arrives after Esc: it must not land
        await pilot.pause(0.3)
        assert app.screen.hits == outer and not app.screen.outer and "slow" not in title(app)
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)


async def test_search_filters_as_you_type_and_enter_falls_back_without_clap(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", *"snare")
        await wait_for(pilot, lambda: samples(app).source.count == 6, what="6 snares")
        await pilot.press("enter")
        await wait_for(pilot, lambda: any("clap" in n.message for n in app._notifications), what="clap note")
        assert samples(app).source.count == 6 and samples(app).has_focus
        await pilot.press("x")
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="filters cleared")


async def test_favourite_and_favourites_filter_keep_the_cursor(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("j", "j", "j")
        chosen = samples(app).current
        await pilot.press("f")
        await wait_for(pilot, lambda: samples(app).current.favourite, what="star")
        assert samples(app).current.id == chosen.id and indexed.library.browse.sample(chosen.id).favourite
        await pilot.press("F")
        await wait_for(pilot, lambda: samples(app).source.count == 1, what="favourites only")
        assert samples(app).current.id == chosen.id


async def test_a_new_file_appears_live_without_moving_the_cursor(service, drum_folder, fake_sd):
    app = make_app(service, roots=[str(drum_folder)])
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="initial indexing")
        await in_thread(service.wait_idle, 30)
        await pilot.press("j", "j", "j", "j", "j")
        before = samples(app).current
        write(drum_folder / "Kit 0" / "aaa_new_kick.wav", render("kick", 4242))
        # the watcher picks it up when it runs; a rescan publishes the same events either way
        await in_thread(service.library.scan)
        await wait_for(pilot, lambda: samples(app).source.count == 25, what="the new file")
        assert samples(app).current.id == before.id and samples(app).cursor == 6
        await wait_for(pilot, lambda: app.status_state.counts.get("ok") == 25, what="the status bar's counts")


async def test_failed_files_are_listed_with_their_reason_and_never_block(service, drum_folder, fake_sd):
    (drum_folder / "broken.wav").write_text("not audio at all")
    service.library.scan([drum_folder])
    app = make_app(service)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("e", "e")  # status: ok, then failed
        await wait_for(pilot, lambda: samples(app).source.count == 1, what="the failed file")
        assert "not decodable audio" in detail_text(app)
        await pilot.press("space")
        await wait_for(pilot, lambda: any("Can't play" in n.message for n in app._notifications), what="note")
        await pilot.press("x")
        await wait_for(pilot, lambda: samples(app).source.count == 25, what="all files again")
        assert samples(app).current.path.endswith("broken.wav")  # the cursor stayed on it
        at = samples(app).cursor
        await pilot.press("k")
        assert samples(app).cursor == at - 1 and samples(app).current.status == "ok"


async def test_vanished_drive_shows_offline_and_still_browses(service, drum_folder, tmp_path, fake_sd):
    service.library.scan([drum_folder])
    shutil.move(drum_folder, tmp_path / "unplugged")
    service.library.scan()
    app = make_app(service)
    async with app.run_test(size=(80, 24)) as pilot:
        tree = app.screen.query_one(FolderTree)
        await wait_for(pilot, lambda: tree.root.children, what="root")
        assert "(offline)" in str(tree.root.children[0].label)
        await pilot.press("j", "j")
        assert samples(app).current.status == "offline" and "offline" in detail_text(app)


async def test_long_unicode_names_render_at_80x24(service, tmp_path, fake_sd):
    deep = tmp_path / "Échantillons" / ("very long folder name " * 6).strip() / "ドラム"
    name = "キック 808 — très très long nom de fichier " * 3 + ".wav"
    write(deep / name, render("kick", 7))
    service.library.scan([tmp_path / "Échantillons"])
    app = make_app(service)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: samples(app).current is not None, what="the sample")
        line = samples(app).render_line(0).text
        assert "…" in line and ".wav" in line
        assert "キック 808" in detail_text(app) and "…" in detail_text(app)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)


async def test_keys_come_from_config_and_help_lists_them(indexed, fake_sd):
    tui = dataclasses.replace(TuiSettings(), key_similar=("z",), key_down=("n",))
    app = make_app(indexed, tui=tui)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("n")
        assert samples(app).cursor == 1
        await pilot.press("question_mark")
        assert ("Find", "z", "the most similar samples in the whole library") in app.screen.rows
        assert "press z on one you like" in str(app.screen.query("Static").first().render())
        await pilot.press("escape", "z")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), what="results via z")


async def test_configured_keys_reach_the_screen_that_binds_them(indexed, fake_sd):
    """A [tui] key applies wherever its action is bound: the results' own sort, the listing's columns."""
    tui = dataclasses.replace(TuiSettings(), key_sort=("u",), key_columns=("v",))
    app = make_app(indexed, tui=tui)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen) and app.screen.hits, what="results")
        await pilot.press("O")  # the default key is not bound any more
        assert samples(app).source.sort == "score"
        await pilot.press("u")
        assert samples(app).source.sort != "score"
        await pilot.press("v")
        assert samples(app).extra


async def test_tag_picker_and_loop_filter(indexed, fake_sd):
    library = indexed.library
    with catalog_of(library).transaction() as tx:
        for row in browse_all(library):
            cat.store_tags(tx, row.id, "test", {"kick": 0.9 if "kick" in row.path else 0.1})
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker), what="tag picker")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: samples(app).source.count == 6, what="6 kicks")
        assert samples(app).render_line(0).text.count("kick") >= 2  # name and tag columns
        await pilot.press("x", "o", "o")  # loops: cymbals here are under loop_min_seconds, so none
        await wait_for(
            pilot, lambda: app.screen.state.kind == "loop" and samples(app).source.count == 0, what="no loops"
        )
        assert "no samples here" in detail_text(app)


async def test_bridge_activity_shows_in_its_panel(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        indexed.events.publish(BridgeState(osc="listening on 127.0.0.1:9000"))
        indexed.events.publish(BridgeActivity("127.0.0.1:53211", "/soundalike/similar", "kick_0.wav -> 10 results"))
        await pilot.press("b")
        panel = app.screen.query_one(BridgePanel)
        await wait_for(pilot, lambda: panel.count == 1, what="activity line")
        assert panel.has_class("shown") and "listening on 127.0.0.1:9000" in app.status_state.bridge.osc
        assert any("/soundalike/similar" in line.text for line in panel.lines)
