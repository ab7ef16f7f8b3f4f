"""Snapshots of the kit screen and the drum map at 80×24 (a fixed library path, the built-in backend).

Update after a deliberate change: pytest tests/tui/test_explore_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest

from soundalike.engine.config import EngineSettings, Settings
from soundalike.engine.live.service import EngineService
from soundalike.tui.screens.kit import KitScreen
from soundalike.tui.screens.map import MapScreen
from tests.kit_sounds import write_kit
from tests.tui.conftest import fixed_folder, make_app, wait_for

#: One fixed folder for the file: its tests share one xdist worker (fixed_folder makes others wait).
pytestmark = pytest.mark.xdist_group("explore-snapshots")
FIXED_ROOT = Path("/tmp/soundalike-explore-snapshots/Samples")


@pytest.fixture
def explore_service(tmp_path, fake_sd):
    with fixed_folder(FIXED_ROOT):
        for kit in range(2):
            write_kit(FIXED_ROOT / f"Kit {kit}", kit)
        settings = Settings(
            engine=EngineSettings(
                data_dir=str(tmp_path / "data"), backends=("builtin",), default_backend="builtin", workers=1
            )
        )
        with EngineService(settings) as service:
            service.library.scan([FIXED_ROOT])
            yield service


async def waveform_drawn(pilot) -> None:
    await wait_for(pilot, lambda: str(pilot.app.screen.query_one("#wave").render()).strip(), what="waveform")
    await pilot.pause(0.1)


def test_kit_screen_at_80x24(snap_compare, explore_service):
    async def run_before(pilot):
        await waveform_drawn(pilot)
        await pilot.press("K")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, KitScreen) and pilot.app.screen.kit, what="kit")
        await pilot.press("down", "right", "L")
        await waveform_drawn(pilot)

    assert snap_compare(make_app(explore_service), terminal_size=(80, 24), run_before=run_before)


def test_drum_map_at_80x24(snap_compare, explore_service):
    async def run_before(pilot):
        await waveform_drawn(pilot)
        await pilot.press("p")
        await wait_for(
            pilot, lambda: isinstance(pilot.app.screen, MapScreen) and pilot.app.screen.points is not None, what="map"
        )
        await pilot.press("right", "right", "up")
        await wait_for(pilot, lambda: pilot.app.status_state.playing, what="the map auditions the selection")
        await waveform_drawn(pilot)

    assert snap_compare(make_app(explore_service), terminal_size=(80, 24), run_before=run_before)
