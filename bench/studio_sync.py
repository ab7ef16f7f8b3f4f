"""A studio library on PostgreSQL, its readers: measured beside the SQLite library in the same run
(``bench_studio.py --rows sync`` runs these rows; this file alone does too).

Starts a PostgreSQL server of its own (Debian's binaries, a temporary cluster, as the tests do),
writes ``--vectors`` generated unit vectors through the library's write path (``Library.record``:
catalog rows, vectors, copy facts and the writer's index, in chunks of 512) on each store, then:

* **write rate**: vectors/s of that bulk record, PostgreSQL vs SQLite;
* **landing -> searchable on another machine** (p50/p99 over ``--landings`` one-file batches):
  from the moment machine A starts recording a file (its ``record`` call, commit included) until
  it is in the other machine's own FAISS index; machine B (a listener: ``IndexFollower``, as ``serve`` and the app
  run) and machine C (no listener: its index checks for changes as it is searched) poll until
  the new sample's vector is in their own FAISS index. SQLite has no other machine: its row is
  the writer's own ``record`` of one file (searchable on return);
* **reader start**: time from opening a library to its index being ready, with its saved index
  (after ``--offline`` vectors were added elsewhere: caught up from the change log; SQLite: its
  saved index, current, as only it writes) vs without one (every vector read from the catalog).

    .venv/bin/python bench/studio_sync.py [--vectors 20000] [--landings 50] [--offline 2000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from soundalike.engine.config import EngineSettings, Settings, StoreSettings  # noqa: E402
from soundalike.engine.library.facade import Library  # noqa: E402
from soundalike.engine.library.follow import IndexFollower  # noqa: E402
from soundalike.engine.library.parts import LibraryParts  # noqa: E402
from soundalike.engine.library.query import SimilarQuery  # noqa: E402
from soundalike.engine.pipeline.ingest import Processed  # noqa: E402
from soundalike.engine.pipeline.walk import FileEntry  # noqa: E402
from tests.engine.store.postgres_server import running_server  # noqa: E402

BACKEND = "builtin"
ROOT = "/studio/Samples"


def generated(start: int, count: int, dim: int, seed: int = 7) -> list[Processed]:
    """``count`` files' worth of what the ingest workers hand the writer: unit vectors, no audio."""
    rng = np.random.default_rng(seed + start)
    vectors = rng.standard_normal((count, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        Processed(
            FileEntry(path=f"{ROOT}/f{i // 100:04d}/s{i:07d}.wav", size=1000 + i, mtime=1.0, root=ROOT),
            content_hash=f"h{i}",
            vectors={BACKEND: vectors[i - start]},
        )
        for i in range(start, start + count)
    ]


def machine(folder: Path, name: str, url: str = "") -> Settings:
    engine = EngineSettings(data_dir=str(folder / f"machine-{name}"), backends=(BACKEND,), default_backend=BACKEND)
    return Settings(engine=engine, store=StoreSettings(url=url, machine=name))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed_open(settings: Settings) -> tuple[float, Library]:
    start = time.perf_counter()
    library = Library(settings)
    library.index(BACKEND)
    return time.perf_counter() - start, library


def write_rate(library: Library, items: list[Processed]) -> float:
    start = time.perf_counter()
    library.record(items)
    return len(items) / (time.perf_counter() - start)


def landings(writer: Library, readers: dict[str, Library], count: int, first: int, dim: int) -> dict[str, list[float]]:
    """Seconds from a one-file record's commit on ``writer`` to its vector in each reader's index."""
    seen: dict[str, list[float]] = {name: [] for name in readers}
    for number in range(count):
        item = generated(first + number, 1, dim, seed=99)[0]
        landed = time.perf_counter()  # the file lands: the writer records it (commit included)
        writer.record([item])
        row = writer.browse.sample_by_path(item.entry.path)
        assert row is not None
        waiting = dict(readers)
        while waiting:
            for name, reader in list(waiting.items()):
                if reader.index(BACKEND).reconstruct(row.id) is not None:
                    seen[name].append(time.perf_counter() - landed)
                    del waiting[name]
            if time.perf_counter() - landed > 10:
                raise SystemExit(f"not searchable after 10 s on {', '.join(waiting)}")
            time.sleep(0.002)
        time.sleep(0.05)
    return seen


def similar_times(library: Library, count: int) -> list[float]:
    """Seconds per ``similar`` (folding on, k=10) by the ids of ``count`` stored samples, in turn."""
    ids = library.index(BACKEND).ids()
    picks = np.random.default_rng(5).choice(ids, size=min(count, len(ids)), replace=False)
    library.similar(SimilarQuery(to=int(picks[0]), k=10))  # the first one reads the model's facts
    library.index(BACKEND).wait_approximate(timeout=600)  # past approximate_above: its steady state
    out = []
    for sample_id in picks:
        start = time.perf_counter()
        library.similar(SimilarQuery(to=int(sample_id), k=10))
        out.append(time.perf_counter() - start)
    return out


def own_record(library: Library, count: int, first: int, dim: int) -> list[float]:
    out = []
    for number in range(count):
        start = time.perf_counter()
        library.record(generated(first + number, 1, dim, seed=98))
        out.append(time.perf_counter() - start)
    return out


def sync_rows(vectors: int, landing_count: int, offline: int, folder: Path, url: str) -> list[str]:
    """The rows of the landing, reader-start and write-rate table (markdown)."""
    rows = []
    sqlite_writer = Library(machine(folder, "sqlite"))
    dim = sqlite_writer.embedder(BACKEND).dim
    items = generated(0, vectors, dim)
    rate_sqlite = write_rate(sqlite_writer, items)
    pg_writer = Library(machine(folder, "a", url))
    rate_pg = write_rate(pg_writer, items)
    rows.append(
        f"| record {vectors:,} vectors (write path) | {rate_pg:,.0f} vectors/s | {rate_sqlite:,.0f} vectors/s |"
    )

    _, reader = timed_open(machine(folder, "b", url))  # machine b's index, saved at the catalog's version
    reader.close()
    pg_writer.record(generated(vectors, offline, dim, seed=11))  # made elsewhere while b was away
    sqlite_writer.record(generated(vectors, offline, dim, seed=11))
    sqlite_writer.close()
    warm_pg, reader = timed_open(machine(folder, "b", url))
    warm_sqlite, sqlite_writer = timed_open(machine(folder, "sqlite"))
    assert len(reader.index(BACKEND)) == vectors + offline == len(sqlite_writer.index(BACKEND))
    reader.close()
    sqlite_writer.close()
    for name in ("b", "sqlite"):
        shutil.rmtree(folder / f"machine-{name}" / "index")
    cold_pg, reader = timed_open(machine(folder, "b", url))
    cold_sqlite, sqlite_writer = timed_open(machine(folder, "sqlite"))
    rows.append(
        f"| reader start, saved index ({offline:,} of {vectors + offline:,} vectors changed elsewhere since) | "
        f"{warm_pg * 1000:,.0f} ms | {warm_sqlite * 1000:,.0f} ms (its own writes: index current) |"
    )
    rows.append(
        f"| reader start, no saved index ({vectors + offline:,} vectors read) | "
        f"{cold_pg * 1000:,.0f} ms | {cold_sqlite * 1000:,.0f} ms |"
    )

    parts = LibraryParts.open(machine(folder, "c", url))
    listening = Library(parts.settings, parts=parts)
    listening.index(BACKEND)
    follower = IndexFollower(parts.catalog, parts.indexes)
    follower.start()
    time.sleep(0.5)
    first = vectors + offline
    try:
        seen = landings(pg_writer, {"listener": listening, "no listener": reader}, landing_count, first, dim)
    finally:
        follower.stop()
    own = own_record(sqlite_writer, landing_count, first, dim)
    for name, values in seen.items():
        rows.append(
            f"| landing -> searchable on another machine ({name}), p50 / p99 | "
            f"{percentile(values, 0.5) * 1000:,.0f} / {percentile(values, 0.99) * 1000:,.0f} ms | n/a (one machine) |"
        )
    rows.append(
        f"| one-file record on the writer (searchable there on return), p50 / p99 | - | "
        f"{percentile(own, 0.5) * 1000:,.0f} / {percentile(own, 0.99) * 1000:,.0f} ms |"
    )
    on_reader, on_sqlite = similar_times(listening, 200), similar_times(sqlite_writer, 200)
    rows.append(
        f"| similar on a reader, folding on, k=10 (200 queries by id, approximate index built), p50 / p99 | "
        f"{percentile(on_reader, 0.5) * 1000:,.1f} / {percentile(on_reader, 0.99) * 1000:,.1f} ms | "
        f"{percentile(on_sqlite, 0.5) * 1000:,.1f} / {percentile(on_sqlite, 0.99) * 1000:,.1f} ms |"
    )
    for library in (listening, reader, pg_writer, sqlite_writer):
        library.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vectors", type=int, default=20_000)
    parser.add_argument("--landings", type=int, default=50)
    parser.add_argument("--offline", type=int, default=2_000)
    args = parser.parse_args()
    with running_server() as server, tempfile.TemporaryDirectory(prefix="soundalike-studio-bench-") as tmp:
        print(f"load before: {os.getloadavg()[0]:.2f}; {os.cpu_count()} cores; PostgreSQL in {server.bin_dir}")
        print("| measure | PostgreSQL | SQLite |\n|---|---|---|")
        for row in sync_rows(args.vectors, args.landings, args.offline, Path(tmp), server.url("postgres")):
            print(row, flush=True)
        print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
