"""TUI fixtures: a real engine over a temp library, and sounddevice faked at its module boundary."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import shutil
import sys
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from soundalike.engine.live.service import EngineService
from soundalike.tui.app import SoundalikeApp
from tests.conftest import TEST_BACKENDS


class FakeOutputStream:
    """Records what the player gives PortAudio; ``pull`` runs the callback like the audio thread."""

    def __init__(self, module: FakeSoundDevice, **kwargs):
        self.kwargs, self.started, self.closed = kwargs, False, False
        module.streams.append(self)

    def start(self):
        self.started = True

    def stop(self):
        self.started = False

    def close(self):
        self.closed = True

    def pull(self, frames: int) -> np.ndarray:
        out = np.zeros((frames, self.kwargs["channels"]), dtype=np.float32)
        self.kwargs["callback"](out, frames, None, None)
        return out


class FakeSoundDevice(types.ModuleType):
    def __init__(self, device_error: str | None = None):
        super().__init__("sounddevice")
        self.streams: list[FakeOutputStream] = []
        self.device_error = device_error

        class PortAudioError(Exception):
            pass

        self.PortAudioError = PortAudioError

    def query_devices(self, device=None, kind=None):
        if self.device_error:
            raise self.PortAudioError(self.device_error)
        return {"name": "fake out", "default_samplerate": 48000.0, "max_output_channels": 2}

    def OutputStream(self, **kwargs):  # noqa: N802 - mirrors sounddevice's class name
        return FakeOutputStream(self, **kwargs)


@pytest.fixture
def fake_sd(monkeypatch) -> FakeSoundDevice:
    module = FakeSoundDevice()
    monkeypatch.setitem(sys.modules, "sounddevice", module)
    return module


@pytest.fixture
def service(make_settings):
    with EngineService(make_settings(), backends=TEST_BACKENDS) as svc:
        yield svc


@pytest.fixture
def indexed(service, drum_folder):
    """The engine with drum_folder already indexed (24 samples)."""
    service.library.scan([drum_folder])
    return service


def make_app(service: EngineService, roots=None, tui=None) -> SoundalikeApp:
    settings = service.settings if tui is None else _with_tui(service.settings, tui)
    return SoundalikeApp(service, settings, roots=roots)


def _with_tui(settings, tui):
    import dataclasses

    return dataclasses.replace(settings, tui=tui)


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 15.0, what: str = "condition"):
    """Pause the app until ``condition()`` is true (deadline, no fixed sleeps)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if condition():
            return
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


async def in_thread(function, *args):
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


def shows_path(detail: str, path: str) -> bool:
    """Whether the detail pane's text (``#facts``) names ``path`` on its path line, which may be cut in
    the middle ("/tmp/pytest-of-…/Kit 0/kick_0.wav") where the temp folder is long (xdist's
    ``popen-gw0``, a long user name)."""
    lines = detail.splitlines()
    if len(lines) < 2:
        return False
    shown = lines[1].strip()
    if "…" not in shown:
        return shown == path
    head, tail = shown.split("…", 1)
    return path.startswith(head) and path.endswith(tail) and len(path) >= len(head) + len(tail)


@contextlib.contextmanager
def fixed_folder(root: Path) -> Iterator[Path]:
    """``root``: a fixed path that snapshots show, made empty for one test at a time. The hold is a
    lock file beside it, so pytest-xdist workers and other test runs on the machine take turns
    instead of deleting each other's files."""
    with open(root.parent.with_name(root.parent.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        shutil.rmtree(root.parent, ignore_errors=True)
        try:
            yield root
        finally:
            shutil.rmtree(root.parent, ignore_errors=True)
