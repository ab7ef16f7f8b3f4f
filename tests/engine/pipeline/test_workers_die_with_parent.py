"""kill -9 of a process with worker processes frees the library at once: its workers end with it and
never hold the lock.

A real process indexes real files on forked workers (``index``), or runs the live engine with its
spawned workers (``serve``); the test kills it with SIGKILL while its workers run, then takes the
library's lock as the next ``index`` would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from soundalike.engine.store.lock import LibraryLock
from tests.conftest import write

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="worker processes are used on Linux only")

REPO = Path(__file__).resolve().parents[3]
SETTINGS = """
import sys
from soundalike.engine.config import EngineSettings, Settings
settings = Settings(engine=EngineSettings(data_dir=sys.argv[1], backends=("builtin",), default_backend="builtin",
                                          workers=2, worker_processes=True))
"""
INDEX = (
    SETTINGS
    + """
from soundalike.engine.library.facade import Library
from soundalike.engine.pipeline import ingest
ingest.CHUNK_FILES = 1  # many small chunks: the workers are busy for the whole run
with Library(settings) as library:
    library.scan([sys.argv[2]])
"""
)
SERVE = (
    SETTINGS
    + """
import time
from soundalike.engine.live.service import EngineService
service = EngineService(settings)
service.start([sys.argv[2]])
time.sleep(120)
"""
)


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(word) for word in text.split()]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _folder(root: Path, files: int) -> Path:
    rng = np.random.default_rng(3)
    for number in range(files):
        write(root / f"{number:03d}.wav", rng.normal(0, 0.2, 22050).astype(np.float32))
    return root


def _kill_mid_run(script: str, data: Path, folder: Path, workers: int) -> list[int]:
    """Start ``script``, wait for its worker processes, kill -9 it; the workers' pids."""
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(data), str(folder)],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    children: list[int] = []
    while time.monotonic() < deadline and process.poll() is None:
        children = [c for c in _children(process.pid) if "resource_tracker" not in _command(c)]
        if len(children) >= workers and LibraryLock(data).current_owner() is not None:
            break
        time.sleep(0.005)
    assert process.poll() is None and len(children) >= workers, process.stderr.read() if process.stderr else ""
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    return children


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _next_index_starts_within(data: Path, seconds: float, workers: list[int]) -> None:
    deadline = time.monotonic() + seconds
    try:
        while True:
            with LibraryLock(data).try_hold() as held:
                if held:
                    break
            assert time.monotonic() < deadline, f"still locked {seconds} s after kill -9 (workers {workers})"
            time.sleep(0.02)
        while any(_alive(pid) for pid in workers):
            assert time.monotonic() < deadline, "workers outlived their parent"
            time.sleep(0.02)
    finally:
        for pid in workers:  # on failure, leave no orphan behind
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_kill_9_of_index_frees_the_library_within_2_seconds(tmp_path):
    data, folder = tmp_path / "data", _folder(tmp_path / "Samples", 96)
    workers = _kill_mid_run(INDEX, data, folder, 2)
    _next_index_starts_within(data, 2.0, workers)


def test_kill_9_of_serve_frees_the_library_within_2_seconds(tmp_path):
    data, folder = tmp_path / "data", _folder(tmp_path / "Samples", 8)
    workers = _kill_mid_run(SERVE, data, folder, 2)
    _next_index_starts_within(data, 2.0, workers)
