"""kill -9 of a real ``soundalike index`` or ``serve`` on a shared catalog mid-scan loses nothing: once
its claims expire, another indexer records every file, each once, and decodes none the killed one
recorded."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time

import pytest

from soundalike.engine.config import StoreSettings
from soundalike.engine.embedders.registry import BACKENDS
from soundalike.engine.library.facade import Library
from soundalike.engine.store.postgres.store import PostgresStore
from tests.studio.conftest import count_decodes
from tests.studio.test_indexers import one_shots

FILES = 400


@pytest.fixture
def decodes(monkeypatch):
    return count_decodes(monkeypatch)


def start_indexer(command: list[str], url: str, share, folder) -> subprocess.Popen:
    """``soundalike index`` (or ``serve``) as machine "doomed" on the shared catalog, its claims lasting 2 s."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text('[store]\nmachine = "doomed"\nclaim_seconds = 2.0\n[engine]\nworkers = 2\n')
    env = {**os.environ, "SOUNDALIKE_STORE_URL": url}
    soundalike = [sys.executable, "-m", "soundalike", "--config", str(config), "--data-dir", str(folder / "data")]
    return subprocess.Popen(
        [*soundalike, *command, str(share)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


@pytest.mark.parametrize("command", [["index"], ["serve", "--no-bridge"]], ids=["index", "serve"])
def test_kill_9_of_an_indexer_mid_scan_loses_nothing(command, machine_settings, studio_url, tmp_path, decodes):
    share = tmp_path / "share"
    files = sorted(str(p) for p in one_shots(share, FILES))
    watcher = PostgresStore(studio_url, StoreSettings(roots=(f"share={share}",)))  # sees the doomed's paths
    doomed = start_indexer(command, studio_url, share, tmp_path / "doomed")
    try:
        deadline = time.monotonic() + 120
        while sum(watcher.status_counts().values()) < 40:
            assert doomed.poll() is None, doomed.stderr.read().decode() if doomed.stderr else "exited"
            assert time.monotonic() < deadline, "the indexer recorded nothing"
            time.sleep(0.02)
        held = watcher.claims()
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
        before = {row.path for row in watcher.list_samples(limit=10 * FILES)}
        assert len(before) < FILES, "killed mid-scan"
        assert {claim.machine for claim in held} == {"doomed"}, "it held claims on what it was decoding"

        settings = machine_settings("survivor", backends=("builtin",), default="builtin", worker_processes=False)
        settings = dataclasses.replace(settings, store=dataclasses.replace(settings.store, claim_seconds=2.0))
        survivor = Library(settings, backends=BACKENDS)
        try:
            report = survivor.scan([str(share)])
            rows = survivor.browse.rows(limit=10 * FILES)
        finally:
            survivor.close()
        assert sorted(row.path for row in rows) == files, "every file recorded, each once"
        assert {row.status for row in rows} == {"ok"}
        assert sorted(decodes) == sorted(set(files) - before), "the survivor decoded each file left, once"
        assert report.indexed == FILES - len(before)
        assert watcher.claims() == []
    finally:
        if doomed.poll() is None:
            doomed.kill()
        watcher.close()
