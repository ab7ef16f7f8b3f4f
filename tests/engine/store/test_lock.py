"""One owner per library: a second process is told who owns it and may only read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from soundalike.engine.errors import UserError
from soundalike.engine.live.service import EngineService
from soundalike.engine.store.lock import LibraryLock, LibraryLocked
from tests.conftest import TEST_BACKENDS

REPO = Path(__file__).resolve().parents[3]


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO, capture_output=True, text=True, timeout=120)


def test_lock_is_reentrant_names_its_owner_and_clears_on_release(tmp_path):
    lock = LibraryLock(tmp_path)
    with lock.hold("soundalike serve") as owner:
        with lock.hold():
            assert lock.held and owner.pid == os.getpid()
        assert lock.held
        assert json.loads(lock.path.read_text())["command"] == "soundalike serve"
    assert not lock.held and lock.path.read_text() == ""
    assert LibraryLock(tmp_path).current_owner() is None


def test_a_second_holder_is_refused_with_the_owners_name(tmp_path):
    first, second = LibraryLock(tmp_path), LibraryLock(tmp_path)  # two opens conflict like two processes
    with first.hold("soundalike serve"):
        with pytest.raises(LibraryLocked, match=rf"soundalike serve \(pid {os.getpid()} on .*since"):
            second.acquire()
        assert second.current_owner().pid == os.getpid()
        with second.try_hold() as writable:
            assert writable is False
    with second.try_hold() as writable:
        assert writable is True


def test_a_lock_left_by_a_killed_process_is_not_stale(tmp_path):
    result = run_python(
        "import os, sys; from soundalike.engine.store.lock import LibraryLock; "
        "LibraryLock(sys.argv[1]).acquire('soundalike serve'); os._exit(0)",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert "soundalike serve" in (tmp_path / "soundalike.engine.store.lock").read_text()  # the info is left behind...
    lock = LibraryLock(tmp_path)
    assert lock.current_owner() is None
    with lock.hold():  # ...but the kernel dropped the lock with the process
        assert lock.held


READER = """
import json, sys
from dataclasses import replace
from soundalike.engine.config import EngineSettings, Settings
from soundalike.engine.errors import UserError
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import SimilarQuery
from tests.conftest import TEST_BACKENDS
settings = Settings(engine=EngineSettings(data_dir=sys.argv[1], backends=("bands",), default_backend="bands"))
with Library(settings, backends=TEST_BACKENDS) as library:
    hits = library.similar(SimilarQuery(sys.argv[2], k=3, collapse=False)).hits
    out = {"hits": len(hits), "samples": library.stats()["samples"]}
    try:
        library.scan()
    except UserError as e:
        out["scan"] = str(e)
    try:
        library.set_favourite(hits[0].sample.id)
    except UserError as e:
        out["favourite"] = str(e)
print(json.dumps(out))
"""


def test_second_process_reads_but_cannot_write_while_serve_runs(make_settings, drum_folder):
    settings = make_settings()
    with EngineService(settings, backends=TEST_BACKENDS) as service:
        service.start([str(drum_folder)])
        assert service.wait_idle(30)
        index_file = settings.engine.resolved_data_dir() / "index" / "bands.faiss"
        service.library.save_indexes()
        before = index_file.stat().st_mtime_ns
        result = run_python(READER, str(settings.engine.resolved_data_dir()), str(drum_folder / "Kit 0" / "kick_0.wav"))
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
        assert out["hits"] == 3 and out["samples"] == 24
        assert f"pid {os.getpid()}" in out["scan"] and "soundalike serve" in out["scan"]
        assert "in use by" in out["favourite"]
        assert index_file.stat().st_mtime_ns == before  # the reader wrote nothing

        cli = subprocess.run(
            [
                sys.executable,
                "-m",
                "soundalike",
                "--data-dir",
                str(settings.engine.data_dir),
                "index",
                str(drum_folder),
            ],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 2
        assert f"pid {os.getpid()}" in cli.stderr and len(cli.stderr.strip().splitlines()) == 1

        other = EngineService(settings, backends=TEST_BACKENDS)
        with pytest.raises(UserError, match="in use by soundalike serve"):
            other.start()
        other.stop()
    assert not service.library.lock.held
