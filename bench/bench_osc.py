"""OSC bridge figures: `similar` round trip over loopback UDP against the in-process library call.

For each library size the same queries run in alternating blocks in-process (``library.similar``)
and over OSC (a real client and server on 127.0.0.1), so the ratio is measured in one run on the
same machine. Then sustained throughput: pipelined `similar` requests for a few seconds, a
full-speed burst of 10,000 pings, each checked for lost replies, and fairness: one client's ping
round trip alone and then while a second client floods the server with `similar` requests it
never reads the answers to (ratio in the same run).

Libraries are filled with random unit vectors (bench/synthetic_library.py): no audio is decoded
for the 100k rows. The query files are real WAVs whose stored vectors are reused, as for any file
already in a library.

    .venv/bin/python bench/bench_osc.py [--sizes 10000,100000] [--queries 400] [--dim 512]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic_library import catalog_of, fill  # noqa: E402
from soundalike.bridge import Bridge  # noqa: E402
from soundalike.bridge.osc.client import ClientTimeout, OscClient  # noqa: E402
from soundalike.bridge.osc.wire import encode  # noqa: E402
from soundalike.engine.config import BridgeSettings, EngineSettings, Settings  # noqa: E402
from soundalike.engine.embedders.base import BackendInfo, Embedder  # noqa: E402
from soundalike.engine.embedders.registry import BACKENDS  # noqa: E402
from soundalike.engine.library.facade import Library  # noqa: E402
from soundalike.engine.library.query import SimilarQuery  # noqa: E402
from soundalike.engine.store import writes as cat  # noqa: E402
from soundalike.engine.tools.demo import INSTRUMENTS, render  # noqa: E402


class StoredVectors(Embedder):
    """A backend whose vectors are all stored already (the bench never embeds audio)."""

    name: ClassVar[str] = "stored"
    sample_rate: ClassVar[int] = 16000
    info: ClassVar[BackendInfo] = BackendInfo(good_for="benchmarks", licence="MIT")

    vector_dim: ClassVar[int] = 512

    def __init__(self, options=None):
        self.dim = self.vector_dim

    def embed(self, batch):
        raise NotImplementedError("bench queries reuse stored vectors")


def open_library(folder: Path, size: int, dim: int) -> tuple[Library, list[str]]:
    settings = Settings(
        engine=EngineSettings(data_dir=str(folder / "data"), backends=("stored",), default_backend="stored")
    )
    backend = type("StoredVectors", (StoredVectors,), {"vector_dim": dim})
    library = Library(settings, backends={**BACKENDS, "stored": backend})
    fill(library, size, "stored", dim)
    return library, add_query_files(library, folder / "queries", dim)


def add_query_files(library: Library, folder: Path, dim: int, count: int = 20) -> list[str]:
    """Real WAV files in the catalog with stored vectors, so `similar` needs no decoding."""
    import soundfile as sf

    rng, paths = np.random.default_rng(1), []
    folder.mkdir(parents=True, exist_ok=True)
    catalog_of(library).add_root(str(folder))
    for number in range(count):
        path = folder / f"query_{number:02d}.wav"
        sf.write(path, render(list(INSTRUMENTS)[number % len(INSTRUMENTS)], seed=number), 44100)
        info, vector = path.stat(), rng.standard_normal(dim).astype(np.float32)
        vector /= np.linalg.norm(vector)
        with catalog_of(library).transaction() as tx:
            sid = cat.record_sample(
                tx,
                path=str(path),
                root=str(folder),
                size=info.st_size,
                mtime=info.st_mtime,
                content_hash=None,
                status="ok",
                reason=None,
                facts=None,
            )
            cat.store_vector(tx, sid, "stored", vector)
        library.index("stored").add(np.array([sid]), vector[None, :])
        paths.append(str(path))
    return paths


def percentiles(samples_ms: Sequence[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    if not ordered:
        return float("nan"), float("nan")
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def round_trips(library: Library, client: OscClient, queries: list[str], count: int, k: int = 10):
    """(in-process ms, OSC ms) lists, measured in alternating blocks of 50 over the same queries."""
    local, remote = [], []
    for query in queries[:5]:  # warm-up: connections, caches
        library.similar(SimilarQuery(query, k=k, collapse=False))
        client.similar(query, k)
    for block in range(0, count, 50):
        picks = [queries[(block + i) % len(queries)] for i in range(50)]
        local += [timed(lambda q=q: library.similar(SimilarQuery(q, k=k, collapse=False)).hits) for q in picks]
        remote += [timed(lambda q=q: client.similar(q, k)) for q in picks]
    return local, remote


def sustained(client: OscClient, queries: list[str], seconds: float, window: int = 16) -> tuple[float, int, int]:
    """Pipelined `similar` (k=10) for ``seconds``: (requests/s, sent, lost)."""
    done, sent = set(), 0
    slots = threading.Semaphore(window)
    stop = threading.Event()

    def read():
        while not (stop.is_set() and len(done) >= sent):
            try:
                for address, args in client.receive(2.0):
                    if address in ("/soundalike/done", "/soundalike/error"):
                        done.add(args[0])
                        slots.release()
            except ClientTimeout:
                return

    reader = threading.Thread(target=read)
    reader.start()
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        slots.acquire(timeout=2.0)
        sent += 1
        client.send("/soundalike/similar", queries[sent % len(queries)], 10, sent)
    stop.set()
    reader.join()
    elapsed = time.perf_counter() - started
    return len(done) / elapsed, sent, sent - len(done)


def ping_burst(client: OscClient, count: int = 10_000) -> tuple[float, int]:
    """``count`` pings sent as fast as the client can, no waiting: (seconds until all answered, lost)."""
    seen: set[int] = set()

    def read():
        while len(seen) < count:
            try:
                for _, args in client.receive(2.0):
                    seen.add(args[0])
            except ClientTimeout:
                return

    reader = threading.Thread(target=read)
    reader.start()
    started = time.perf_counter()
    for i in range(count):
        client.send_raw(encode("/soundalike/ping", (i,)))
    reader.join()
    return time.perf_counter() - started, count - len(seen)


def ping_round_trips(client: OscClient, count: int) -> tuple[list[float], int]:
    """``count`` pings one after another: (round trips in ms of those answered, pings lost)."""
    times, lost = [], 0
    for _ in range(count):
        started = time.perf_counter()
        try:
            client.ping()
        except ClientTimeout:
            lost += 1
            continue
        times.append((time.perf_counter() - started) * 1000)
    return times, lost


def flood(address: tuple[str, int], queries: list[str], stop, sent, window: int) -> None:
    """Another process: `similar` requests as fast as the server takes them, ``window`` unanswered at
    most (``window`` 0: never read a reply, send as fast as Python can)."""
    with OscClient(*address, timeout=1.0) as flooder:
        slots = threading.Semaphore(window) if window else None
        if slots is not None:
            threading.Thread(target=_release_on_replies, args=(flooder, slots, stop), daemon=True).start()
        while not stop.is_set():
            if slots is not None and not slots.acquire(timeout=0.5):
                continue
            flooder.send("/soundalike/similar", queries[sent.value % len(queries)], 10, sent.value)
            sent.value += 1


def _release_on_replies(client: OscClient, slots: threading.Semaphore, stop) -> None:
    while not stop.is_set():
        try:
            for address, _ in client.receive(0.5):
                if address in ("/soundalike/done", "/soundalike/error"):
                    slots.release()
        except ClientTimeout:
            continue


OTHERS = 6  # clients pinging during a flood


def flooded(address: tuple[str, int], queries: list[str], count: int, window: int, queued: Callable[[], int]) -> dict:
    """A client's pings alone, then while another process floods (same run): percentiles, losses.
    During the flood the pings come from ``OTHERS`` clients in turn (each its own port: on Linux the
    kernel keeps a sender on one of the server's sockets, and one in 16 shares the flooder's).
    ``queued`` tells when the server has finished the previous flood's requests."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    stop, sent = context.Event(), context.Value("q", 0, lock=False)
    if not window:  # the server's socket overflows: most pings are lost, each costs a timeout
        count = min(count, 60)
    deadline = time.monotonic() + 120
    while queued() and time.monotonic() < deadline:
        time.sleep(0.1)
    with OscClient(*address, timeout=2.0 if window else 0.5) as client:
        ping_round_trips(client, 20)  # warm-up
        alone, alone_lost = ping_round_trips(client, count)
        flooder = context.Process(target=flood, args=(address, queries, stop, sent, window))
        flooder.start()
        try:
            while sent.value < 2 * max(window, 500):  # let the flood build a queue
                time.sleep(0.05)
            under, under_lost, cut_off = [], 0, 0
            for _ in range(OTHERS):
                with OscClient(*address, timeout=client.timeout) as other:
                    times, lost = ping_round_trips(other, count // OTHERS)
                under, under_lost, cut_off = under + times, under_lost + lost, cut_off + (not times)
        finally:
            stop.set()
            flooder.join(10)
    return {
        "alone": percentiles(alone),
        "flooded": percentiles(under),
        "lost": (alone_lost, under_lost),
        "flood_sent": sent.value,
        "window": window,
        "pings": count // OTHERS * OTHERS,
        "cut_off": cut_off,
    }


def run_size(size: int, args: argparse.Namespace) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-osc-") as tmp:
        started = time.perf_counter()
        library, queries = open_library(Path(tmp), size, args.dim)
        fill_s = time.perf_counter() - started
        bridge = Bridge(library, None, BridgeSettings(osc_port=0, midi_enabled=False)).start()
        try:
            with OscClient(*bridge.address, timeout=10) as client:
                local, remote = round_trips(library, client, queries, args.queries)
                rate, sent, lost = sustained(client, queries, args.seconds)
                burst_s, burst_lost = ping_burst(client)
            floods = [
                flooded(bridge.address, queries, args.pings, window, bridge.server.queued) for window in (1000, 0)
            ]
            status = bridge.status()
            dropped = status.get("replies_dropped", -1), status.get("received_dropped", -1)
        finally:
            bridge.stop()
            library.close()
    return {
        "size": size,
        "fill_s": fill_s,
        "local": percentiles(local),
        "remote": percentiles(remote),
        "rate": rate,
        "sent": sent,
        "lost": lost,
        "burst_s": burst_s,
        "burst_lost": burst_lost,
        "floods": floods,
        "dropped": dropped,
    }


def report(rows: list[dict], args: argparse.Namespace) -> None:
    print(
        f"\nOSC `similar` round trip, k=10, d={args.dim}, {args.queries} queries per path, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print("(libraries filled with random unit vectors via bench/synthetic_library.py; no audio decoded)\n")
    print(
        "| items | in-process p50 / p99 ms | OSC round trip p50 / p99 ms | ratio p50 (p99) | "
        "sustained similar req/s (lost) | 10,000-ping burst, no waiting (lost) |"
    )
    print("|---|---|---|---|---|---|")
    for r in rows:
        (lp50, lp99), (rp50, rp99) = r["local"], r["remote"]
        print(
            f"| {r['size']:,} | {lp50:.2f} / {lp99:.2f} | {rp50:.2f} / {rp99:.2f} | {rp50 / lp50:.2f} ({rp99 / lp99:.2f}) | "
            f"{r['rate']:.0f} ({r['lost']} of {r['sent']}) | {r['burst_s']:.2f} s ({r['burst_lost']} lost) |"
        )
    print(
        f"\nPing round trip, {args.pings} pings one after another: one client alone, then {OTHERS} clients in turn while another "
        "process floods `similar` (k=10), same run\n"
    )
    print(
        "| items | flood | alone p50 / p99 ms | while flooded p50 / p99 ms | ratio p50 (p99) | pings lost "
        f"(alone, flooded) | of {OTHERS} clients, cut off | flood requests sent |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        for f in r["floods"]:
            (ap50, ap99), (fp50, fp99) = f["alone"], f["flooded"]
            kind = f"{f['window']} unanswered at most" if f["window"] else "never reads, full speed"
            print(
                f"| {r['size']:,} | {kind} | {ap50:.2f} / {ap99:.2f} | {fp50:.2f} / {fp99:.2f} | "
                f"{fp50 / ap50:.2f} ({fp99 / ap99:.2f}) | {f['lost'][0]}, {f['lost'][1]} of {f['pings']} | {f['cut_off']} | {f['flood_sent']:,} |"
            )
        print(
            f"\ncounted by the server: replies the clients' sockets dropped unread (`replies_dropped`) "
            f"{r['dropped'][0]:,}; requests the kernel dropped before the server read them "
            f"(`received_dropped`) {r['dropped'][1]:,}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--dim", type=int, default=512)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of the sustained run")
    parser.add_argument("--pings", type=int, default=400, help="round trips alone and while flooded")
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        rows.append(run_size(size, args))
        print(f"{size:,} items done (fill {rows[-1]['fill_s']:.1f} s)", file=sys.stderr, flush=True)
    report(rows, args)


if __name__ == "__main__":
    main()
