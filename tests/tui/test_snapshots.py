"""Snapshots of the key screens at 80×24 (textual is pinned exactly: snapshots change between releases).

The library lives at a fixed path so paths on screen are the same on every run.
Update after a deliberate change: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from soundalike.engine.live.service import EngineService
from soundalike.engine.tools.demo import render
from soundalike.tui.widgets.sample_list import SampleList
from tests.conftest import TEST_BACKENDS, catalog_of, write
from tests.tui.conftest import fixed_folder, make_app, wait_for

#: One fixed folder for the file: its tests share one xdist worker (fixed_folder makes others wait).
pytestmark = pytest.mark.xdist_group("tui-snapshots")
FIXED_ROOT = Path("/tmp/soundalike-tui-snapshots/Samples")


@pytest.fixture
def snapshot_service(make_settings, fake_sd):
    with fixed_folder(FIXED_ROOT):
        yield from _snapshot_service(make_settings)


def _snapshot_service(make_settings):
    for kit in range(2):
        for number, instrument in enumerate(("kick", "snare", "closed hat")):
            for take in range(2):
                name = f"{instrument.replace(' ', '_')}_{take}.wav"
                write(FIXED_ROOT / f"Kit {kit}" / name, render(instrument, seed=kit * 100 + number * 10 + take))
    (FIXED_ROOT / "Kit 1" / "broken.wav").write_text("not audio")
    with EngineService(make_settings(), backends=TEST_BACKENDS) as service:
        service.library.scan([FIXED_ROOT])
        yield service


async def settled(pilot) -> None:
    """Wait until the first row's waveform is drawn and the folder tree is filled."""
    app = pilot.app
    await wait_for(pilot, lambda: str(app.screen.query_one("#wave").render()).strip(), what="waveform")
    await wait_for(
        pilot, lambda: app.screen.query("FolderTree") and app.screen.query_one("FolderTree").root.children, what="tree"
    )
    await pilot.pause(0.1)


def test_browser_at_80x24(snap_compare, snapshot_service):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("j", "j")
        await settled(pilot)

    assert snap_compare(make_app(snapshot_service), terminal_size=(80, 24), run_before=run_before)


def test_failed_file_detail_at_80x24(snap_compare, snapshot_service):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("e", "e")
        await wait_for(pilot, lambda: pilot.app.screen.query_one(SampleList).source.count == 1, what="failed")
        await pilot.pause(0.1)

    assert snap_compare(make_app(snapshot_service), terminal_size=(80, 24), run_before=run_before)


def test_similar_results_at_80x24(snap_compare, snapshot_service):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "hits", None), what="results")
        await wait_for(pilot, lambda: str(pilot.app.screen.query_one("#wave").render()).strip(), what="waveform")
        await pilot.pause(0.1)

    assert snap_compare(make_app(snapshot_service), terminal_size=(80, 24), run_before=run_before)


def test_help_at_80x24(snap_compare, snapshot_service):
    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "HelpScreen", what="help")
        await pilot.pause(0.2)

    assert snap_compare(make_app(snapshot_service), terminal_size=(80, 24), run_before=run_before)


def test_results_with_folded_copies_and_columns_at_80x24(snap_compare, snapshot_service):
    """A copied kit folds into ▸ rows (one opened with l), with the format columns (i)."""
    shutil.copytree(FIXED_ROOT / "Kit 0", FIXED_ROOT / "Kit 0 copy")
    snapshot_service.library.scan([FIXED_ROOT])

    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("s")
        await wait_for(pilot, lambda: "folded" in str(pilot.app.screen.query_one("#title").render()), what="folded")
        await pilot.press("i")
        source = pilot.app.screen.query_one(SampleList).source
        await pilot.press(*["j"] * next(i for i in range(source.count) if source.marker(i)), "l")
        await wait_for(pilot, lambda: str(pilot.app.screen.query_one("#wave").render()).strip(), what="waveform")
        await pilot.pause(0.1)

    assert snap_compare(make_app(snapshot_service), terminal_size=(80, 24), run_before=run_before)


def test_user_tag_prompt_at_80x24(snap_compare, snapshot_service):
    """Two marked samples, the prompt for your own tag, with the tags already in use."""
    from soundalike.engine.store import user_lists

    rows = catalog_of(snapshot_service.library).query("SELECT id FROM samples ORDER BY path LIMIT 1")
    user_lists.add_user_tag(catalog_of(snapshot_service.library), [rows[0][0]], "dusty")

    async def run_before(pilot):
        await settled(pilot)
        await pilot.press("m", "m", "T")
        await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "Prompt", what="prompt")
        await pilot.press(*"punchy")
        await pilot.pause(0.1)

    assert snap_compare(make_app(snapshot_service), terminal_size=(80, 24), run_before=run_before)
