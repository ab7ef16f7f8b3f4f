"""A studio on this machine: one real PostgreSQL catalog, and "machines" that share it, each with a
data folder of its own (its indexes and logs) and its own path for each named root."""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path

import pytest

from soundalike.engine.config import Settings, StoreSettings


def count_decodes(monkeypatch, delay: float = 0.0) -> list[str]:
    """Every path decoded in this process from now on, by any engine (the built-in test backend
    decodes on threads); ``delay``: seconds each decode is held, so that indexers overlap."""
    import soundalike.engine.pipeline.ingest

    calls: list[str] = []
    lock = threading.Lock()
    real = soundalike.engine.pipeline.ingest.decode_file

    def decode(path, *args, **kwargs):
        with lock:
            calls.append(path)
        if delay:
            time.sleep(delay)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(soundalike.engine.pipeline.ingest, "decode_file", decode)
    return calls


@pytest.fixture
def studio_url(postgres_server, tmp_path) -> str:
    """The URL of a fresh shared catalog (a schema of its own on the test process's server)."""
    return postgres_server.catalog_for(tmp_path / "studio")


@pytest.fixture
def own_server(postgres_server):
    """A PostgreSQL server of the test's own, to stop, start and restart under the engines using it."""
    from tests.studio.faults import OwnServer

    server = OwnServer(postgres_server.bin_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def machine_settings(make_settings, studio_url, tmp_path):
    """Settings of one machine of the studio: ``machine_settings("a", {"samples": "/mnt/a"}, user="ann")``."""

    def _make(name: str, roots: dict[str, str] | None = None, user: str = "", **engine) -> Settings:
        settings = make_settings(**engine).with_data_dir(tmp_path / f"machine-{name}")
        store = StoreSettings(
            url=studio_url,
            user=user,
            machine=name,
            roots=tuple(f"{root}={Path(path)}" for root, path in (roots or {}).items()),
        )
        return dataclasses.replace(settings, store=store)

    return _make
