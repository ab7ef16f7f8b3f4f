"""Steering results from the results view: filters, words, paging, scope, aspects,
sorting, columns, and copies folded into one row."""

from __future__ import annotations

import dataclasses
import os
import shutil
from typing import ClassVar

from soundalike.engine.config import TuiSettings
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.live.service import EngineService
from soundalike.engine.store import reads
from soundalike.engine.store import writes as cat
from soundalike.tui.screens.results import ResultsScreen
from soundalike.tui.screens.tag_picker import TagPicker
from soundalike.tui.widgets.sample_list import SampleList
from tests.conftest import TEST_BACKENDS, BandEmbedder, catalog_of
from tests.tui.conftest import make_app, wait_for


def samples(app) -> SampleList:
    return app.screen.query_one(SampleList)


def title(app) -> str:
    return str(app.screen.query_one("#title").render())


def paths(app) -> list[str]:
    return [hit.path for hit in app.screen.hits]


async def open_results(app, pilot, first_kick: bool = True):
    await wait_for(pilot, lambda: samples(app).source.count >= 24, what="the library")
    await pilot.press("s")
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, ResultsScreen) and app.screen.hits and "results" in title(app),
        what="results",
    )


async def settled(pilot, app, before: str):
    await wait_for(pilot, lambda: title(app) != before and "searching" not in title(app), what="new results")


def tag_by_name(library) -> None:
    with catalog_of(library).transaction() as tx:
        for row in reads.list_samples(catalog_of(library), limit=1000):
            name = os.path.basename(row.path).rsplit("_", 1)[0]
            cat.store_tags(tx, row.id, "test", {name: 0.9})


async def test_results_honour_duration_tag_and_words(indexed, fake_sd):
    tag_by_name(indexed.library)
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_results(app, pilot)
        before = title(app)
        await pilot.press("d")  # < 0.5 s
        await settled(pilot, app, before)
        assert app.screen.hits and all(hit.sample.duration < 0.5 for hit in app.screen.hits)
        assert "< 0.5 s" in title(app)
        await pilot.press("x")
        await wait_for(pilot, lambda: "< 0.5 s" not in title(app) and "searching" not in title(app), what="cleared")
        before = title(app)
        await pilot.press("t")
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker), what="tag picker")
        app.screen.dismiss("snare")
        await wait_for(pilot, lambda: isinstance(app.screen, ResultsScreen), what="back in results")
        await settled(pilot, app, before)
        assert len(app.screen.hits) == 6 and all("snare" in path for path in paths(app))
        before = title(app)
        await pilot.press("slash", *"snare_2")
        await wait_for(pilot, lambda: "“snare_2”" in title(app) and "searching" not in title(app), what="words")
        assert sorted(os.path.basename(p) for p in paths(app)) == ["snare_2.wav", "snare_2.wav"]
        await pilot.press("escape")  # the words go, the tag stays
        await wait_for(pilot, lambda: len(app.screen.hits) == 6, what="words dropped")
        assert isinstance(app.screen, ResultsScreen)


async def test_results_page_past_the_first_page(indexed, fake_sd):
    app = make_app(indexed, tui=dataclasses.replace(TuiSettings(), results=5))
    async with app.run_test(size=(100, 30)) as pilot:
        await open_results(app, pilot)
        assert len(app.screen.hits) == 5
        first = paths(app)
        for expected in (10, 15, 20, 23):
            await pilot.press("G")
            await wait_for(
                pilot, lambda expected=expected: len(app.screen.hits) == expected, what=f"{expected} results"
            )
            assert paths(app)[:5] == first
        scores = [hit.score for hit in app.screen.hits]
        assert scores == sorted(scores, reverse=True) and samples(app).cursor >= 19


async def test_scope_leaves_out_the_querys_own_pack(indexed, fake_sd, drum_folder):
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_results(app, pilot)  # the first sample: Kit 0/closed_hat_0.wav
        own = str(drum_folder / "Kit 0") + os.sep
        assert any(path.startswith(own) for path in paths(app))
        before = title(app)
        await pilot.press("w")
        await settled(pilot, app, before)
        assert "other packs" in title(app)
        assert len(app.screen.hits) == 12 and not any(path.startswith(own) for path in paths(app))
        before = title(app)
        await pilot.press("w", "w")  # other folders, then the same pack
        await wait_for(pilot, lambda: "same pack" in title(app) and "searching" not in title(app), what="same pack")
        assert len(app.screen.hits) == 11 and all(path.startswith(own) for path in paths(app))


