"""A studio's shared library on PostgreSQL, against the SQLite library in the same run.

Index rate: N generated one-shots (``bench_100k``'s files: 0.15 s, mono 16-bit 44.1 kHz WAV, in
folders of 100; kept between runs) indexed by the real ``soundalike index`` CLI, each run into
fresh data folders and a fresh catalog:

* ``sqlite``: one indexer, the SQLite catalog in its data folder (the baseline);
* ``postgresql x1``: one indexer on a shared PostgreSQL catalog;
* ``postgresql x2``: two indexers (two "machines": data folders and machine names of their own)
  started together on the same share and catalog; they split the files by claiming them, and the
  wall time runs until both have finished. Afterwards the catalog must hold every file once.

CPU s is the user and system time of the indexer processes (the PostgreSQL server's own is not
counted), a figure less swayed than wall time by other load on the machine. Each indexer gets
``--workers`` decoding workers (default 1, so two indexers use two cores as two
one-core machines would). The PostgreSQL server is a temporary cluster on this machine, started
and removed by this script (Debian's ``postgresql`` binaries, as the tests use).

Readers (``--rows sync``, :mod:`bench.studio_sync`): landing -> searchable on another machine,
reader start with and without its saved index, write rate through the library's write path.

Over OSC (``--rows osc``, :mod:`bench.studio_osc`): a file landing in one machine's folder until
another machine's real ``soundalike serve`` answers an OSC ``similar`` with it, p50/p99.

    .venv/bin/python bench/bench_studio.py [--rows index,sync,osc] [--files 2000] [--workers 1]
        [--folder /tmp/...] [--vectors 20000] [--landings 50] [--offline 2000] [--osc-landings 20]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_100k import make_library  # noqa: E402
from bench.bench_index import bytecode_env  # noqa: E402
from bench.studio_osc import osc_rows  # noqa: E402
from bench.studio_sync import sync_rows  # noqa: E402
from tests.engine.store.postgres_server import running_server  # noqa: E402

INDEXED = re.compile(r"(\d+) indexed")


def indexer(folder: Path, work: Path, name: str, workers: int, url: str) -> subprocess.Popen:
    """A ``soundalike index`` of ``folder`` as machine ``name`` (its data folder under ``work``)."""
    home = work / name
    home.mkdir(parents=True)
    config = home / "config.toml"
    config.write_text(f'[engine]\nworkers = {workers}\n[store]\nmachine = "{name}"\n')
    env = {**os.environ, "SOUNDALIKE_DATA_DIR": str(home / "data"), "SOUNDALIKE_CONFIG": str(config)}
    if url:
        env["SOUNDALIKE_STORE_URL"] = url
    env = bytecode_env(env, Path(tempfile.gettempdir()) / "soundalike-bench-pycache")
    command = [sys.executable, "-m", "soundalike", "index", str(folder)]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def run(label: str, folder: Path, work: Path, count: int, workers: int, url: str, files: int) -> dict:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    children = [indexer(folder, work, f"{label.split()[0]}-{i}", workers, url) for i in range(count)]
    outputs = [child.communicate()[0] for child in children]
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    for child, output in zip(children, outputs, strict=True):
        if child.returncode != 0:
            raise SystemExit(f"{label}: soundalike index failed ({child.returncode}):\n{output}")
    shares = [int(m.group(1)) if (m := INDEXED.search(output)) else -1 for output in outputs]
    return {"label": label, "wall": wall, "rate": files / wall, "cpu": cpu, "shares": shares}


def catalog_count(url: str) -> tuple[int, int]:
    """(rows, distinct paths) in the shared catalog."""
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT path) FROM samples WHERE status = 'ok'").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=0.15, help="length of each file")
    parser.add_argument("--workers", type=int, default=1, help="decoding workers per indexer")
    parser.add_argument("--folder", type=Path, default=None, help="where the files go (kept; default /tmp)")
    parser.add_argument("--rows", default="index,sync,osc", help="index (indexers), sync (readers), osc (serve)")
    parser.add_argument("--vectors", type=int, default=20_000, help="sync: vectors written first")
    parser.add_argument("--landings", type=int, default=50, help="sync: one-file landings timed")
    parser.add_argument("--offline", type=int, default=2_000, help="sync: vectors added while a reader is away")
    parser.add_argument("--osc-landings", type=int, default=20, help="osc: one-file landings timed (at most 90)")
    args = parser.parse_args()
    rows = set(args.rows.split(","))
    if "index" in rows:
        index_rows(args)
    if rows & {"sync", "osc"}:
        reader_rows(args, rows)


def reader_rows(args: argparse.Namespace, rows: set[str]) -> None:
    with running_server() as server, tempfile.TemporaryDirectory(prefix="soundalike-bench-studio-sync-") as tmp:
        print(f"\nreaders: load {os.getloadavg()[0]:.2f}\n| measure | PostgreSQL | SQLite |\n|---|---|---|")
        if "sync" in rows:
            for row in sync_rows(args.vectors, args.landings, args.offline, Path(tmp), server.url("postgres")):
                print(row, flush=True)
        if "osc" in rows:
            for row in osc_rows(args.osc_landings, Path(tmp) / "osc", server.catalog_for(Path(tmp) / "osc")):
                print(row, flush=True)
        print(f"load after: {os.getloadavg()[0]:.2f}")


def index_rows(args: argparse.Namespace) -> None:
    folder = args.folder or Path(tempfile.gettempdir()) / f"soundalike-bench-studio-{args.files}"
    make_library(folder, args.files, args.seconds)
    print(f"{platform.node()}: {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M')}")
    results = []
    with running_server() as server, tempfile.TemporaryDirectory(prefix="soundalike-bench-studio-") as tmp:
        work = Path(tmp)
        results.append(run("sqlite", folder, work / "sqlite", 1, args.workers, "", args.files))
        for count in (1, 2):
            url = server.catalog_for(work / f"pg{count}")
            label = f"postgresql x{count}"
            results.append(run(label, folder, work / f"pg{count}", count, args.workers, url, args.files))
            rows, paths = catalog_count(url)
            print(f"{label}: {rows} ok rows, {paths} distinct paths (of {args.files} files)")
    print(f"\n{args.files} files, {args.workers} worker(s) per indexer, load now {os.getloadavg()[0]:.2f}")
    print(f"{'catalog':<16} {'indexers':>8} {'wall s':>8} {'files/s':>8} {'CPU s':>7}  indexed by each")
    for result in results:
        count = len(result["shares"])
        print(
            f"{result['label']:<16} {count:>8} {result['wall']:>8.1f} {result['rate']:>8.0f} {result['cpu']:>7.1f}  "
            f"{' + '.join(map(str, result['shares']))}"
        )


if __name__ == "__main__":
    main()
