"""Figures for the live engine (``soundalike serve``).

1. Latency: one-shots copied into a watched root one at a time; time from the copy being
   complete on disk to the sample being searchable (its SampleAdded event). p50 and p99.
2. Burst: a folder of N one-shots moved into a watched root at once; files/s until all are
   searchable, as a ratio to a batch ``index`` (Library.scan) of the same files.
3. Idle memory: RSS of a process running the engine on a library of M files (catalog filled
   directly with 512-d unit vectors, so nothing is decoded), after start-up reconciliation and
   with the index loaded; measured on the first start (index built) and on a restart.

    python bench/bench_live.py [--backend builtin] [--latency-files 100] [--burst 5000] [--idle-files 100000]

The backend defaults to builtin; when its model is unavailable the plumbing backend from the
tests ("bands") is used instead and the output says so.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from soundalike.engine.config import EngineSettings, Settings, WatchSettings  # noqa: E402
from soundalike.engine.embedders.registry import BACKENDS, create_embedder  # noqa: E402
from soundalike.engine.errors import UserError  # noqa: E402
from soundalike.engine.events import SampleAdded  # noqa: E402
from soundalike.engine.library.facade import Library  # noqa: E402
from soundalike.engine.live.service import EngineService  # noqa: E402
from soundalike.engine.tools.demo import render  # noqa: E402

INSTRUMENTS = ("kick", "snare", "closed hat", "cymbal", "clap", "tom")


def registry_and_backend(name: str) -> tuple[dict, str, str]:
    try:
        create_embedder(name).close()
        return BACKENDS, name, ""
    except UserError as e:
        from tests.conftest import TEST_BACKENDS

        return TEST_BACKENDS, "bands", f"(backend {name} unavailable: {e}; used the plumbing backend 'bands')"


def settings_for(data_dir: Path, backend: str) -> Settings:
    return Settings(
        engine=EngineSettings(data_dir=str(data_dir), backends=(backend,), default_backend=backend),
        watch=WatchSettings(),
    )


def make_one_shots(folder: Path, count: int, seed: int = 0) -> list[Path]:
    import soundfile as sf

    paths = []
    for number in range(count):
        path = folder / f"part {number // 500}" / f"{INSTRUMENTS[number % 6].replace(' ', '_')}_{number}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, render(INSTRUMENTS[number % 6], seed + number), 44100)
        paths.append(path)
    return paths


def latency(work: Path, registry, backend: str, count: int) -> dict:
    sources = make_one_shots(work / "lat-src", count, seed=10_000)
    root = work / "lat-root"
    root.mkdir()
    arrived: dict[str, float] = {}
    done = threading.Condition()

    def on_event(event) -> None:
        if isinstance(event, SampleAdded):
            with done:
                arrived[event.path] = time.perf_counter()
                done.notify_all()

    delays = []
    with EngineService(settings_for(work / "lat-data", backend), registry) as service:
        service.events.subscribe(on_event)
        service.start([str(root)])
        service.wait_idle(60)
        for source in sources:
            target = str(root / source.name)
            shutil.copyfile(source, target)
            landed = time.perf_counter()
            with done:
                done.wait_for(lambda target=target: target in arrived, timeout=30)
            delays.append(arrived[target] - landed)
            time.sleep(0.05)
    ms = np.array(delays) * 1000
    return {
        "files": count,
        "p50_ms": round(float(np.percentile(ms, 50)), 1),
        "p99_ms": round(float(np.percentile(ms, 99)), 1),
        "max_ms": round(float(ms.max()), 1),
    }


def burst(work: Path, registry, backend: str, count: int) -> dict:
    folder = work / "burst-src"
    make_one_shots(folder, count, seed=20_000)
    started = time.perf_counter()
    with Library(settings_for(work / "batch-data", backend), registry) as library:
        report = library.scan([str(folder)])
    batch_seconds = time.perf_counter() - started
    root = work / "burst-root"
    root.mkdir()
    with EngineService(settings_for(work / "burst-data", backend), registry) as service:
        service.start([str(root)])
        service.wait_idle(60)
        started = time.perf_counter()
        os.rename(folder, root / "Pack")
        while service.library.stats()["by_status"].get("ok", 0) < report.indexed:
            time.sleep(0.05)
        live_seconds = time.perf_counter() - started
    return {
        "files": count,
        "batch_files_per_s": round(report.indexed / batch_seconds, 1),
        "live_files_per_s": round(report.indexed / live_seconds, 1),
        "live_over_batch": round(batch_seconds / live_seconds, 3),
    }


IDLE_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[3])
from bench.bench_live import idle_child
print(json.dumps(idle_child(sys.argv[1], sys.argv[2])))
"""


