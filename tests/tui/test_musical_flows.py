"""The library view's musical column, sort and "fits this one" filter, driven with Pilot."""

from __future__ import annotations

import pytest

from soundalike.engine.live.service import EngineService
from soundalike.tui.widgets.sample_list import SampleList
from tests.conftest import TEST_BACKENDS, write
from tests.engine.musical import audio as gen
from tests.tui.conftest import make_app, wait_for


@pytest.fixture
def music_service(make_settings, tmp_path):
    root = tmp_path / "Music"
    gen.music_folder(root, write)
    with EngineService(make_settings(), backends=TEST_BACKENDS) as svc:
        svc.library.scan([root])
        yield svc


def rows(app) -> list[str]:
    listing = app.screen.query_one(SampleList)
    return [listing.source.row(i).path.rsplit("/", 1)[1] for i in range(listing.source.count)]


def line_of(app, name: str) -> str:
    listing = app.screen.query_one(SampleList)
    index = rows(app).index(name)
    listing.move_to(index)
    return listing.render_line(index - int(listing.scroll_offset.y)).text


async def test_bpm_key_column_sort_and_fits_filter(music_service, fake_sd):
    app = make_app(music_service)
    async with app.run_test(size=(140, 32)) as pilot:
        await wait_for(pilot, lambda: len(rows(app)) == 10, what="10 rows")
        assert "G2" in line_of(app, "hit_43.wav") and "120 Am" in line_of(app, "groove_0.wav")
        await wait_for(
            pilot,
            lambda: "key Am" in str(app.screen.query_one("#facts").render()),
            what="the detail pane's musical line",
        )
        assert "loop" in str(app.screen.query_one("#facts").render())
        await pilot.press("O")  # sort by BPM: 90 first, samples without a tempo last
        await wait_for(pilot, lambda: rows(app)[0] == "groove_3.wav", what="slowest loop first")
        assert rows(app)[-1] in ("crash.wav", "hit_36.wav", "hit_43.wav", "hit_48.wav")
        await pilot.press("O")  # by key: C (0) before Am (21), keyless last
        await wait_for(pilot, lambda: rows(app)[0] in ("groove_2.wav", "groove_3.wav"), what="C first")
        await pilot.press("O")  # back to names
        await wait_for(pilot, lambda: rows(app)[0] == "hit_36.wav", what="by name")
        line_of(app, "groove_0.wav")
        await pilot.pause(0.1)
        await pilot.press("n")  # fits groove_0: 115-125 BPM, Am and its relative and fifths
        await wait_for(pilot, lambda: len(rows(app)) == 4, what="the loops that fit")
        assert sorted(rows(app)) == ["groove_0.wav", "groove_1.wav", "groove_2.wav", "groove_4.wav"]
        assert "fits" in str(app.screen.query_one("#filter-bar").render())
        await pilot.press("n")
        await wait_for(pilot, lambda: len(rows(app)) == 10, what="all again")
        await pilot.press("o", "o")  # loops, as analysed: the crash cymbal (3 s) is not one
        await wait_for(pilot, lambda: len(rows(app)) == 6, what="6 loops")
        assert "crash.wav" not in rows(app)
