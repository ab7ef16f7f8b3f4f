"""The live engine's ingest on its spawned worker processes records exactly what
worker threads record, loses no file when a worker dies, and leaves no process behind.

Real generated files (good, silent, broken, long), the real built-in backend and musical
analysis, real watchdog events (a folder moved into a watched root), real spawned workers. The
spy from the batch tests stands in for the workers' entry point (pickled by name, so the
spawned children import it) and proves the chunks ran in other processes.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import soundalike.engine.pipeline.executors
from soundalike.engine.live.service import EngineService
from tests.conftest import FAST_WATCH, TEST_BACKENDS, catalog_of
from tests.engine.pipeline.test_ingest_processes import SPY_FOLDER, _folder, _spy_chunk

FILES = 25  # what _folder makes: 23 decodable, one silent, one broken


@pytest.fixture
def spy(tmp_path, monkeypatch):
    folder = tmp_path / "spy"
    folder.mkdir()
    monkeypatch.setenv(SPY_FOLDER, str(folder))  # before the workers are spawned: they inherit it
    monkeypatch.setattr(soundalike.engine.pipeline.executors, "process_chunk", _spy_chunk)
    monkeypatch.setattr(soundalike.engine.pipeline.executors, "CHUNK_FILES", 4)  # several chunks per worker
    return folder


def _settings(make_settings, tmp_path, name: str, processes: bool):
    settings = make_settings(backends=("builtin",), default="builtin", worker_processes=processes)
    return dataclasses.replace(
        settings, watch=FAST_WATCH, engine=dataclasses.replace(settings.engine, data_dir=str(tmp_path / name))
    )


def _children() -> list[tuple[int, str]]:
    """This process's child processes from /proc: (pid, command line)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == os.getpid():
                found.append((int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()))
        except OSError:  # gone meanwhile
            continue
    return found


def _workers() -> list[tuple[int, str]]:
    """Children other than multiprocessing's one resource tracker (it lives as long as we do)."""
    return [(pid, cmd) for pid, cmd in _children() if "resource_tracker" not in cmd]


def _recorded(service: EngineService) -> dict:
    """What the library recorded for every file: status, reason, facts, hash, vector, tags, musical."""
    catalog = catalog_of(service.library)
    rows = catalog.query(
        "SELECT id, path, status, reason, content_hash, format, sample_rate, channels, duration, "
        "peak_db, rms_db, clipped FROM samples ORDER BY path"
    )
    index = service.library.index("builtin")
    recorded = {}
    for sid, path, *facts in rows:
        vector = index.reconstruct(sid) if facts[0] == "ok" else None
        tags = catalog.query("SELECT source, tag, score FROM tags WHERE sample_id = ? ORDER BY 1, 2", (sid,))
        musical = catalog.query("SELECT * FROM musical WHERE sample_id = ?", (sid,))
        recorded[Path(path).name] = (tuple(facts), vector, tags, [m[1:] for m in musical])
    return recorded


def _drop(service: EngineService, folder: Path, root: Path, files: int) -> None:
    """Move ``folder`` into the watched ``root`` and wait until its ``files`` are recorded."""
    os.rename(folder, root / folder.name)
    deadline = time.monotonic() + 120
    while sum(n for s, n in service.library.stats()["by_status"].items() if s in ("ok", "failed")) < files:
        assert time.monotonic() < deadline, service.status()
        time.sleep(0.05)
    assert service.wait_idle(60)


def _serve(settings, tmp_path: Path, name: str) -> tuple[EngineService, Path]:
    root = tmp_path / f"root-{name}"
    root.mkdir()
    service = EngineService(settings, backends=TEST_BACKENDS)
    service.start([str(root)])
    assert service.wait_idle(60)
    return service, root


def test_live_ingest_on_worker_processes_records_exactly_what_threads_record(make_settings, tmp_path, spy):
    source = _folder(tmp_path / "Samples")
    (spy / "crashed").write_text("no crash in this test")
    recorded = {}
    for name, processes in (("threads", False), ("processes", True)):
        folder = tmp_path / name / "Pack"
        shutil.copytree(source, folder)
        service, root = _serve(_settings(make_settings, tmp_path, name, processes), tmp_path, name)
        try:
            assert bool(_workers()) == processes  # spawned at start, before any file arrives
            _drop(service, folder, root, FILES)
            recorded[name] = _recorded(service)
        finally:
            service.stop()
        if not processes:
            assert not list(spy.glob("pid-*"))  # threads never call the process entry point
    pids = {int(p.name[4:]) for p in spy.glob("pid-*")}
    assert pids and os.getpid() not in pids  # the chunks really ran in other processes
    by_threads, by_processes = recorded["threads"], recorded["processes"]
    assert by_processes.keys() == by_threads.keys() and len(by_threads) == FILES
    for name, (facts, vector, tags, musical) in by_threads.items():
        p_facts, p_vector, p_tags, p_musical = by_processes[name]
        assert p_facts == facts and p_tags == tags and p_musical == musical, name
        assert (vector is None and p_vector is None) or np.array_equal(vector, p_vector), name
    assert by_threads["broken.wav"][0][0] == "failed" and by_threads["silent.wav"][0][0] == "failed"
    assert sum(facts[0] == "ok" for facts, *_ in by_threads.values()) == FILES - 2