async def test_scope_can_limit_results_to_the_browsed_folder(indexed, fake_sd, drum_folder):
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        app.screen.set_filters(dataclasses.replace(app.screen.state, folder=str(drum_folder / "Kit 1")))
        await wait_for(pilot, lambda: samples(app).source.count == 12, what="Kit 1")
        await pilot.press("s")
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, ResultsScreen) and app.screen.hits and "results" in title(app),
            what="results",
        )
        assert any("Kit 0" in path for path in paths(app))  # s still asks the whole library
        await pilot.press("w", "w", "w", "w")
        await wait_for(pilot, lambda: "in Kit 1" in title(app) and "searching" not in title(app), what="browsed")
        assert len(app.screen.hits) == 11 and all("Kit 1" in path for path in paths(app))


async def test_sort_and_columns(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        await open_results(app, pilot)
        await pilot.press("O")  # by name
        names = [os.path.basename(p).lower() for p in paths(app)]
        assert names == sorted(names) and "sorted by name" in title(app)
        await pilot.press("O")  # by length
        lengths = [hit.sample.duration for hit in app.screen.hits]
        assert lengths == sorted(lengths)
        header = str(app.screen.query_one("#results-header").render())
        assert "rate" not in header
        await pilot.press("i")
        header = str(app.screen.query_one("#results-header").render())
        assert "rate" in header and "bits" in header and "ch" in header
        line = samples(app).render_line(0).text
        assert "44.1k" in line and "16" in line and "mono" in line


async def test_copies_fold_into_one_row_that_opens(indexed, fake_sd, drum_folder):
    shutil.copytree(drum_folder / "Kit 0", drum_folder / "Kit 0 copy")
    indexed.library.scan([str(drum_folder)])
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 36, what="36 files")
        await open_results(app, pilot)
        hits = paths(app)
        assert len(hits) == 20 and len({os.path.basename(os.path.dirname(p)) for p in hits}) >= 2
        names = [(os.path.basename(p), "Kit 1" in p) for p in hits]
        assert len(names) == len(set(names))  # no file shows twice (its copy is folded under it)
        assert " folded" in title(app)
        row = next(i for i in range(samples(app).source.count) if samples(app).source.marker(i) == "▸ ")
        assert "+1 copy" in samples(app).render_line(row).text
        await pilot.press(*["j"] * row, "l")
        assert samples(app).source.marker(row) == "▾ " and samples(app).source.marker(row + 1) == "  ↳ "
        assert len(app.screen.hits) == 21
        before = title(app)
        await pilot.press("z")  # list every file
        await settled(pilot, app, before)
        assert "copies shown" in title(app) and len(app.screen.hits) == 20
        assert not any(samples(app).source.marker(i) for i in range(20))


class AspectBands(BandEmbedder):
    """Bands with two aspects: the low and the high half of the spectrum."""

    name: ClassVar[str] = "aspectbands"
    aspects = {"low": slice(0, 8), "high": slice(8, 16)}


async def test_aspects_from_the_results_view(make_settings, drum_folder, fake_sd):
    backends = {**TEST_BACKENDS, AspectBands.name: AspectBands}
    with EngineService(make_settings(backends=("aspectbands",), default="aspectbands"), backends=backends) as svc:
        svc.library.scan([drum_folder])
        app = make_app(svc)
        async with app.run_test(size=(120, 36)) as pilot:
            await open_results(app, pilot)
            overall = paths(app)
            before = title(app)
            await pilot.press("A")
            await settled(pilot, app, before)
            assert "by low" in title(app)
            expected = [
                h.path
                for h in svc.library.similar(
                    SimilarQuery(app.screen.asked.sample.id, k=20, weights={"low": 1.0}, collapse=False)
                ).hits
            ]
            assert paths(app) == expected != overall
            await pilot.press("A", "A")  # high, then overall again
            await wait_for(pilot, lambda: "by " not in title(app) and "searching" not in title(app), what="overall")
            assert paths(app) == overall


async def test_columns_in_the_library_list(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        await pilot.press("i")
        assert "bits" in str(app.screen.query_one("#list-header").render())
        assert "44.1k" in samples(app).render_line(0).text
        await pilot.press("i")
        assert "bits" not in str(app.screen.query_one("#list-header").render())


async def test_results_only_keys_say_so_in_the_library(indexed, fake_sd):
    app = make_app(indexed)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: samples(app).source.count == 24, what="the library")
        await pilot.press("w")
        await wait_for(pilot, lambda: any("steers results" in n.message for n in app._notifications), what="note")


def test_aspect_cycle_skips_a_backend_aspect_named_overall():
    from soundalike.tui.results_query import ResultsQuery

    query = ResultsQuery("q", sample=None)
    aspects = ("overall", "timbre", "envelope")
    steps = [query := query.cycled("aspect", aspects) for _ in range(3)]
    assert [q.aspect for q in steps] == ["timbre", "envelope", "overall"]
