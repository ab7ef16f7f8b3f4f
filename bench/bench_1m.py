"""The query path at 100k and 1M samples: write, re-index, serve, similar (folding on), recall, app.

Generated data, through the library's own write path (``LibraryWriter.record``: the catalog rows,
vectors, tags, fingerprints and family links that ``index`` writes after decoding; no raw SQL), so
a million samples fit in minutes on a laptop. Each sample is an empty file on disk (so an unchanged
re-index plans real files), with clustered unit vectors (2,000 centres) and a fingerprint; one base
sound in three has one copy in another folder, one in three has two, and one in five comes in three
velocity layers ("-Soft", "-Med", "-Hard"), so folding has copies and layers to fold.

Rows (each size in its own data dir, kept for re-runs with --keep):

* first write: samples/s and the writing process's peak RSS (a child process);
* unchanged re-index: ``soundalike index`` in a child, wall time;
* ``serve`` start: launch to the first OSC ping answered; its peak RSS after the OSC queries;
* similar p50/p99, folding on: in process (``Library.similar`` by sample id) and over OSC;
* recall@10 of the search that answers (approximate past ``[index] approximate_above``) vs exact;
* the app: start to first rows, keystroke medians, map open, kit build;
* catalog and index sizes on disk.

    .venv/bin/python bench/bench_1m.py [--sizes 100000,1000000] [--folder /tmp/bench1m] [--keep]
        [--skip app,osc]  (also: bench_1m.py write DATA_DIR ROOT COUNT [START], the child that writes;
        bench_1m.py index-only COUNT: the vector index alone, approximate vs exact;
        bench_1m.py one-off DATA_DIR [RUNS]: only the one-off `similar` rows, on a library written before)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_100k import index_command, watched_run  # noqa: E402
from soundalike.engine.config import EngineSettings, Settings  # noqa: E402
from soundalike.engine.library.facade import Library  # noqa: E402
from soundalike.engine.library.query import SimilarQuery  # noqa: E402
from soundalike.engine.musical.analysis import Musical  # noqa: E402
from soundalike.engine.pipeline.audio import AudioFacts  # noqa: E402
from soundalike.engine.pipeline.fingerprint import BANDS, Fingerprint, encode  # noqa: E402
from soundalike.engine.pipeline.ingest import Processed  # noqa: E402
from soundalike.engine.pipeline.walk import stat_entry  # noqa: E402

TAGS = ("kick", "snare", "clap", "closed hat", "open hat", "tom", "cymbal", "rim", "shaker", "percussion")
CENTRES, PER_FOLDER, FRAMES = 2000, 100, 11
LAYERS = (("-Soft", -24.0), ("-Med", -18.0), ("-Hard", -12.0))


# --- the generated library -----------------------------------------------------------------------
def settings_for(data: Path) -> Settings:
    return Settings(engine=EngineSettings(data_dir=str(data), backends=("builtin",), default_backend="builtin"))


def generated(root: Path, count: int, dim: int, seed: int = 0, start: int = 0) -> Iterator[Processed]:
    """``count`` samples as the ingest workers would hand them over (files made empty on disk);
    ``start``: from that sample on (the ones before drawn, not made: a write stopped there goes on)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CENTRES, dim)).astype(np.float32)
    made, base = 0, 0
    while made < count:
        vector = centres[base % CENTRES] + 0.8 * rng.standard_normal(dim).astype(np.float32)
        levels = np.minimum(-60 * rng.random((FRAMES, len(BANDS) - 1)), 0).astype(np.float32)
        tag, folder = TAGS[base % len(TAGS)], root / "Packs" / f"pack{base // 40:05d}"
        takes = LAYERS if base % 5 == 0 else (("", -18.0),)
        files = [
            (folder / f"{tag.replace(' ', '_')}_{base:07d}{mark}.wav", rms, layer)
            for layer, (mark, rms) in enumerate(takes)
        ]
        files += [(root / f"Copies{n}" / f"pack{base // 40:05d}" / files[0][0].name, -18.0, 0) for n in range(base % 3)]
        for path, rms, layer in files:
            if made == count:
                break
            own = vector + (0.3 * layer + 0.005) * rng.standard_normal(dim).astype(np.float32)
            own_levels = np.minimum(levels + (3.0 * layer + 0.05) * rng.standard_normal(levels.shape), 0)
            if made >= start:
                yield processed(path, root, own / np.linalg.norm(own), own_levels.astype(np.float32), rms, tag, made)
            made += 1
        base += 1