def test_a_worker_that_dies_mid_batch_costs_no_file_and_the_next_batch_gets_new_workers(
    make_settings, tmp_path, spy, caplog
):
    service, root = _serve(_settings(make_settings, tmp_path, "crash", True), tmp_path, "crash")
    try:
        with caplog.at_level(logging.WARNING, logger="soundalike.engine.pipeline.executors"):
            _drop(service, _folder(tmp_path / "Pack"), root, FILES)
        assert (spy / "crashed").exists() and "worker processes failed" in caplog.text  # a worker did die
        recorded = _recorded(service)
        assert recorded["crash_me.wav"][0][0] == "ok" and recorded["crash_me.wav"][1] is not None
        assert sum(facts[0] == "ok" for facts, *_ in recorded.values()) == FILES - 2
        assert service.workers.restarts == 1
        before = {p.name for p in spy.glob("pid-*")}
        _drop(service, _folder(tmp_path / "More"), root, 2 * FILES)  # crash_me again: no crash this time
        assert {p.name for p in spy.glob("pid-*")} - before  # fresh workers did the next batch
        assert service.library.stats()["by_status"]["ok"] == 2 * (FILES - 2)  # same names: _recorded would merge
    finally:
        service.stop()
    assert not _workers()


def test_a_worker_killed_while_idle_costs_no_file(make_settings, tmp_path, spy):
    (spy / "crashed").write_text("no crash in this test")
    service, root = _serve(_settings(make_settings, tmp_path, "killed", True), tmp_path, "killed")
    try:
        victim = next(child for child in multiprocessing.active_children() if "Spawn" in type(child).__name__)
        os.kill(victim.pid, signal.SIGKILL)  # the OOM killer, or a user with kill -9
        deadline = time.monotonic() + 20
        while victim.pid in dict(_workers()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        _drop(service, _folder(tmp_path / "Pack"), root, FILES)
        assert sum(facts[0] == "ok" for facts, *_ in _recorded(service).values()) == FILES - 2
    finally:
        service.stop()
    assert not _workers()


def test_stopping_the_service_leaves_no_worker_process(make_settings, tmp_path, spy):
    (spy / "crashed").write_text("no crash in this test")
    service, root = _serve(_settings(make_settings, tmp_path, "stop", True), tmp_path, "stop")
    try:
        workers = _workers()
        assert len(workers) == 2 and all("multiprocessing" in cmd for _, cmd in workers)
        os.rename(_folder(tmp_path / "Pack"), root / "Pack")
        deadline = time.monotonic() + 60
        while not list(spy.glob("pid-*")):  # stop while the workers are busy
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        service.stop()
    assert not _workers() and not [c for c in multiprocessing.active_children() if "Spawn" in type(c).__name__]


UNDER_A_CAPTURED_STDERR = """
import sys
from soundalike.engine.config import EngineSettings
from soundalike.engine.embedders.builtin import BuiltinEmbedder
from soundalike.engine.pipeline.live_pool import LiveWorkerPool

class Capture:  # what Textual puts in sys.stderr while the app runs
    def write(self, text): return len(text)
    def flush(self): pass
    def fileno(self): return -1

sys.stderr = Capture()
pool = LiveWorkerPool(EngineSettings(workers=2))
started = pool.start({"builtin": BuiltinEmbedder()}, {"builtin": None})
pool.close()
print("started" if started else "threads")
"""


def test_workers_start_under_the_apps_captured_stderr():
    """The app's stderr capture has fileno() -1; multiprocessing's resource tracker passed it to its
    process and the app crashed at start-up ("bad value(s) in fds_to_keep"). A fresh interpreter, so
    the tracker is not already running from another test."""
    done = subprocess.run([sys.executable, "-c", UNDER_A_CAPTURED_STDERR], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "started"
