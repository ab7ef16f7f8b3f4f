"""What a producer tripped on in a working session, each driven as they did it."""

from __future__ import annotations

import numpy as np
import pytest
from rich.cells import cell_len

from soundalike.bridge.events import BridgeActivity, BridgeState
from soundalike.engine.store import reads
from soundalike.engine.store import writes as cat
from soundalike.tui import format as fmt
from soundalike.tui.filters import DURATIONS, FilterState
from soundalike.tui.screens.help import HelpScreen
from soundalike.tui.screens.tag_picker import TagPicker
from soundalike.tui.sound.audio import Player
from soundalike.tui.widgets.bridge_panel import BridgePanel
from soundalike.tui.widgets.folder_tree import FolderTree
from soundalike.tui.widgets.sample_list import SampleList
from soundalike.tui.widgets.status_bar import StatusState
from tests.conftest import catalog_of, write
from tests.tui.conftest import make_app, shows_path, wait_for


def samples(app) -> SampleList:
    return app.screen.query_one(SampleList)


def detail_text(app) -> str:
    return str(app.screen.query_one("#facts").render())


def tag_by_name(library) -> None:
    """Give every sample its instrument as a confident tag (a plumbing backend names nothing)."""
    with catalog_of(library).transaction() as tx:
        for row in reads.list_samples(catalog_of(library), limit=1000):
            name = row.path.rsplit("/", 1)[-1].rsplit("_", 1)[0]
            cat.store_tags(tx, row.id, "test", {name: 0.9})


async def test_a_new_filter_or_search_puts_the_cursor_on_the_first_match(indexed, fake_sd):
    tag_by_name(indexed.library)
    app = make_app(indexed)
    async with app.run_test(size=(100, 20)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="24 rows")
        await pilot.press(*["j"] * 12)
        assert samples(app).cursor == 12
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker), what="tag picker")
        app.screen.dismiss("snare")
        await wait_for(pilot, lambda: samples(app).source.count == 6, what="6 snares")
        assert samples(app).cursor == 0 and samples(app).scroll_offset.y == 0
        await wait_for(pilot, lambda: shows_path(detail_text(app), samples(app).current.path), what="detail follows")
        assert "snare" in samples(app).current.path
        await pilot.press("x", "G")  # deep in the list, then search
        await wait_for(pilot, lambda: samples(app).source.count == 24 and samples(app).cursor == 23, what="all")
        await pilot.press("slash", *"cymbal")
        await wait_for(pilot, lambda: samples(app).source.count == 6, what="6 cymbals")
        await wait_for(pilot, lambda: shows_path(detail_text(app), samples(app).current.path), what="detail follows")
        assert samples(app).cursor == 0 and "cymbal" in samples(app).current.path
        cymbal = samples(app).current
        await pilot.press("escape", "x")  # widening keeps the cymbal: highlighted, and in the detail
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="whole list")
        await pilot.pause(0.3)
        assert samples(app).current == cymbal and shows_path(detail_text(app), cymbal.path)
        top = int(samples(app).scroll_offset.y)
        assert top <= samples(app).cursor < top + samples(app).scrollable_content_region.height


async def test_escape_in_the_search_box_drops_its_filter(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="24 rows")
        await pilot.press("slash", *"kick")
        await wait_for(pilot, lambda: samples(app).source.count == 6, what="6 kicks")
        await pilot.press("escape")
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="filter gone")
        assert app.screen.state.text == "" and not app.screen.query_one("#search").has_class("shown")