def processed(
    path: Path, root: Path, vector: np.ndarray, levels: np.ndarray, rms: float, tag: str, number: int
) -> Processed:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    return Processed(
        stat_entry(str(path), str(root)),
        AudioFacts("WAV PCM_16", 44100, 1, 0.3, rms + 12, rms, False, False),
        content_hash=f"generated-{number}",
        vectors={"builtin": vector.astype(np.float32)},
        tags={"builtin": {tag: 0.9}},
        musical=Musical(kind="one-shot", kind_confidence=1.0),
        fingerprint=encode(Fingerprint(levels, FRAMES)),
    )


def write_child(data: Path, root: Path, count: int, start: int = 0) -> None:
    """The child process that writes the library (its peak RSS is the write's); ``start``: the
    samples before it are there already (a write stopped there goes on)."""
    started = time.perf_counter()
    with Library(settings_for(data)) as library:
        root.mkdir(parents=True, exist_ok=True)
        library.add_root(root)
        if start:  # the copy candidates' approximate index first, built with nothing else running
            index = library.index("builtin")
            index.neighbours(index.reconstruct(int(index.ids()[0]))[None, :], 2)
            index.wait_approximate(3600)
            print(
                f"approximate index for copy candidates ready after {time.perf_counter() - started:.0f} s", flush=True
            )
        report = library.record(generated(root, count, library.embedder("builtin").dim, start=start))
        library.save_indexes()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    line = f"WROTE {report.indexed} {seconds:.1f} {peak:.0f} load {os.getloadavg()[0]:.1f}"
    if start:
        line += f" (from sample {start:,} on)"
    (data.parent / "write.txt").write_text(line + "\n")  # kept for a later run that reuses the library
    print(line)


# --- measurements --------------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    return {**os.environ, "SOUNDALIKE_CONFIG": "/nonexistent-bench-config.toml"}


