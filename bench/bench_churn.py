"""Churn and kill: does ``serve`` lose nothing and store nothing wrong?

1. Churn: a real ``serve`` engine runs in a child process on a watched root while this script
   makes random changes for ``--churn-seconds``: new files, deletes, renames, moves between
   folders, overwrites (some keeping size and mtime, as ``cp -p`` does), slow writes, folders made
   and removed, file names that are not UTF-8. Every few seconds the child is killed with
   SIGKILL and started again. Then the last child is left to catch up and the catalog is compared
   with the disk: **lost** (a file on disk the catalog does not have as ok/failed), **ghosts**
   (a live row whose file is gone), **wrong** (an ok row whose recorded content hash is not the
   file's): all must be 0.
   Then up to ``--vectors`` ok rows are checked against a fresh embed of their file (the same
   ingest code, in this process): **wrong vectors** (stored and fresh differ) must be 0 too.
2. Drop: a folder of ``--drop`` files is put into the root while single files land one by one,
   once moved in at once (``mv``: one event), once copied by a real ``cp -r``, and once copied
   file by file at ``--cp-rate`` files a second (``slowcp``: ``cp -r`` from a slower disk, where
   the copy outlasts indexing; a local ``cp`` is done in a blink); for each single file, the time
   from landing to being searchable (its catalog row is ok; the index is written in the same
   step). p50/p99, how long the whole drop took, and the vector check.

    python bench/bench_churn.py [--backend builtin] [--files 600] [--churn-seconds 40] [--kills 6]
                                [--drop 10000] [--singles 40] [--drop-by mv,cp,slowcp] [--vectors 200]

Defaults are sized for a quick run; the issue's figure is ``--drop 10000``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from soundalike.engine.pipeline.audio import file_hash  # noqa: E402
from soundalike.engine.pipeline.walk import walk  # noqa: E402
from soundalike.engine.store.text import from_db, to_db  # noqa: E402
from soundalike.engine.tools.demo import render  # noqa: E402

INSTRUMENTS = ("kick", "snare", "closed hat", "cymbal", "clap", "tom")
LENGTH = 11025  # every generated file has the same size, so some overwrites keep it
EXTENSIONS = (".wav",)

CHILD = """
import signal, sys, threading
sys.path.insert(0, sys.argv[4])
from bench.bench_churn import child_settings, registry_for
from soundalike.engine.live.service import EngineService
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
registry, backend = registry_for(sys.argv[3])
with EngineService(child_settings(sys.argv[1], backend), registry) as service:
    service.start([sys.argv[2]])
    print("started", flush=True)
    while not stop.wait(0.2):
        if service.status()["error"]:
            print("error:", service.status()["error"], flush=True)
