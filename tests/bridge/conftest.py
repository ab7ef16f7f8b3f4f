"""Bridge fixtures: one small indexed library per module, a started bridge on an ephemeral port."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import pytest

from soundalike.bridge import Bridge
from soundalike.bridge.osc.client import OscClient
from soundalike.engine.config import BridgeSettings, EngineSettings, Settings
from soundalike.engine.library.facade import Library
from soundalike.engine.tools.demo import render
from tests.conftest import TEST_BACKENDS, write

INSTRUMENTS = ("kick", "snare", "closed hat", "cymbal")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    root = tmp_path_factory.mktemp("bridge") / "Samples"
    for kit in range(2):
        for number, instrument in enumerate(INSTRUMENTS):
            for take in range(2):
                write(
                    root / f"Kit {kit}" / f"{instrument.replace(' ', '_')}_{take}.wav",
                    render(instrument, seed=kit * 100 + number * 10 + take),
                )
    return root


@pytest.fixture(scope="module")
def library(samples):
    settings = Settings(
        engine=EngineSettings(
            data_dir=str(samples.parent / "data"), backends=("bands",), default_backend="bands", workers=2
        )
    )
    with Library(settings, backends=TEST_BACKENDS) as library:
        library.scan([samples])
        yield library


def bridge_settings(**changes) -> BridgeSettings:
    return dataclasses.replace(BridgeSettings(osc_port=0, midi_enabled=False), **changes)


@pytest.fixture
def start_bridge(library, tmp_path):
    started: list[Bridge] = []

    def _start(source=None, **changes) -> Bridge:
        bridge = Bridge(
            source or library, None, bridge_settings(**changes), state_file=tmp_path / "bridge-clients.json"
        ).start()
        started.append(bridge)
        return bridge

    yield _start
    for bridge in started:
        bridge.stop()


@pytest.fixture
def server(start_bridge) -> Bridge:
    return start_bridge()


@pytest.fixture
def client(server):
    with OscClient(*server.address, timeout=5.0) as client:
        yield client


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()
