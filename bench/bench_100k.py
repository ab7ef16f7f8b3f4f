"""A 100k-file first index and its unchanged re-index, whole process.

Generates N short one-shots on disk (default 100,000 of 0.15 s, mono 16-bit 44.1 kHz WAV, in
folders of 100; kept between runs), then runs the real ``soundalike index`` CLI in a child process
into a fresh data dir while this process samples, every quarter second from the side:

* the catalog's row count (a read-only SQLite connection: the catalog runs in WAL mode), from
  which files/s per slice of ``--slice`` files (does the rate hold as the catalog grows?);
* memory: VmHWM (peak RSS) of the CLI process and of each worker process it forks, and the
  largest sum of PSS over all of them (forked workers share pages with the parent: RSS counts
  those twice, PSS splits them);

then indexes the same folder again (nothing changed) and reports its wall time.

    .venv/bin/python bench/bench_100k.py [--files 100000] [--seconds 0.15] [--folder /tmp/...]
        [--slice 10000] [--keep-library]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_index import bytecode_env  # noqa: E402
from soundalike.engine.tools.demo import INSTRUMENTS, RATE, render  # noqa: E402

PER_FOLDER = 100
BASES_PER_INSTRUMENT = 40


# --- the files ---------------------------------------------------------------------------------
def base_clips(seconds: float) -> list[np.ndarray]:
    """Rendered one-shots cut to ``seconds`` with a short fade (rendering costs ~6 ms each, so a
    few hundred are rendered and every file mixes two of them)."""
    length = int(seconds * RATE)
    fade = np.linspace(1.0, 0.0, min(256, length), dtype=np.float32)
    clips = []
    for number in range(BASES_PER_INSTRUMENT * len(INSTRUMENTS)):
        audio = render(list(INSTRUMENTS)[number % len(INSTRUMENTS)], seed=number)[:length]
        audio = np.pad(audio, (0, length - len(audio)))
        audio[-len(fade) :] *= fade
        clips.append(audio)
    return clips


def one_shot(clips: list[np.ndarray], number: int) -> np.ndarray:
    """File ``number``: its own instrument's clip, a quieter other one, a little noise; all files differ."""
    rng = np.random.default_rng(number)
    main, other = clips[number % len(clips)], clips[int(rng.integers(len(clips)))]
    shift = int(rng.integers(0, len(main) // 4))
    audio = main * rng.uniform(0.5, 1.0) + np.roll(other, shift) * rng.uniform(0.0, 0.4)
    audio += rng.standard_normal(len(audio)).astype(np.float32) * 1e-3
    return (audio / (np.max(np.abs(audio)) + 1e-9) * 0.89).astype(np.float32)


def make_library(folder: Path, count: int, seconds: float) -> None:
    """Write ``count`` files under ``folder`` unless a marker says they are there already."""
    marker = folder / f".made-{count}-{seconds}"
    if marker.exists():
        print(f"reusing {count} files in {folder}")
        return
    shutil.rmtree(folder, ignore_errors=True)
    started, clips = time.perf_counter(), base_clips(seconds)
    names = [name.replace(" ", "_") for name in INSTRUMENTS]
    for number in range(count):
        sub = folder / f"pack{number // PER_FOLDER:04d}"
        if number % PER_FOLDER == 0:
            sub.mkdir(parents=True)
        sf.write(
            sub / f"{names[number % len(names)]}_{number:06d}.wav", one_shot(clips, number), RATE, subtype="PCM_16"
        )
    marker.touch()
    print(f"wrote {count} files of {seconds} s in {time.perf_counter() - started:.0f} s")


# --- watching the child ------------------------------------------------------------------------
Mark = tuple[float, int, float]


@dataclass
class Watch:
    counts: list[Mark] = field(default_factory=list)  # (seconds since start, catalog rows, CPU seconds)
    parent_hwm_kb: int = 0
    child_hwm_kb: dict[int, int] = field(default_factory=dict)  # worker pid -> its peak RSS
    pss_sum_kb: int = 0  # largest sum of PSS over the CLI process and its workers
    child_private_kb: int = 0  # largest private (copied or own) memory of one worker
    cpu_seen: dict[int, float] = field(default_factory=dict)  # pid -> CPU seconds at its last sample


def proc_kb(pid: int, name: str, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def catalog_rows(catalog: Path) -> int | None:
    if not catalog.exists():
        return None
    try:
        with sqlite3.connect(f"file:{catalog}?mode=ro", uri=True, timeout=1.0) as conn:
            return int(conn.execute("SELECT count(*) FROM samples").fetchone()[0])
    except sqlite3.Error:
        return None


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sample(pid: int, catalog: Path, watch: Watch, started: float) -> None:
    watch.parent_hwm_kb = max(watch.parent_hwm_kb, proc_kb(pid, "status", "VmHWM"))
    pss, cpu_seen = proc_kb(pid, "smaps_rollup", "Pss"), watch.cpu_seen
    for one in (pid, *children_of(pid)):  # a worker gone keeps the CPU it had at its last sample
        cpu_seen[one] = max(cpu_seen.get(one, 0.0), proc_cpu(one))
    cpu = sum(cpu_seen.values())
    for child in children_of(pid):
        watch.child_hwm_kb[child] = max(watch.child_hwm_kb.get(child, 0), proc_kb(child, "status", "VmHWM"))
        pss += proc_kb(child, "smaps_rollup", "Pss")
        private = proc_kb(child, "smaps_rollup", "Private_Dirty") + proc_kb(child, "smaps_rollup", "Private_Clean")
        watch.child_private_kb = max(watch.child_private_kb, private)
    watch.pss_sum_kb = max(watch.pss_sum_kb, pss)
    watch.counts.append((time.perf_counter() - started, catalog_rows(catalog) or 0, cpu))


def watched_run(
    command: list[str],
    env: dict[str, str],
    catalog: Path,
    every: float = 0.25,
) -> tuple[float, float, str, Watch]:
    """(wall s, CPU s of the child and its workers, last output line, what was sampled)."""
    watch, before = Watch(), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(child.stdout or ()), daemon=True)
    reader.start()
    while child.poll() is None:
        sample(child.pid, catalog, watch, started)
        time.sleep(every)
    wall = time.perf_counter() - started
    reader.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if child.returncode != 0:
        raise SystemExit(f"index failed ({child.returncode}): {''.join(output)[-2000:]}")
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    watch.counts.append((wall, catalog_rows(catalog) or 0, cpu))
    return wall, cpu, (output[-1].strip() if output else ""), watch


# --- figures -------------------------------------------------------------------------------------
def crossing(counts: list[Mark], target: int) -> tuple[float, float] | None:
    """(seconds, CPU seconds) when the row count reached ``target`` (linear between samples)."""
    previous: Mark = (0.0, 0, 0.0)
    for when, rows, cpu in counts:
        if rows >= target:
            t0, r0, c0 = previous
            share = (target - r0) / max(rows - r0, 1)
            return t0 + (when - t0) * share, c0 + (cpu - c0) * share
        previous = (when, rows, cpu)
    return None


def slice_rates(counts: list[Mark], total: int, size: int) -> list[tuple[int, float, float, float]]:
    """(files at the slice's end, seconds it took, files/s, ms of CPU per file) per ``size`` rows;
    the first slice starts at the first row (start-up, the walk and the fork are not in it). CPU
    is the CLI process's and its workers': it moves less than wall time when others load the machine."""
    marks = [(0, crossing(counts, 1))] + [(n, crossing(counts, n)) for n in range(size, total + 1, size)]
    rates = []
    for (n0, a), (n1, b) in zip(marks, marks[1:]):
        if a is not None and b is not None and b[0] > a[0]:
            rates.append((n1, b[0] - a[0], (n1 - n0) / (b[0] - a[0]), (b[1] - a[1]) * 1000 / (n1 - n0)))
    return rates


def report(name: str, wall: float, cpu: float, line: str, watch: Watch, files: int, size: int | None) -> None:
    print(
        f"\n{name}: {wall:.1f} s wall, {cpu:.1f} s CPU (user+sys, CLI + workers), "
        f"{files / wall:.0f} files/s whole process"
    )
    print(f"  CLI says: {line}")
    first = crossing(watch.counts, 1)
    if size and first is not None:
        print(f"  first row written after {first[0]:.1f} s (start-up, walk, plan, fork)")
    for end, seconds, rate, cpu_ms in slice_rates(watch.counts, files, size) if size else ():
        print(f"  rows up to {end:7d}: {seconds:6.1f} s  {rate:6.0f} files/s  {cpu_ms:5.2f} ms CPU/file")
    workers = ", ".join(f"{kb / 1024:.0f}" for kb in watch.child_hwm_kb.values()) or "none seen"
    print(
        f"  peak RSS: CLI process {watch.parent_hwm_kb / 1024:.0f} MB; workers {workers} MB; "
        f"largest PSS sum (all of them) {watch.pss_sum_kb / 1024:.0f} MB; private memory of a worker "
        f"{watch.child_private_kb / 1024:.0f} MB"
    )


def index_command(folder: Path, data: Path, config: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "SOUNDALIKE_DATA_DIR": str(data), "SOUNDALIKE_CONFIG": str(config)}
    env = bytecode_env(env, Path(tempfile.gettempdir()) / "soundalike-bench-pycache")
    return [sys.executable, "-m", "soundalike", "index", str(folder)], env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=0.15, help="length of each file")
    parser.add_argument("--folder", type=Path, default=None, help="where the files go (kept; default /tmp)")
    parser.add_argument("--slice", type=int, default=10_000, help="files per slice of the rate-over-time table")
    parser.add_argument("--config", type=Path, default=None, help="a config.toml for the index runs")
    parser.add_argument("--keep-library", action="store_true", help="keep the data dir (printed)")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.gettempdir()) / f"soundalike-{args.files}-{args.seconds}s"
    print(
        f"{platform.platform()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
        f"{args.files} files of {args.seconds} s (mono PCM_16 {RATE} Hz) in {folder}"
    )
    make_library(folder, args.files, args.seconds)
    tmp = Path(tempfile.mkdtemp(prefix="bench100k-"))
    config = args.config or tmp / "no-config.toml"  # defaults, not the user's config
    data = tmp / "lib"
    command, env = index_command(folder, data, config)
    first = watched_run(command, env, data / "catalog.sqlite")
    report("first index", *first, args.files, args.slice)
    again = watched_run(command, env, data / "catalog.sqlite")
    report("re-index, nothing changed", *again, args.files, None)
    largest = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"largest peak RSS of any process either run (getrusage of the children): {largest:.0f} MB")
    print(f"\nload average now {os.getloadavg()[0]:.1f}")
    if args.keep_library:
        print(f"library kept in {data}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
