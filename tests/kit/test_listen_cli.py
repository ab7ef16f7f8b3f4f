"""``soundalike listen`` with sounddevice faked at its boundary, and ``similar FILE --from --to``."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import soundfile as sf

from soundalike.cli import main
from tests.conftest import write
from tests.fake_input import FakeInputDevice


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))


def test_listen_records_trims_and_finds_the_sound(kit_library, capsys, monkeypatch, tmp_path):
    library, root = kit_library
    snare, rate = sf.read(root / "Kit 1" / "Snare-1.wav", dtype="float32")
    noise = np.random.default_rng(1).normal(0, 3e-4, int(2.0 * rate)).astype(np.float32)
    noise[int(0.3 * rate) : int(0.3 * rate) + snare.size] += snare * 0.7
    monkeypatch.setitem(sys.modules, "sounddevice", FakeInputDevice(noise, rate))
    saved = tmp_path / "heard.wav"
    code = main(
        ["--data-dir", str(library.data_dir), "listen", "--seconds", "2", "-k", "3", "--json", "--save", str(saved)]
    )
    out = capsys.readouterr().out
    hits = json.loads(out[out.index("[") :])
    assert "play the sound now" in out
    assert code == 0 and hits[0]["path"] == str(root / "Kit 1" / "Snare-1.wav")
    assert 0.2 < sf.info(saved).duration < 0.6


def test_listen_without_an_input_device_offers_the_file_route(kit_library, capsys, monkeypatch):
    library, _ = kit_library
    monkeypatch.setitem(sys.modules, "sounddevice", FakeInputDevice(device_error="no default input"))
    code = main(["--data-dir", str(library.data_dir), "listen"])
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "play the sound now" not in captured.out  # no prompt before the device is found
    assert "no audio input device" in err[0] and "similar FILE --from 1.2 --to 1.5" in err[0]


def test_similar_from_to_searches_with_a_hit_of_a_loop(kit_library, capsys, tmp_path):
    library, root = kit_library
    hat, rate = sf.read(root / "Kit 0" / "HatOpen-0.wav", dtype="float32")
    kick, _ = sf.read(root / "Kit 0" / "Kick-Hard.wav", dtype="float32")
    loop = np.zeros(int(1.6 * rate), np.float32)
    loop[: kick.size] += kick
    loop[int(0.8 * rate) : int(0.8 * rate) + hat.size] += hat[: loop.size - int(0.8 * rate)]
    path = write(tmp_path / "loop.wav", loop * 0.7, rate)
    code = main(
        ["--data-dir", str(library.data_dir), "similar", str(path), "--from", "0.7", "--to", "1.6", "-k", "2", "--json"]
    )
    hits = json.loads(capsys.readouterr().out)
    # the two generated open hats differ only by their seed: the source must be one of the two
    assert code == 0 and str(root / "Kit 0" / "HatOpen-0.wav") in [h["path"] for h in hits]
    assert all("HatOpen" in h["path"] for h in hits)
    code = main(["--data-dir", str(library.data_dir), "similar", str(path), "--from", "1", "--to", "0.5"])
    assert code == 2 and "must come after" in capsys.readouterr().err


def test_listen_searches_with_the_chosen_span_of_the_recording(kit_library, capsys, monkeypatch):
    library, root = kit_library
    kick, rate = sf.read(root / "Kit 0" / "Kick-Hard.wav", dtype="float32")
    clap, _ = sf.read(root / "Kit 1" / "Clap-1.wav", dtype="float32")
    take = np.zeros(int(2.0 * rate), np.float32)
    take[int(0.1 * rate) : int(0.1 * rate) + kick.size] += kick
    take[int(1.2 * rate) : int(1.2 * rate) + clap.size] += clap[: take.size - int(1.2 * rate)]
    monkeypatch.setitem(sys.modules, "sounddevice", FakeInputDevice(take, rate))
    code = main(["--data-dir", str(library.data_dir), "listen", "--seconds", "2", "--from", "1.0", "-k", "1", "--json"])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out[out.index("[") :])[0]["path"] == str(root / "Kit 1" / "Clap-1.wav")