"""


def registry_for(name: str):
    from soundalike.engine.embedders.registry import BACKENDS, create_embedder
    from soundalike.engine.errors import UserError

    try:
        create_embedder(name).close()
        return BACKENDS, name
    except UserError:
        from tests.conftest import TEST_BACKENDS

        return TEST_BACKENDS, "bands"


def child_settings(data: str, backend: str):
    from soundalike.engine.config import EngineSettings, Settings, WatchSettings

    return Settings(
        engine=EngineSettings(data_dir=data, backends=(backend,), default_backend=backend),
        watch=WatchSettings(debounce_seconds=0.3, root_check_seconds=2.0),
    )


class Child:
    """One ``serve`` engine in its own process (so it can be killed with SIGKILL)."""

    def __init__(self, data: Path, root: Path, backend: str):
        self.args = [sys.executable, "-c", CHILD, str(data), str(root), backend, str(REPO)]
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("started"):
            raise RuntimeError(f"serve child did not start: {line!r}")

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:  # never leave an engine running behind the benchmark
            self.kill()


def make_pool(folder: Path, count: int, seed: int) -> list[Path]:
    import soundfile as sf

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(count):
        audio = np.resize(render(INSTRUMENTS[number % 6], seed + number), LENGTH)
        path = folder / f"{INSTRUMENTS[number % 6].replace(' ', '_')}_{seed + number}.wav"
        sf.write(path, audio, 22050, subtype="PCM_16")
        paths.append(path)
    return paths


class Churner:
    """Random file operations under ``root``, drawing new content from ``pool``."""

    def __init__(self, root: Path, pool: list[Path], rng: random.Random):
        self.root, self.pool, self.rng = root, pool, rng
        self.counter = 0
        self.ops: dict[str, int] = {}

    def files(self) -> list[Path]:
        return [Path(e.path) for e in walk(str(self.root), EXTENSIONS)]

    def folders(self) -> list[Path]:
        return [self.root, *[p for p in self.root.rglob("*") if p.is_dir()]]

    def step(self) -> None:
        files = self.files()
        choices = (
            ["add", "add", "folder"]
            if len(files) < 20
            else [
                "add",
                "add",
                "delete",
                "rename",
                "move",
                "overwrite",
                "overwrite_keep",
                "slow_write",
                "folder",
                "rmdir",
                "odd_name",
            ]
        )
        op = self.rng.choice(choices)
        try:
            getattr(self, f"_{op}")(files)
            self.ops[op] = self.ops.get(op, 0) + 1
        except (OSError, IndexError):
            pass  # a race with our own earlier step (a folder removed meanwhile): skip it

    def _new_name(self, folder: Path, odd: bool = False) -> Path:
        self.counter += 1
        name = f"n{self.counter}" + ("_\udcff\udcfe" if odd else "") + ".wav"
        return folder / name

    def _add(self, files) -> None:
        shutil.copyfile(self.rng.choice(self.pool), self._new_name(self.rng.choice(self.folders())))

    def _odd_name(self, files) -> None:
        shutil.copyfile(self.rng.choice(self.pool), self._new_name(self.rng.choice(self.folders()), odd=True))

    def _delete(self, files) -> None:
        os.remove(self.rng.choice(files))

    def _rename(self, files) -> None:
        source = self.rng.choice(files)
        os.rename(source, self._new_name(source.parent))

    def _move(self, files) -> None:
        os.rename(self.rng.choice(files), self._new_name(self.rng.choice(self.folders())))

    def _overwrite(self, files) -> None:
        shutil.copyfile(self.rng.choice(self.pool), self.rng.choice(files))

    def _overwrite_keep(self, files) -> None:
        """``cp -p``: new bytes, same size, the old mtime put back."""
        target = self.rng.choice(files)
        stamp = target.stat()
        shutil.copyfile(self.rng.choice(self.pool), target)
        os.utime(target, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))

    def _slow_write(self, files) -> None:
        data = self.rng.choice(self.pool).read_bytes()
        with open(self._new_name(self.rng.choice(self.folders())), "wb") as handle:
            for start in range(0, len(data), 8192):
                handle.write(data[start : start + 8192])
                handle.flush()
                time.sleep(0.05)

    def _folder(self, files) -> None:
        folder = self.rng.choice(self.folders()) / f"d{self.counter}"
        self.counter += 1
        folder.mkdir()
        for _ in range(self.rng.randint(1, 6)):
            shutil.copyfile(self.rng.choice(self.pool), self._new_name(folder))

    def _rmdir(self, files) -> None:
        candidates = [f for f in self.folders() if f != self.root]
        shutil.rmtree(self.rng.choice(candidates))


def differences(data: Path, root: Path) -> dict:
    """lost / ghosts / wrong between the files under ``root`` and the catalog in ``data``."""
    disk = {e.path for e in walk(str(root), EXTENSIONS)}
    conn = sqlite3.connect(f"file:{data / 'catalog.sqlite'}?mode=ro", uri=True, timeout=30)
    conn.text_factory = from_db
    rows = conn.execute(
        "SELECT path, status, content_hash, size FROM samples WHERE status IN ('ok', 'failed')"
    ).fetchall()
    conn.close()
    live = {path: (status, content_hash, size) for path, status, content_hash, size in rows}
    wrong = []
    for path, (status, content_hash, _size) in live.items():
        if status == "ok" and path in disk:
            try:
                actual = file_hash(path, os.path.getsize(path))
            except OSError:
                continue
            if actual != content_hash:
                wrong.append(path)
    lost = sorted(disk - live.keys())
    ghosts = sorted(live.keys() - disk)
    return {
        "lost": len(lost),
        "ghosts": len(ghosts),
        "wrong": len(wrong),
        "files": len(disk),
        "examples": [os.fsencode(p).decode("utf-8", "backslashreplace") for p in (lost + ghosts + wrong)[:3]],
    }


def converge(data: Path, root: Path, timeout: float) -> tuple[dict, float]:
    started = time.monotonic()
    while True:
        found = differences(data, root)
        waited = time.monotonic() - started
        if not (found["lost"] or found["ghosts"] or found["wrong"]) or waited > timeout:
            return found, waited
        time.sleep(1.0)


def churn(work: Path, backend: str, files: int, seconds: float, kills: int, seed: int, vectors: int = 200) -> dict:
    rng = random.Random(seed)
    pool = make_pool(work / "pool", files, seed=1000)
    root, data = work / "churn-root", work / "churn-data"
    root.mkdir()
    for source in pool[: files // 2]:
        shutil.copyfile(source, root / source.name)
    child = Child(data, root, backend)
    child.start()
    churner = Churner(root, pool, rng)
    kill_at = sorted(rng.uniform(1.0, seconds) for _ in range(kills))
    started, killed = time.monotonic(), 0
    while time.monotonic() - started < seconds:
        churner.step()
        if kill_at and time.monotonic() - started >= kill_at[0]:
            kill_at.pop(0)
            child.kill()
            killed += 1
            child.start()
        time.sleep(rng.uniform(0.0, 0.05))
    found, waited = converge(data, root, timeout=300)
    child.stop()
    return {
        **found,
        "kill_9s": killed,
        "churn_seconds": seconds,
        "operations": churner.ops,
        "caught_up_after_s": round(waited, 1),
        **vector_check(data, backend, vectors, seed),
    }


def vector_check(data: Path, backend: str, sample: int, seed: int) -> dict:
    """Stored vectors of up to ``sample`` ok rows against a fresh embed of their file."""
    from soundalike.engine.library.facade import Library
    from soundalike.engine.pipeline.ingest import Ingestor, Job
    from soundalike.engine.pipeline.walk import stat_entry

    registry, _ = registry_for(backend)
    settings = child_settings(str(data), backend)
    conn = sqlite3.connect(f"file:{data / 'catalog.sqlite'}?mode=ro", uri=True, timeout=30)
    conn.text_factory = from_db
    rows = conn.execute("SELECT id, path FROM samples WHERE status = 'ok'").fetchall()
    conn.close()
    picked = random.Random(seed).sample(rows, min(sample, len(rows)))
    wrong, checked = [], 0
    with Library(settings, backends=registry) as library:
        index = library.index(backend)
        ingestor = Ingestor({backend: library.embedder(backend)}, settings.engine)
        for sid, path in picked:
            stored = index.reconstruct(sid)
            try:
                [fresh] = ingestor.process([Job(stat_entry(path), (backend,))])
            except OSError:
                continue  # gone meanwhile
            vector = fresh.vectors.get(backend)
            if vector is None:
                continue
            checked += 1
            if stored is None or not np.allclose(stored, vector, atol=1e-5):
                wrong.append(os.fsencode(path).decode("utf-8", "backslashreplace"))
    return {"vectors_checked": checked, "wrong_vectors": len(wrong), "wrong_examples": wrong[:3]}


class _PacedCopy:
    """``cp -r`` from a slower disk: the pack's files copied one by one at ``rate`` files a second."""

    def __init__(self, source: Path, target: Path, rate: float):
        import threading

        self._thread = threading.Thread(target=self._copy, args=(source, target, rate), daemon=True)
        self._thread.start()

    @staticmethod
    def _copy(source: Path, target: Path, rate: float) -> None:
        target.mkdir()
        started = time.monotonic()
        for number, path in enumerate(sorted(source.iterdir())):
            shutil.copyfile(path, target / path.name)
            time.sleep(max(0.0, started + (number + 1) / rate - time.monotonic()))

    def poll(self) -> int | None:
        return None if self._thread.is_alive() else 0

    def wait(self) -> None:
        self._thread.join()