def run_child(args: list[str], config: Path | None = None) -> tuple[float, str, float]:
    """(wall s, output, peak RSS MB of the child) of ``python -m soundalike ARGS``."""
    env = {**os.environ, "SOUNDALIKE_CONFIG": str(config)} if config else child_env()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *args], env=env, cwd=REPO, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{args} failed: {done.stderr[-2000:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, done.stdout, (peak if peak > before else 0) / 1024


def pcts(values: list[float]) -> str:
    ordered = sorted(values)
    return (
        f"p50 {statistics.median(ordered) * 1000:.2f} ms, p99 {ordered[int(0.99 * (len(ordered) - 1))] * 1000:.2f} ms"
    )


def in_process(data: Path, count: int, queries: int) -> tuple[list[str], list[str]]:
    """Rows: open, approximate build, similar p50/p99 folding on, recall@10; and query paths for OSC."""
    import faiss

    rows = []
    started = time.perf_counter()
    library = Library(settings_for(data))
    index = library.index("builtin")
    rows.append(f"open library + index (in process): {time.perf_counter() - started:.2f} s, {len(index):,} vectors")
    started = time.perf_counter()
    index.search(index.reconstruct(int(index.ids()[0])), 10)  # the first query starts the approximate build
    ready = index.wait_approximate(1800)
    library.save_indexes()  # the approximate index too: the next open reads it back
    approx = ready and len(index) > library.settings.index.approximate_above
    rows.append(
        f"approximate index: {'answers queries' if approx else 'not used for queries (exact)'}"
        + (f", built in the background in {time.perf_counter() - started:.1f} s after open" if ready else "")
    )
    rng = np.random.default_rng(1)
    ids = index.ids()
    picks = [int(i) for i in rng.choice(ids, size=queries, replace=False)]
    for sid in picks[:5]:
        library.similar(SimilarQuery(sid, k=10))  # warm
    times, plain, raw, folded = [], [], [], 0
    for sid in picks:  # folded, plain and FAISS alone in turn, so each meets the same load
        t0 = time.perf_counter()
        result = library.similar(SimilarQuery(sid, k=10))
        times.append(time.perf_counter() - t0)
        folded += sum(len(g.members) for g in result) + len(result.own.copies) + len(result.own.layers)
        t0 = time.perf_counter()
        library.similar(SimilarQuery(sid, k=10, collapse=False))
        plain.append(time.perf_counter() - t0)
        query = index.reconstruct(sid)
        t0 = time.perf_counter()
        index.search(query, 10, exclude=sid)
        raw.append(time.perf_counter() - t0)
    rows.append(
        f"similar in process, folding on, k=10: {pcts(times)} ({folded / queries:.1f} copies/layers folded per query)"
    )
    rows.append(f"  same queries, Library.similar (no folding): {pcts(plain)}; the index search alone: {pcts(raw)}")
    exact_ids, vectors = index.all_vectors()
    flat = faiss.IndexFlatIP(index.dim)
    flat.add(vectors)
    found = []
    for sid in picks[:200]:
        query = index.reconstruct(sid)
        _, best = flat.search(query[None, :], 11)
        truth = {int(exact_ids[i]) for i in best[0] if int(exact_ids[i]) != sid}
        got = {i for i, _ in index.search(query, 10, exclude=sid)}
        found.append(len(truth & got) / max(1, min(10, len(truth))))
    rows.append(f"recall@10 vs exact (200 queries): {np.mean(found):.3f}")
    paths = [row.path for row in library.browse.samples(picks).values()]
    library.close()
    return rows, paths


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def over_osc(data: Path, tmp: Path, paths: list[str]) -> list[str]:
    from soundalike.bridge.osc.client import OscClient

    port = free_port()
    config = tmp / "serve.toml"
    config.write_text(
        f'[engine]\nbackends = ["builtin"]\n[bridge]\nosc_port = {port}\nmidi_enabled = false\nmax_k = 100\n'
    )
    env = {**os.environ, "SOUNDALIKE_CONFIG": str(config)}
    started = time.perf_counter()
    serve = subprocess.Popen(
        [sys.executable, "-m", "soundalike", "--data-dir", str(data), "serve"],
        env=env,
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    rows = []
    try:
        with OscClient("127.0.0.1", port, timeout=0.5) as client:
            while True:
                try:
                    client.ping()
                    break
                except TimeoutError:
                    if serve.poll() is not None or time.perf_counter() - started > 600:
                        raise SystemExit("serve did not answer") from None
            rows.append(f"serve start (launch -> first OSC ping answered): {time.perf_counter() - started:.2f} s")
            client.timeout = 10.0
            for path in paths[:5]:
                client.similar(path, 10)
            when = "while serve's start-up scan runs" if client.status().get("busy") else "serve idle"
            rows.append(f"OSC similar round trip, folding on, k=10, {when}: {osc_times(client, paths)}")
            started = time.perf_counter()
            while client.status().get("busy") and time.perf_counter() - started < 900:
                time.sleep(0.5)
            waited = time.perf_counter() - started
            rows.append(
                f"OSC similar round trip, folding on, k=10, after the start-up scan ({waited:.0f} s later): "
                f"{osc_times(client, paths)}"
            )
        hwm = next(
            (
                int(line.split()[1])
                for line in Path(f"/proc/{serve.pid}/status").read_text().splitlines()
                if line.startswith("VmHWM:")
            ),
            0,
        )
        rows.append(f"peak RSS of serve: {hwm / 1024:.0f} MB")
        rows.append(
            f"one-off `soundalike similar FILE` with serve running (it answers): {cli_wall(data, config, paths)}"
        )
    finally:
        serve.terminate()
        serve.wait(60)
    rows.append(f"one-off `soundalike similar FILE`, no engine running: {cli_wall(data, config, paths)}")
    return rows


def osc_times(client, paths: list[str]) -> str:
    times = []
    for path in paths:
        t0 = time.perf_counter()
        reply = client.similar(path, 10)
        times.append(time.perf_counter() - t0)
        if reply.error:
            raise SystemExit(f"OSC similar failed: {reply.error}")
    return pcts(times)


#: Floors measured beside each one-off query, in the same run: the interpreter alone, and the two
#: native libraries a search cannot do without.
FLOORS = {"python -c pass": "pass", "python -c 'import numpy, faiss'": "import numpy, faiss"}


def cli_wall(data: Path, config: Path, paths: list[str], runs: int = 5) -> str:
    """Median wall time of the whole ``soundalike similar`` process (start-up included), with
    Python's bytecode cache written as an installed copy has it; and the FLOORS beside it. CPU
    time (user + system, of the child) beside each: on a loaded machine it varies less than wall."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["SOUNDALIKE_CONFIG"] = str(config)
    times: dict[str, list[tuple[float, float]]] = {"similar": [], **{name: [] for name in FLOORS}}

    def timed(name: str, argv: list[str]) -> None:
        before, started = _children_cpu(), time.perf_counter()
        done = subprocess.run(argv, env=env, capture_output=True)
        times[name].append((time.perf_counter() - started, _children_cpu() - before))
        if done.returncode:
            raise SystemExit(f"{argv} failed: {done.stderr.decode(errors='replace')[-300:]}")

    for path in paths[: runs + 1]:
        timed("similar", [sys.executable, "-m", "soundalike", "--data-dir", str(data), "similar", path])
        for name, code in FLOORS.items():
            timed(name, [sys.executable, "-c", code])

    def median(name: str) -> str:
        kept = times[name][1:]  # the first wrote the bytecode cache
        wall, cpu = (statistics.median(t[i] for t in kept) for i in (0, 1))
        return f"median {wall:.2f} s wall (min {min(t[0] for t in kept):.2f} s), {cpu:.2f} s CPU"

    beside = "; ".join(f"`{name}`: {median(name)}" for name in FLOORS)
    return f"{median('similar')} (of {runs}); in the same runs {beside}"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_off(data: Path, runs: int) -> None:
    """Only the one-off rows, on a library written before: no engine running (the files of
    ``runs + 1`` samples of it as queries, all in the catalog)."""
    from soundalike.engine.config import load_settings
    from soundalike.engine.library.facade import Library

    config = data.parent / "one-off.toml"
    config.write_text('[engine]\nbackends = ["builtin"]\n[bridge]\nosc_enabled = false\n')
    with Library(load_settings(config).with_data_dir(str(data))) as library:
        ids = library.index("builtin").ids()
        picks = np.random.default_rng(0).choice(ids, size=runs + 1, replace=False).tolist()
        paths = [row.path for row in library.browse.samples(picks).values()]
    print(
        f"{len(ids):,} samples, load {os.getloadavg()[0]:.1f}: one-off `soundalike similar FILE`, no engine "
        f"running: {cli_wall(data, config, paths, runs)}; load after {os.getloadavg()[0]:.1f}",
        flush=True,
    )


def app_rows(data: Path, count: int) -> list[str]:
    from bench.bench_map import measure as map_measure
    from bench.bench_tui import fake_sounddevice
    from bench.bench_tui import measure as tui_measure
    from soundalike.engine.kits.builder import KitBuilder

    sys.modules["sounddevice"] = fake_sounddevice()
    logging.disable(logging.ERROR)  # the files are empty: auditioning them fails, as it should
    rows = []
    times = asyncio.run(tui_measure(settings_for(data), 3, wait_scan=True))
    for label, values in times.items():
        rows.append(f"app: {label.strip()}: median {statistics.median(values) * 1000:.1f} ms")
    try:
        maps = asyncio.run(map_measure(settings_for(data), count, 2))
        rows += [
            f"app: {label}: median {statistics.median(v) * 1000:.0f} ms"
            for label, v in maps.items()
            if "map start" in label
        ]
    except Exception as e:  # noqa: BLE001 - a row that could not be measured is reported, not fatal
        rows.append(f"app: map open: not measured ({type(e).__name__}: {e})")
    with Library(settings_for(data)) as library:
        builder, seeds = KitBuilder(library), [int(i) for i in library.index("builtin").ids()[:5]]
        builds = []
        for seed in seeds:
            t0 = time.perf_counter()
            builder.build(seed)
            builds.append(time.perf_counter() - t0)
    rows.append(f"kit build: median {statistics.median(builds) * 1000:.0f} ms")
    return rows


def sizes(data: Path) -> str:
    catalog = sum(f.stat().st_size for f in data.glob("catalog.sqlite*"))
    index = sum(f.stat().st_size for f in (data / "index").glob("*.faiss"))
    return f"on disk: catalog {catalog / 2**20:.0f} MB, index {index / 2**20:.0f} MB"


def one_size(count: int, folder: Path, skip: set[str], queries: int) -> None:
    tmp = folder / f"n{count}"
    data, root = tmp / "lib", tmp / "Samples"
    tmp.mkdir(parents=True, exist_ok=True)
    print(
        f"\n== {count:,} samples (generated, written through LibraryWriter.record) in {tmp}; "
        f"load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if not (tmp / "write.txt").exists():
        run_child([str(Path(__file__)), "write", str(data), str(root), str(count)])
    written, seconds, peak, _, load = (tmp / "write.txt").read_text().split("WROTE ")[1].split()[:5]
    print(
        f"first write (a child process, files made empty on disk): {int(written):,} samples in {float(seconds):.0f} s, "
        f"{int(written) / float(seconds):.0f} samples/s; peak RSS {peak} MB (load at its end {load})",
        flush=True,
    )
    if "reindex" not in skip:
        command, env = index_command(root, data, tmp / "no-config.toml")
        wall, _, line, watch = watched_run(command, env, data / "catalog.sqlite")
        print(
            f"unchanged re-index (soundalike index, whole process): {wall:.1f} s; peak RSS "
            f"{watch.parent_hwm_kb / 1024:.0f} MB; says: {line}",
            flush=True,
        )
    rows, paths = in_process(data, count, queries)
    print("\n".join(rows), flush=True)
    if "osc" not in skip:
        print("\n".join(over_osc(data, tmp, paths)), flush=True)
    if "app" not in skip:
        print("\n".join(app_rows(data, count)), flush=True)
    print(sizes(data))
    print(f"load average now {os.getloadavg()[0]:.1f}")


def index_only(count: int, dim: int = 287, queries: int = 300) -> None:
    """The vector index alone at ``count`` (the same generated vectors, no catalog): the
    approximate index's build, its query time and its recall@10 against exact search."""
    import faiss

    from soundalike.engine.config import IndexSettings
    from soundalike.engine.store.index import VectorIndex

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((CENTRES, dim)).astype(np.float32)
    index, exact = VectorIndex(dim, approximate=IndexSettings()), faiss.IndexFlatIP(dim)
    started = time.perf_counter()
    for start in range(0, count, 50_000):
        n = min(50_000, count - start)
        vectors = centres[rng.integers(CENTRES, size=n)] + 0.8 * rng.standard_normal((n, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        index.add(np.arange(start, start + n), vectors)
        exact.add(vectors)
    print(
        f"index only, {count:,} generated vectors (d={dim}): added in {time.perf_counter() - started:.0f} s "
        f"(approximate builds running in the background meanwhile)",
        flush=True,
    )
    started = time.perf_counter()
    index.wait_approximate(3600)
    while index._builder is not None or (index._approx_size and count > 4 * index._approx_size):
        index.wait_approximate(3600)
    print(
        f"  approximate index ready {time.perf_counter() - started:.0f} s after the last add "
        f"({index._approx_size:,} vectors, {len(index._approx or ())} held); peak RSS "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (both indexes + the exact check)"
    )
    picks = rng.choice(count, size=queries, replace=False)
    times, recall = [], []
    for sid in picks:
        query = index.reconstruct(int(sid))
        t0 = time.perf_counter()
        got = index.search(query, 10, exclude=int(sid))
        times.append(time.perf_counter() - t0)
        _, best = exact.search(query[None, :], 11)
        truth = {int(i) for i in best[0] if int(i) != sid}
        recall.append(len(truth & {i for i, _ in got}) / 10)
    print(
        f"  search k=10 (approximate, re-scored): {pcts(times)}; recall@10 vs exact: {np.mean(recall):.3f} "
        f"(min {min(recall):.1f})",
        flush=True,
    )
    times = []
    for sid in picks[:50]:
        query = index.reconstruct(int(sid))
        t0 = time.perf_counter()
        exact.search(query[None, :], 11)
        times.append(time.perf_counter() - t0)
    print(f"  exact flat search, same queries, for comparison: {pcts(times)}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "index-only":
        index_only(int(sys.argv[2]))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "one-off":
        one_off(Path(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 5)
        return
    if len(sys.argv) > 1 and sys.argv[1] == "write":
        write_child(
            Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]) if len(sys.argv) > 5 else 0
        )
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/bench1m"))
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--skip", default="", help="comma-separated: reindex, osc, app")
    args = parser.parse_args()
    print(
        f"{platform.platform()}, {os.cpu_count()} CPUs, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} "
        f"GiB, load {os.getloadavg()[0]:.1f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    for count in (int(s) for s in args.sizes.split(",")):
        one_size(count, args.folder, set(filter(None, args.skip.split(","))), args.queries)


if __name__ == "__main__":
    main()
