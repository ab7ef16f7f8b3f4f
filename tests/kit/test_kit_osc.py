"""The kit and span addresses over a real UDP socket on loopback, on a library the built-in tags."""

from __future__ import annotations

import os

import numpy as np
import pytest

from soundalike.bridge import Bridge
from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import OscClient
from soundalike.engine.kits.export.readback import problems, read_sfz
from tests.bridge.conftest import bridge_settings
from tests.conftest import write


@pytest.fixture(scope="module")
def client(kit_library, tmp_path_factory):
    library, _ = kit_library
    base = tmp_path_factory.getbasetemp()  # every test's tmp_path: where exports and bounced loops go
    bridge = Bridge(
        library, None, bridge_settings(query_folders=(str(base),)), state_file=base / "bridge-clients.json"
    ).start()
    with OscClient(*bridge.address, timeout=20.0) as client:
        yield client
    bridge.stop()


def test_kit_replies_one_slot_per_message(client, kit_library):
    _, root = kit_library
    response = client.request(f"{p.PREFIX}/kit", str(root / "Kit 0" / "Kick-Med.wav"))
    slots = response.of(p.KIT_SLOT)
    assert response.error is None and response.count == len(slots) >= 8
    assert slots[0][:3] == ("kick", 36, str(root / "Kit 0" / "Kick-Med.wav"))
    assert slots[0][4:] == (1, slots[0][5], 0)  # choice 1 of n, not locked
    assert {s[0] for s in slots} >= {"kick", "snare", "closed hat", "crash", "ride"}


def test_kit_edit_cycles_locks_and_rerolls_this_clients_kit(client, kit_library):
    _, root = kit_library
    built = {s[0]: s for s in client.request(f"{p.PREFIX}/kit", str(root / "Kit 0" / "Kick-Med.wav")).of(p.KIT_SLOT)}
    edited = {s[0]: s for s in client.request(f"{p.PREFIX}/kit_edit", "next", "snare").of(p.KIT_SLOT)}
    assert edited["snare"][4] == 2 and edited["snare"][2] != built["snare"][2]
    locked = {s[0]: s for s in client.request(f"{p.PREFIX}/kit_edit", "lock", "snare").of(p.KIT_SLOT)}
    assert locked["snare"][6] == 1
    for _ in range(3):
        rerolled = {s[0]: s for s in client.request(f"{p.PREFIX}/kit_edit", "reroll", "").of(p.KIT_SLOT)}
        assert rerolled["snare"][2] == edited["snare"][2]  # locked: kept
    assert "unknown kit edit" in client.request(f"{p.PREFIX}/kit_edit", "shuffle", "").error
    assert "needs a slot" in client.request(f"{p.PREFIX}/kit_edit", "next", "").error
    assert "unknown kit slot" in client.request(f"{p.PREFIX}/kit_edit", "next", "gong").error


def test_kit_export_writes_the_clients_kit_as_checked_sfz(client, kit_library, tmp_path):
    _, root = kit_library
    slots = client.request(f"{p.PREFIX}/kit", str(root / "Kit 1" / "Snare-1.wav")).of(p.KIT_SLOT)
    response = client.request(f"{p.PREFIX}/kit_export", str(tmp_path), "sfz")
    [(written,)] = response.of(p.EXPORTED)
    assert response.error is None and written.endswith("kit.sfz") and response.count == len(slots)
    zones = read_sfz(written)
    assert problems(zones, (1, 127)) == [] and {z.note for z in zones} == {s[1] for s in slots}


def test_kit_export_errors_are_replies(kit_library, tmp_path):
    library, root = kit_library
    bridge = Bridge(
        library, None, bridge_settings(query_folders=(str(tmp_path),)), state_file=tmp_path / "bridge-clients.json"
    ).start()
    with OscClient(*bridge.address, timeout=20.0) as fresh:
        assert "no kit yet" in fresh.request(f"{p.PREFIX}/kit_export", str(tmp_path), "sfz").error
        fresh.request(f"{p.PREFIX}/kit", str(root / "Kit 1" / "Snare-1.wav"))
        assert "unknown kit format" in fresh.request(f"{p.PREFIX}/kit_export", str(tmp_path), "adg").error
        assert "not an absolute path" in fresh.request(f"{p.PREFIX}/kit_export", "rel/dir", "sfz").error
        outside = fresh.request(f"{p.PREFIX}/kit_export", "/etc/soundalike-kit", "sfz").error
        assert "not inside the library's folders" in outside and not os.path.exists("/etc/soundalike-kit")
    bridge.stop()


def test_similar_span_finds_the_hit_in_a_bounced_loop(client, kit_library, tmp_path):
    library, root = kit_library
    snare, _ = _read(root / "Kit 1" / "Snare-1.wav")
    kick, rate = _read(root / "Kit 0" / "Kick-Hard.wav")
    loop = np.zeros(int(2.0 * rate), np.float32)
    for start, hit in ((0.0, kick), (0.5, snare), (1.0, kick), (1.5, snare)):
        i = int(start * rate)
        loop[i : i + hit.size] += hit[: loop.size - i]
    bounced = write(tmp_path / "bounce.wav", loop * 0.8, rate)
    response = client.request(f"{p.PREFIX}/similar_span", str(bounced), 0.45, 0.95, 3)
    assert response.error is None and response.paths[0] == str(root / "Kit 1" / "Snare-1.wav")
    bad = client.request(f"{p.PREFIX}/similar_span", str(bounced), 1.0, 0.5, 3)
    assert "must come after" in bad.error


def test_similar_span_follows_the_conventions_of_every_query(client, kit_library, tmp_path):
    _, root = kit_library
    kick, rate = _read(root / "Kit 0" / "Kick-Hard.wav")
    loop = np.zeros(int(1.0 * rate), np.float32)
    loop[int(0.2 * rate) : int(0.2 * rate) + kick.size] += kick[: loop.size - int(0.2 * rate)]
    bounced = str(write(tmp_path / "bounce.wav", loop * 0.8, rate))
    span = f"{p.PREFIX}/similar_span"
    with OscClient(*client.server, timeout=20.0) as fresh:  # its own settings
        default = fresh.request(span, bounced, 0.1, 0.9, 0)  # k = 0: the default, as for similar
        assert default.error is None and default.count == fresh.request(f"{p.PREFIX}/similar", bounced, 0).count
        assert fresh.set("fields", 1).error is None
        [first, *_] = fresh.request(span, bounced, 0.1, 0.9, 2).of(p.RESULT)
        assert len(first) == 3 + 4  # rank path score, then kind bpm key root
        errors = [
            fresh.request(span, bounced, -0.5, 0.9, 2).error,
            fresh.request(span, bounced, 0.9, 0.1, 2).error,
            fresh.request(span, bounced, 5.0, 6.0, 2).error,
        ]
    assert "from must be 0 s or later" in errors[0]
    assert all(error and "--" not in error for error in errors), errors


def _read(path):
    import soundfile as sf

    audio, rate = sf.read(path, dtype="float32")
    return audio, rate
