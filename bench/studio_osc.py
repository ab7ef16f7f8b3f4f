"""A studio as it runs, timed over OSC: a file landing in machine A's folder until machine B's
``soundalike serve`` (a reader on the same PostgreSQL catalog, the share under its own path: a
symlink to A's folder) answers an OSC ``similar`` with it, in B's path (``bench_studio.py --rows osc``
runs this row; this file alone does too).

Both machines are real ``soundalike serve`` processes with config.toml's settings (the watcher's
0.25 s debounce included), each with its own config file, data folder and OSC port; the client is
a real UDP client on loopback that asks B, every 10 ms, for the sounds like a fixed sample of the
share (k=100) until the landed file is among them. The clock starts when the file is moved into
A's folder (written elsewhere first, as a finished copy lands). SQLite, in the same run: one
``serve`` on its own SQLite library, asked the same way for its own landings.

    .venv/bin/python bench/studio_osc.py [--landings 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.engine.store.postgres_server import running_server  # noqa: E402
from tests.studio.machines import Machine, found, one_shot  # noqa: E402

#: Seconds one landing may take before the run gives up on it.
GIVE_UP = 60.0


def landings(asked: Machine, share_a: Path, share_asked: Path, count: int) -> list[float]:
    """Seconds from each landing in ``share_a`` until ``asked`` answers with it (its own path)."""
    for seed in range(4):
        one_shot(share_a / "Kit 0" / f"hit_{seed}.wav", seed)
    query = share_asked / "Kit 0" / "hit_0.wav"
    with asked.client() as client:
        found(client, query, share_asked / "Kit 0" / "hit_3.wav", GIVE_UP, k=100)
        seconds = []
        for seed in range(100, 100 + count):
            name = Path(f"Landed {seed // 10}") / f"hit_{seed}.wav"
            one_shot(share_a / name, seed)
            seconds.append(found(client, query, share_asked / name, GIVE_UP, k=100)[1])
    return seconds


def studio(folder: Path, url: str, count: int) -> list[float]:
    share_a = folder / "a-mount" / "Samples"
    share_a.mkdir(parents=True)
    (folder / "b-mount").mkdir()
    (folder / "b-mount" / "Samples").symlink_to(share_a, target_is_directory=True)
    share_b = folder / "b-mount" / "Samples"
    a = Machine(folder / "machine-a", url, "a", {"samples": share_a}, index=True, quick=False)
    b = Machine(folder / "machine-b", url, "b", {"samples": share_b}, index=False, quick=False)
    try:
        one_shot(share_a / "Kit 0" / "hit_0.wav", 0)
        a.serve(share_a)
        b.serve()
        return landings(b, share_a, share_b, count)
    finally:
        b.stop()
        a.stop()


def alone(folder: Path, count: int) -> list[float]:
    share = folder / "Samples"
    share.mkdir(parents=True)
    one_shot(share / "Kit 0" / "hit_0.wav", 0)
    machine = Machine(folder / "machine", "", "alone", {}, index=True, quick=False)
    try:
        machine.serve(share)
        return landings(machine, share, share, count)
    finally:
        machine.stop()


def osc_rows(count: int, folder: Path, url: str) -> list[str]:
    """The landing -> OSC answer row of the readers' table (markdown)."""
    pg = np.array(studio(folder / "pg", url, count)) * 1000
    lite = np.array(alone(folder / "sqlite", count)) * 1000
    return [
        f"| landing -> OSC answer on another machine's serve, p50 / p99 ({count} landings; SQLite: "
        f"its own serve) | {np.percentile(pg, 50):,.0f} / {np.percentile(pg, 99):,.0f} ms | "
        f"{np.percentile(lite, 50):,.0f} / {np.percentile(lite, 99):,.0f} ms |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--landings", type=int, default=20, help="one-file landings timed (at most 90)")
    args = parser.parse_args()
    with running_server() as server, tempfile.TemporaryDirectory(prefix="soundalike-bench-studio-osc-") as tmp:
        print(f"load {os.getloadavg()[0]:.2f}\n| measure | PostgreSQL | SQLite |\n|---|---|---|")
        for row in osc_rows(args.landings, Path(tmp), server.catalog_for(Path(tmp))):
            print(row, flush=True)
        print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