async def test_toasts_and_labels_show_square_brackets(indexed, fake_sd, drum_folder, tmp_path):
    write(drum_folder / "Kit [808]" / "clap_0.wav", np.sin(np.arange(8000) / 5.0).astype(np.float32) * 0.5)
    indexed.library.scan([str(drum_folder)])
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 25, what="25 rows")
        app.notify("install with pip install 'soundalike[neural]' and add clap to [engine] backends")
        from textual.widgets._toast import Toast  # rendered as the toast widget renders it

        await wait_for(pilot, lambda: list(app._notifications), what="the notification")
        shown = " ".join(str(Toast(note).render()) for note in app._notifications)
        assert "soundalike[neural]" in shown and "[engine]" in shown
        await pilot.press("slash", *"[808]")
        await wait_for(pilot, lambda: app.screen.state.text == "[808]", what="search applied")
        assert "[808]" in str(app.screen.query_one("#filter-bar").render())
        tree = app.screen.query_one(FolderTree)
        await wait_for(pilot, lambda: tree.root.children, what="roots")
        root = tree.root.children[0]
        root.expand()
        await wait_for(pilot, lambda: len(root.children) == 3, what="kit folders")
        assert "Kit [808]" in [str(child.label) for child in root.children]


def test_the_status_bar_fits_120_columns_with_a_long_midi_state():
    state = StatusState(
        counts={"ok": 754},
        backends=("builtin",),
        audio="off",
        autoplay=True,
        bridge=BridgeState(
            osc="listening on 127.0.0.1:9000",
            midi="MIDI unavailable: no ALSA sequencer (/dev/snd/seq is missing: "
            "load snd-seq, or run outside a container); OSC works without it",
        ),
    )
    line = state.line()
    assert cell_len(line.plain) <= 118 and line.plain.endswith("audio off · autoplay")
    assert "MIDI unavailable" in line.plain and "ALSA" not in line.plain
    assert StatusState(counts={"ok": 1}).line().plain.startswith("1 sample ")


async def test_the_bridge_panel_says_each_state_once_and_drops_its_placeholder(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        indexed.events.publish(
            BridgeState(
                osc="listening on 127.0.0.1:9000",
                midi="MIDI unavailable: python-rtmidi is not installed (pip install 'soundalike[midi]')",
            )
        )
        await pilot.press("b")
        panel = app.screen.query_one(BridgePanel)
        await wait_for(pilot, lambda: "rtmidi" in str(panel.border_title), what="state in the title")
        assert "MIDI MIDI" not in str(panel.border_title)
        from textual.content import Content

        assert "soundalike[midi]" in Content.from_markup(panel.border_title).plain  # as it is drawn
        indexed.events.publish(BridgeActivity("127.0.0.1:53211", "/soundalike/similar", "kick_0.wav -> 10 results"))
        await wait_for(pilot, lambda: panel.count == 1, what="a request")
        assert not any("No requests yet" in line.text for line in panel.lines)
        assert "1 request" in str(panel.border_title)


def test_duration_buckets_do_not_overlap(service, tmp_path):
    root = tmp_path / "Lengths"
    for seconds in (0.3, 0.5, 1.0, 2.0, 3.0):
        frames = int(round(seconds * 44100))
        write(root / f"tone_{seconds}.wav", (np.sin(np.arange(frames) / 7.0) * 0.5).astype(np.float32))
    service.library.scan([str(root)])
    catalog, settings = catalog_of(service.library), service.settings.tui
    counts = {name: reads.count_browse(catalog, FilterState(duration=name).query(settings)) for name in DURATIONS}
    assert counts["any"] == 5
    assert counts["short"] + counts["medium"] + counts["long"] == 5, counts
    assert (counts["short"], counts["medium"], counts["long"]) == (1, 2, 2)


class _DeviceRefused:
    """sounddevice loaded fine (PortAudio is there) but opening the output failed."""

    class PortAudioError(Exception):
        pass

    def query_devices(self, device=None, kind=None):
        raise OSError("[Errno -9996] Invalid output device (no default output device)")


def test_audio_says_the_real_reason():
    player = Player(module=_DeviceRefused())
    assert not player.open()
    assert "Invalid output device" in player.reason and "library not found" not in player.reason
    from soundalike.tui.sound.audio import describe_failure

    missing = describe_failure(OSError("PortAudio library not found"), "load")
    assert missing.lower().count("not found") + missing.lower().count("not installed") == 1
    assert "libportaudio2" in missing


async def test_j_and_k_move_in_the_tag_picker(indexed, fake_sd):
    tag_by_name(indexed.library)
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker), what="tag picker")
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        assert options.highlighted == 0
        await pilot.press("j", "j", "k")
        assert options.highlighted == 1


