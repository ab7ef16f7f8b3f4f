"""The kit and span addresses over a real UDP socket on loopback, on a library the built-in tags."""
from __future__ import annotations

import numpy as np
import pytest

from bridge import Bridge
from bridge import protocol as p
from bridge.client import OscClient
from engine.kit_export.readback import problems, read_sfz
from tests.bridge.conftest import bridge_settings
from tests.conftest import write


@pytest.fixture(scope="module")
def client(kit_library):
    library, _ = kit_library
    bridge = Bridge(library, None, bridge_settings()).start()
    with OscClient(*bridge.address, timeout=20.0) as client:
        yield client
    bridge.stop()


def test_kit_replies_one_slot_per_message(client, kit_library):
    _, root = kit_library
    response = client.request(f"{p.PREFIX}/kit", str(root / "Kit 0" / "Kick-Med.wav"))
    slots = response.of(p.KIT_SLOT)
    assert response.error is None and response.count == len(slots) >= 8
    assert slots[0][:3] == ("kick", 36, str(root / "Kit 0" / "Kick-Med.wav"))
    assert {s[0] for s in slots} >= {"kick", "snare", "closed hat", "crash", "ride"}


def test_kit_export_writes_a_checked_sfz(client, kit_library, tmp_path):
    _, root = kit_library
    response = client.request(f"{p.PREFIX}/kit_export", str(root / "Kit 1" / "Snare-1.wav"), str(tmp_path), "sfz")
    [(written,)] = response.of(p.EXPORTED)
    assert response.error is None and written.endswith("kit.sfz")
    assert problems(read_sfz(written), (1, 127)) == []


def test_kit_export_errors_are_replies(client, kit_library, tmp_path):
    _, root = kit_library
    seed = str(root / "Kit 1" / "Snare-1.wav")
    assert "unknown kit format" in client.request(f"{p.PREFIX}/kit_export", seed, str(tmp_path), "adg").error
    assert "not an absolute path" in client.request(f"{p.PREFIX}/kit_export", seed, "rel/dir", "sfz").error


def test_similar_span_finds_the_hit_in_a_bounced_loop(client, kit_library, tmp_path):
    library, root = kit_library
    snare, _ = _read(root / "Kit 1" / "Snare-1.wav")
    kick, rate = _read(root / "Kit 0" / "Kick-Hard.wav")
    loop = np.zeros(int(2.0 * rate), np.float32)
    for start, hit in ((0.0, kick), (0.5, snare), (1.0, kick), (1.5, snare)):
        i = int(start * rate)
        loop[i: i + hit.size] += hit[: loop.size - i]
    bounced = write(tmp_path / "bounce.wav", loop * 0.8, rate)
    response = client.request(f"{p.PREFIX}/similar_span", str(bounced), 0.45, 0.95, 3)
    assert response.error is None and response.paths[0] == str(root / "Kit 1" / "Snare-1.wav")
    bad = client.request(f"{p.PREFIX}/similar_span", str(bounced), 1.0, 0.5, 3)
    assert "must come after" in bad.error


def _read(path):
    import soundfile as sf
    audio, rate = sf.read(path, dtype="float32")
    return audio, rate
