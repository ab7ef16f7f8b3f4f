"""TUI figures: start-up time and keystroke latency over 10k- and 100k-sample libraries.

The catalogs are filled directly (bench/synthetic_library.py: rows, facts and random unit vectors,
plus one scored tag per sample inserted here) — no audio is decoded, so the files do not exist and
waveform/audition are not part of these numbers. The app runs headless (Textual's run_test) with
sounddevice faked; each keystroke is timed from the key event reaching the app until the first screen update that
shows its effect. Filters answer at once (the filter bar) and re-read the listing on a worker
thread; "list shown" times include that second step.

    .venv/bin/python bench/bench_tui.py [--sizes 10000,100000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import platform
import statistics
import sys
import tempfile
import time
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np
from textual import events

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic_library import FOLDERS, catalog_of, fill  # noqa: E402
from soundalike.engine.config import EngineSettings, Settings  # noqa: E402
from soundalike.engine.embedders.base import BackendInfo, Embedder  # noqa: E402
from soundalike.engine.embedders.registry import BACKENDS  # noqa: E402
from soundalike.engine.live.service import EngineService  # noqa: E402

DIM = 64


class BenchEmbedder(Embedder):
    """Stands in for a real backend: vectors come from the synthetic fill, never from audio."""

    name: ClassVar[str] = "bench"
    sample_rate: ClassVar[int] = 16000
    info: ClassVar[BackendInfo] = BackendInfo(good_for="benchmarks", licence="MIT")

    def __init__(self, options=None):
        self.dim = DIM

    def embed(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        raise RuntimeError("the benchmark never embeds audio")


def fake_sounddevice() -> types.ModuleType:
    module = types.ModuleType("sounddevice")

    class Stream:
        def __init__(self, **kwargs):
            pass

        start = stop = close = lambda self: None

    module.query_devices = lambda device=None, kind=None: {"default_samplerate": 48000.0, "max_output_channels": 2}
    module.OutputStream = Stream
    return module


def build(data_dir: Path, count: int) -> Settings:
    settings = Settings(engine=EngineSettings(data_dir=str(data_dir), backends=("bench",), default_backend="bench"))
    service = EngineService(settings, backends={**BACKENDS, "bench": BenchEmbedder})
    started = time.perf_counter()
    fill(service.library, count, "bench", DIM, root=str(data_dir / "Samples"))
    with catalog_of(service.library).transaction() as tx:
        tx.executemany(
            "INSERT INTO tags(sample_id, source, tag, score) VALUES (?, 'bench', ?, 0.9)",
            [(sid, FOLDERS[sid % len(FOLDERS)].lower()) for sid in range(1, count + 1)],
        )
    (data_dir / "Samples").mkdir(exist_ok=True)
    service.stop()
    print(f"  filled {count:,} rows + vectors + tags in {time.perf_counter() - started:.1f} s (no audio decoded)")
    return settings


class PaintClock:
    """Records when the app pushes a screen update to the terminal (headless: to nowhere)."""

    def __init__(self, app):
        self.paints: list[float] = []
        display = app._display

        def timed(screen, renderable):
            display(screen, renderable)
            self.paints.append(time.perf_counter())

        app._display = timed

    async def time_until_painted(self, start: float, changed: Callable[[], bool], timeout: float = 10.0) -> float:
        """Seconds from ``start`` to the first paint that shows ``changed()`` (polled every 0.5 ms)."""
        seen = len(self.paints)
        while not changed():
            if time.perf_counter() - start > timeout:
                raise TimeoutError("no visible effect within the timeout")
            await asyncio.sleep(0.0005)
        noticed = time.perf_counter()
        while time.perf_counter() - noticed < 0.1:
            after = [t for t in self.paints[seen:] if t >= noticed - 0.0005]
            if after:
                return after[0] - start
            await asyncio.sleep(0.0005)
        return noticed - start


def keys_and_effects(app) -> list[tuple[str, str, Callable[[], Callable[[], bool]]]]:
    """(key, label, before) where before() snapshots state and returns the 'it changed' test."""
    from soundalike.tui.widgets.sample_list import SampleList

    def listed():
        return app.screen.query_one(SampleList)

    def moved():
        was = listed().cursor
        return lambda: listed().cursor != was

    def filtered():
        was = app.screen.state
        return lambda: app.screen.state != was

    def filled():
        was = app.screen.state
        return lambda: app.screen.state != was and listed().source.query == app.screen.state.query(app.settings.tui)

    def starred():
        sid, was = listed().current.id, listed().current.favourite
        return lambda: listed().current.id == sid and listed().current.favourite != was

    return [
        ("j", "cursor down", moved),
        ("pagedown", "page down", moved),
        ("G", "last sample", moved),
        ("g", "first sample", moved),
        ("f", "favourite", starred),
        ("d", "duration filter: filter bar answers", filtered),
        ("x", "clear filters: list shown", filled),
        ("e", "status filter: list re-read and shown", filled),
        ("x", "clear filters: list shown", filled),
        ("s", "similar: results on screen", lambda: lambda: bool(getattr(app.screen, "hits", None))),
        ("escape", "back to the list", lambda: lambda: hasattr(app.screen, "set_filters")),
    ]


async def press(app, clock: PaintClock, key: str, before) -> float:
    changed = before()
    char = key if len(key) == 1 else ("\x1b" if key == "escape" else None)
    start = time.perf_counter()
    app._driver.send_message(events.Key(key, char))
    try:
        return await clock.time_until_painted(start, changed)
    except TimeoutError as e:
        raise TimeoutError(f"key {key!r}: {e}") from None


async def measure(settings: Settings, repeat: int, wait_scan: bool = False) -> dict[str, list[float]]:
    """``wait_scan``: time the keys once the engine's start-up scan is done (at a million samples
    it runs for many seconds after the first rows are painted)."""
    from soundalike.tui.app import SoundalikeApp
    from soundalike.tui.widgets.sample_list import SampleList

    times: dict[str, list[float]] = {}
    started = time.perf_counter()
    service = EngineService(settings, backends={**BACKENDS, "bench": BenchEmbedder})
    app = SoundalikeApp(service, settings)
    async with app.run_test(size=(120, 40)) as pilot:
        clock = PaintClock(app)
        times["start-up: open library → first rows painted"] = [
            await clock.time_until_painted(
                started,
                lambda: bool(app.screen.query(SampleList)) and app.screen.query_one(SampleList).current is not None,
            )
        ]
        await pilot.pause(0.5)
        t0 = time.perf_counter()
        service.library.index("bench")  # loaded by the engine's start-up scan in the background
        times["(background) load the vector index"] = [time.perf_counter() - t0]
        if wait_scan:  # its planning holds the library lock: a star waits for it, and it takes the CPU
            t0 = time.perf_counter()
            await asyncio.to_thread(service.wait_idle, 1800)
            times["(background) start-up scan done, after first rows"] = [time.perf_counter() - t0]
        for _ in range(repeat):
            for key, label, before in keys_and_effects(app):
                try:
                    took = await press(app, clock, key, before)
                except TimeoutError:  # reported as inf (no effect within 10 s); the other keys go on
                    took = math.inf
                times.setdefault(f"{key:<8} {label}", []).append(took)
        await pilot.press("slash")
        for text in ("k", "ki", "kic", "kick", "kic", "ki", "k", ""):
            start = time.perf_counter()
            app.screen._apply_search(text)
            times.setdefault("search: filtered list shown (after the debounce)", []).append(
                await clock.time_until_painted(
                    start, lambda t=text: app.screen.query_one(SampleList).source.query.words == tuple(t.split())
                )
            )
    service.stop()
    return times


def report(count: int, times: dict[str, list[float]], width: int = 48) -> None:
    print(f"\n{count:,} samples{'':<{width - 12}} median     p95  (ms)")
    for label, values in times.items():
        ordered = sorted(values)
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(f"  {label:<{width}} {statistics.median(values) * 1000:7.1f} {p95 * 1000:7.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    sys.modules["sounddevice"] = fake_sounddevice()
    print(f"bench_tui on {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    for count in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            settings = build(Path(tmp), count)
            report(count, asyncio.run(measure(settings, args.repeat)))


if __name__ == "__main__":
    main()