async def test_tree_sorts_like_the_list_and_puts_new_folders_in_place(indexed, fake_sd, drum_folder):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        tree = app.screen.query_one(FolderTree)
        await wait_for(pilot, lambda: tree.root.children, what="roots")
        root = tree.root.children[0]
        root.expand()
        await wait_for(pilot, lambda: len(root.children) == 2, what="kit folders")
        for name in ("aux", "Kit 0b"):
            write(drum_folder / name / "clap.wav", np.sin(np.arange(8000) / 5.0).astype(np.float32) * 0.5)
        indexed.library.scan([str(drum_folder)])
        app.load_folders()
        await wait_for(pilot, lambda: len(root.children) == 4, what="new folders")
        shown = [str(child.label) for child in root.children]
        listed = []
        for row in reads.list_samples(catalog_of(indexed.library), limit=1000):
            folder = row.path[len(str(drum_folder)) + 1 :].split("/")[0]
            if folder not in listed:
                listed.append(folder)
        assert shown == listed == ["Kit 0", "Kit 0b", "Kit 1", "aux"]


async def test_one_sample_is_one_sample(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("slash", *"kick_0")
        await wait_for(pilot, lambda: samples(app).source.count == 2, what="2 rows")
        await pilot.press("backspace", "backspace", *"_0.wav", "escape")
        await pilot.press("slash", *"Kit 1/kick_0")
        await wait_for(pilot, lambda: samples(app).source.count == 1, what="1 row")
        assert "· 1 sample" in str(app.screen.query_one("#filter-bar").render())
        assert "1 samples" not in str(app.screen.query_one("#filter-bar").render())


@pytest.mark.parametrize("width", [30, 40, 60])
def test_a_cut_path_keeps_its_pack_folder_and_file_name(width):
    path = "Vengeance Essential Clubsounds Vol 3/Drums/Snares/VEC3 Snare 042 hard.wav"
    cut = fmt.fit_path(path, width)
    assert cell_len(cut) == width
    assert cut.startswith("Ven") and cut.rstrip().endswith("hard.wav") and "…" in cut


def test_a_cut_path_keeps_the_folder_the_file_sits_in_when_it_fits():
    path = "usr/share/hydrogen/data/drumkits/GMRockKit/24Ride-1.wav"
    assert fmt.fit_path(path, 40).rstrip() == "usr/…/GMRockKit/24Ride-1.wav"
    assert fmt.fit_path(path, 20).rstrip().endswith("24Ride-1.wav")  # no room: the file name wins


async def test_at_80_columns_the_list_shows_the_pack_folder(indexed, fake_sd, drum_folder):
    deep = drum_folder / "Pack Of Sounds" / "Drums" / "Acoustic Kits" / "Snares" / "Room Mics"
    write(deep / "snare_room_close_42.wav", np.sin(np.arange(8000) / 5.0).astype(np.float32) * 0.5)
    indexed.library.scan([str(drum_folder)])
    app = make_app(indexed)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"room_close")
        await wait_for(pilot, lambda: samples(app).source.count == 1, what="the deep file")
        await pilot.pause(0.1)
        line = samples(app).render_line(0).text
        assert "Pack" in line and "…" in line and "close_42.wav" in line


async def test_help_at_80x24_says_it_scrolls(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        from textual.containers import VerticalScroll

        scroll = app.screen.query_one(VerticalScroll)
        await wait_for(pilot, lambda: "more below" in str(scroll.border_subtitle), what="scroll hint")
        await pilot.press("end")
        await wait_for(pilot, lambda: "more above" in str(scroll.border_subtitle), what="hint at the end")
