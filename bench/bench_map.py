"""Drum map figures: map start and cursor moves at 10k and 100k samples, against the list in the same run.

The library is filled as in bench_tui.py (catalog rows, random unit vectors, one tag each; no
audio). The app runs headless with sounddevice faked. "map start" is timed from the key ``m``
to the first paint showing every sample placed: the first open fits the projection and stores
it, later opens load it. A cursor move is timed from the arrow key to the paint that shows it
(the nearest sample re-chosen among all of them). The baselines are the same app's start-up to
its first rows and a cursor move in the list, measured in the same run on the same machine.

    .venv/bin/python bench/bench_map.py [--sizes 10000,100000] [--repeat 20]
    .venv/bin/python bench/bench_map.py --quality   # do kinds form regions? real labelled drums

``--quality`` indexes the labelled dev kits and the extra one-shots with the built-in backend,
places them with the stored projection, and reports how many of each sound's 10 nearest map
neighbours share its labelled class (chance: the sum of squared class shares), then prints the
map as letters (K kick, S snare, h hat, C cymbal, T tom, x clap, r rim, s shaker, b bell, d hand).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_tui import BenchEmbedder, PaintClock, build, fake_sounddevice, press  # noqa: E402
from bench.bench_tui import report as print_times  # noqa: E402
from soundalike.engine.embedders.registry import BACKENDS  # noqa: E402
from soundalike.engine.live.service import EngineService  # noqa: E402
from soundalike.tui.keys import keys_for  # noqa: E402


async def open_map(app, clock: PaintClock, count: int) -> float:
    from soundalike.tui.screens.map import MapScreen

    start = time.perf_counter()
    await press_key(app, keys_for(app.settings.tui, "map")[0])  # the configured key, not a copy of it
    return await clock.time_until_painted(
        start,
        lambda: isinstance(app.screen, MapScreen) and app.screen.points is not None and app.screen.points.of == count,
        timeout=60,
    )


async def press_key(app, key: str) -> None:
    from textual import events

    app._driver.send_message(events.Key(key, key if len(key) == 1 else None))


async def measure(settings, count: int, repeat: int) -> dict[str, list[float]]:
    from soundalike.tui.app import SoundalikeApp
    from soundalike.tui.widgets.map_view import MapView
    from soundalike.tui.widgets.sample_list import SampleList

    times: dict[str, list[float]] = {}
    started = time.perf_counter()
    service = EngineService(settings, backends={**BACKENDS, "bench": BenchEmbedder})
    app = SoundalikeApp(service, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        clock = PaintClock(app)
        times["baseline: app start → first rows painted"] = [
            await clock.time_until_painted(
                started,
                lambda: bool(app.screen.query(SampleList)) and app.screen.query_one(SampleList).current is not None,
            )
        ]
        await pilot.pause(0.5)
        lst = app.screen.query_one(SampleList)
        for _ in range(repeat):
            for key in ("j", "k"):
                times.setdefault("baseline: list cursor move (j/k)", []).append(
                    await press(app, clock, key, lambda: lambda c=lst.cursor: lst.cursor != c)
                )
        times["map start, first ever (fit + store projection)"] = [await open_map(app, clock, count)]
        await pilot.press("escape")
        for _ in range(3):
            times.setdefault("map start (stored projection)", []).append(await open_map(app, clock, count))
            view = app.screen.query_one(MapView)
            for _ in range(repeat):
                for key in ("right", "left", "down", "up"):
                    times.setdefault("map cursor move (arrow → repainted, snapped)", []).append(
                        await press(app, clock, key, lambda view=view: lambda c=view.cursor: view.cursor != c)
                    )
            await pilot.press("escape")
    service.stop()
    return times


def report(count: int, times: dict[str, list[float]]) -> None:
    print_times(count, times, width=56)
    start = statistics.median(times["map start (stored projection)"])
    base = statistics.median(times["baseline: app start → first rows painted"])
    move = statistics.median(times["map cursor move (arrow → repainted, snapped)"])
    list_move = statistics.median(times["baseline: list cursor move (j/k)"])
    print(f"  ratios: map start / app start = {start / base:.2f}; map move / list move = {move / list_move:.2f}")


SYMBOLS = {
    "kick": "K",
    "snare": "S",
    "hihat": "h",
    "cymbal": "C",
    "tom": "T",
    "clap": "x",
    "rim": "r",
    "shaker": "s",
    "bell": "b",
    "hand": "d",
}


def quality(tsvs: list[str], width: int = 70, height: int = 24) -> None:
    import numpy as np

    from bench.bench_recording import index_devset, read_devset
    from soundalike.engine.tools.drum_map import DrumMap

    rows = [row for tsv in tsvs for row in read_devset(Path(tsv))]
    classes = {path: cls for path, _, _, cls in rows}
    with tempfile.TemporaryDirectory() as tmp:
        library = index_devset(rows, Path(tmp) / "lib")
        points = DrumMap(library).points()
        paths = {sid: row.path for sid, row in library.browse.samples(points.ids.tolist()).items()}
        library.close()
    keep = [i for i, sid in enumerate(points.ids) if paths[int(sid)] in classes]
    xy = points.xy[keep]
    labels = np.array([classes[paths[int(points.ids[i])]] for i in keep])
    dist = ((xy[:, None] - xy[None]) ** 2).sum(-1)
    np.fill_diagonal(dist, np.inf)
    same = (labels[np.argsort(dist, axis=1)[:, :10]] == labels[:, None]).mean()
    _, counts = np.unique(labels, return_counts=True)
    print(
        f"{len(labels)} labelled sounds: 10 nearest on the map share the class {same:.1%} "
        f"(chance {((counts / counts.sum()) ** 2).sum():.1%})"
    )
    grid = [[" "] * width for _ in range(height)]
    for (x, y), label in zip(xy, labels):
        grid[int(np.clip(1 - y, 0, 0.999) * height)][int(np.clip(x, 0, 0.999) * width)] = SYMBOLS.get(label, "?")
    print("\n".join("".join(row) for row in grid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--quality", action="store_true", help="map quality on labelled drums instead of speed")
    parser.add_argument("--tsv", action="append", help="labelled TSVs for --quality (default: dev set + extra)")
    args = parser.parse_args()
    if args.quality:
        quality(args.tsv or ["/work/data/devset/devset.tsv", "/work/data/extra/extra.tsv"])
        return
    sys.modules["sounddevice"] = fake_sounddevice()
    print(f"bench_map on {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    for count in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            settings = build(Path(tmp), count)
            report(count, asyncio.run(measure(settings, count, args.repeat)))


if __name__ == "__main__":
    main()