def idle_memory(work: Path, count: int, dim: int) -> dict:
    root, data = work / "idle-root", work / "idle-data"
    fill_library(root, data, count, dim)
    runs = []
    for _ in ("first start (builds the index)", "restart (saved index)"):
        out = subprocess.run(
            [sys.executable, "-c", IDLE_CHILD, str(data), str(root), str(REPO)],
            capture_output=True,
            text=True,
            timeout=1800,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return {"first_start": runs[0], "restart": runs[1]}


def fill_library(root: Path, data: Path, count: int, dim: int) -> None:
    """``count`` small files in folders of 100, and a catalog that already knows them all."""
    from soundalike.engine.store import writes as cat
    from soundalike.engine.store.catalog import Catalog

    rows, rng = [], np.random.default_rng(0)
    for number in range(count):
        path = root / f"pack {number // 10_000}" / f"folder {number // 100}" / f"hit_{number}.wav"
        if number % 100 == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF" + number.to_bytes(8, "little"))
        info = path.stat()
        rows.append((str(path), str(root), info.st_size, info.st_mtime))
    data.mkdir(parents=True, exist_ok=True)
    catalog = Catalog(data / "catalog.sqlite")
    catalog.add_root(str(root))
    with catalog.transaction() as tx:
        tx.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('backend:wide', ?)", (f"wide/{dim}",))
        for path, root_path, size, mtime in rows:
            sid = cat.record_sample(
                tx,
                path=path,
                root=root_path,
                size=size,
                mtime=mtime,
                content_hash=path,
                status="ok",
                reason=None,
                facts=None,
            )
            vector = rng.standard_normal(dim).astype(np.float32)
            cat.store_vector(tx, sid, "wide", vector / np.linalg.norm(vector))
    catalog.close()


def idle_child(data: str, root: str) -> dict:
    from tests.conftest import TEST_BACKENDS, BandEmbedder

    class Wide(BandEmbedder):
        name = "wide"

        def __init__(self, options=None):
            super().__init__(options)
            self.dim = 512

    before = _rss_mb()
    settings = replace(settings_for(Path(data), "wide"), watch=WatchSettings())
    started = time.perf_counter()
    with EngineService(settings, {**TEST_BACKENDS, "wide": Wide}) as service:
        service.start([root])
        service.wait_idle(1800)
        ready = time.perf_counter() - started
        time.sleep(3)
        status = service.status()
        return {
            "files": service.library.stats()["by_status"].get("ok", 0),
            "dim": 512,
            "rss_mb": _rss_mb(),
            "rss_before_engine_mb": before,
            "peak_mb": _rss_mb("VmHWM"),
            "startup_reconcile_s": round(ready, 1),
            "watching": status["roots"][0]["watching"],
            "threads": threading.active_count(),
        }


def _rss_mb(field: str = "VmRSS") -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="builtin")
    parser.add_argument("--latency-files", type=int, default=100)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--idle-files", type=int, default=100_000)
    args = parser.parse_args()
    registry, backend, note = registry_and_backend(args.backend)
    print(f"machine: {os.cpu_count()} CPUs; backend {backend} {note}".strip(), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        work = Path(tmp)
        if args.latency_files:
            print(
                "latency (file landed -> searchable):",
                json.dumps(latency(work, registry, backend, args.latency_files)),
                flush=True,
            )
        if args.burst:
            print(
                "burst (folder moved in at once):", json.dumps(burst(work, registry, backend, args.burst)), flush=True
            )
        if args.idle_files:
            print("idle engine memory:", json.dumps(idle_memory(work, args.idle_files, 512)), flush=True)


if __name__ == "__main__":
    main()