def drop(
    work: Path, backend: str, count: int, singles: int, how: str = "mv", vectors: int = 200, cp_rate: float = 80.0
) -> dict:
    """A pack of ``count`` files put into a watched root by ``how`` ("mv": one rename; "cp": a real
    ``cp -r``; "slowcp": file by file at ``cp_rate`` files a second, as from a slower disk) while
    ``singles`` files land one by one."""
    root, data = work / f"drop-{how}-root", work / f"drop-{how}-data"
    root.mkdir()
    pack = work / f"drop-{how}-pack"
    pool = make_pool(work / f"drop-{how}-pool", min(count, 500), seed=50_000)
    pack.mkdir()
    for number in range(count):  # copies of a few hundred sounds (each decoded and embedded all the same)
        shutil.copyfile(pool[number % len(pool)], pack / f"p{number}.wav")
    extra = make_pool(work / f"single-{how}-pool", singles, seed=90_000)
    child = Child(data, root, backend)
    child.start()
    conn = sqlite3.connect(f"file:{data / 'catalog.sqlite'}?mode=ro", uri=True, timeout=30)
    started = time.monotonic()
    copying: subprocess.Popen | _PacedCopy | None = None
    copy_seconds = None
    if how == "cp":
        copying = subprocess.Popen(["cp", "-r", str(pack), str(root / "pack")])
    elif how == "slowcp":
        copying = _PacedCopy(pack, root / "pack", cp_rate)
    else:
        os.rename(pack, root / "pack")
    landed: dict[str, float] = {}
    delays: list[float] = []
    index = 0
    while True:
        now = time.monotonic()
        if copying is not None and copy_seconds is None and copying.poll() is not None:
            copy_seconds = round(now - started, 1)
        if index < len(extra) and now - started >= index * 0.25:
            target = root / extra[index].name
            shutil.copyfile(extra[index], target)
            landed[str(target)] = time.monotonic()
            index += 1
        for path, when in list(landed.items()):
            row = conn.execute("SELECT status FROM samples WHERE path = ?", (to_db(path),)).fetchone()
            if row and row[0] == "ok":
                delays.append(time.monotonic() - when)
                del landed[path]
        ok = conn.execute("SELECT count(*) FROM samples WHERE status = 'ok'").fetchone()[0]
        if ok >= count + len(extra) and not landed:
            break
        if now - started > 3600:
            break
        time.sleep(0.02)
    total = time.monotonic() - started
    if copying is not None:
        copying.wait()
    conn.close()
    child.stop()
    ms = np.array(delays) * 1000
    return {
        "drop_by": how,
        "drop_files": count,
        "drop_seconds": round(total, 1),
        "drop_files_per_s": round(count / total, 1),
        "singles": len(delays),
        "landed_to_searchable_p50_ms": round(float(np.percentile(ms, 50)), 0),
        "p99_ms": round(float(np.percentile(ms, 99)), 0),
        "max_ms": round(float(ms.max()), 0),
        **({"copy_seconds": copy_seconds} if copy_seconds is not None else {}),
        **vector_check(data, backend, vectors, seed=count),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="builtin")
    parser.add_argument("--files", type=int, default=600, help="distinct sounds the churn draws from")
    parser.add_argument("--churn-seconds", type=float, default=40.0)
    parser.add_argument("--kills", type=int, default=6)
    parser.add_argument("--drop", type=int, default=2000, help="files in the folder dropped at once")
    parser.add_argument("--singles", type=int, default=40, help="files landing one by one during the drop")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--drop-by",
        default="mv,cp,slowcp",
        help="how the pack arrives: mv (one rename), cp (cp -r), slowcp (file by file at --cp-rate)",
    )
    parser.add_argument("--cp-rate", type=float, default=80.0, help="files a second for slowcp")
    parser.add_argument("--vectors", type=int, default=200, help="ok rows checked against a fresh embed")
    args = parser.parse_args()
    _, backend = registry_for(args.backend)
    print(f"machine: {os.cpu_count()} CPUs; backend {backend}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-churn-") as tmp:
        work = Path(tmp)
        if args.churn_seconds > 0:
            print(
                "churn and kill -9:",
                json.dumps(churn(work, backend, args.files, args.churn_seconds, args.kills, args.seed, args.vectors)),
                flush=True,
            )
        for how in [h for h in args.drop_by.split(",") if h] if args.drop > 0 else []:
            print(
                f"drop by {how} (singles landing meanwhile):",
                json.dumps(drop(work, backend, args.drop, args.singles, how, args.vectors, args.cp_rate)),
                flush=True,
            )


if __name__ == "__main__":
    main()
