"""Exports read back: every referenced file is there, notes follow General MIDI, velocities covered."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest

from soundalike.cli import main
from soundalike.engine.kits.builder import KitBuilder
from soundalike.engine.kits.export import export_kit
from soundalike.engine.kits.export.common import velocity_layers
from soundalike.engine.kits.export.readback import problems, read_hydrogen, read_sfz
from tests.conftest import write


@pytest.fixture(scope="module")
def kit(kit_library):
    library, root = kit_library
    return KitBuilder(library).build(str(root / "Kit 0" / "Kick-Med.wav"))


def expected_notes(kit) -> dict[int, str]:
    return {slot.note: hit.path for slot, hit in kit.picks()}


def test_velocity_layers_follow_their_names_not_their_loudness(tmp_path):
    """A ride's Hard recorded louder than its Hardest: Hardest still gets the top velocities."""
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(22050).astype(np.float32)
    for word, gain in (("Soft", 0.1), ("Medium", 0.3), ("Hard", 0.9), ("Hardest", 0.6)):
        write(tmp_path / "Rides" / f"Ride-{word}.wav", noise * gain)
    layers = velocity_layers(str(tmp_path / "Rides" / "Ride-Hard.wav"))
    assert [Path(layer.path).stem for layer in layers] == ["Ride-Soft", "Ride-Medium", "Ride-Hard", "Ride-Hardest"]
    for word, gain in (("v1", 0.8), ("v2", 0.2), ("v10", 0.5)):
        write(tmp_path / "Snares" / f"Snare_{word}.wav", noise * gain)
    numbered = velocity_layers(str(tmp_path / "Snares" / "Snare_v2.wav"))
    assert [Path(layer.path).stem for layer in numbered] == ["Snare_v1", "Snare_v2", "Snare_v10"]
    for word, gain in (("soft", 0.8), ("ff", 0.2)):  # two families: no order in the names, so by level
        write(tmp_path / "Mixed" / f"Tom_{word}.wav", noise * gain)
    mixed = velocity_layers(str(tmp_path / "Mixed" / "Tom_ff.wav"))
    assert [Path(layer.path).stem for layer in mixed] == ["Tom_ff", "Tom_soft"]


def test_velocity_layers_are_siblings_ordered_by_level(kit_library):
    _, root = kit_library
    layers = velocity_layers(str(root / "Kit 0" / "Kick-Med.wav"))
    assert [Path(layer.path).name for layer in layers] == ["Kick-Soft.wav", "Kick-Med.wav", "Kick-Hard.wav"]
    assert layers[0].low == 0.0 and layers[-1].high == 1.0
    assert [layer.high for layer in layers[:-1]] == [layer.low for layer in layers[1:]]
    assert len(velocity_layers(str(root / "Kit 0" / "Snare-0.wav"))) == 1


def test_folder_export_numbers_copies_by_slot(kit, tmp_path):
    listing = export_kit(kit, tmp_path / "out", "folder")
    files = sorted(p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".wav")
    assert len(files) == len(kit.picks())
    assert files[0].startswith("01-kick-Kick-Med") and files[1].startswith("02-snare-")
    rows = [line.split("\t") for line in listing.read_text().splitlines() if not line.startswith("#")]
    assert {int(r[2]) for r in rows} == set(expected_notes(kit))
    assert all((tmp_path / "out" / r[0]).stat().st_size == Path(r[3]).stat().st_size for r in rows)


def test_sfz_round_trip(kit, tmp_path):
    written = export_kit(kit, tmp_path / "sfz", "sfz")
    zones = read_sfz(written)
    assert problems(zones, (1, 127)) == []
    assert {z.note for z in zones} == set(expected_notes(kit))
    kick = sorted((z for z in zones if z.note == 36), key=lambda z: z.low)
    assert [(z.low, z.high) for z in kick] == [(1, 42), (43, 85), (86, 127)]  # three velocity layers
    assert "Kick-Soft" in kick[0].path.name and "Kick-Hard" in kick[2].path.name
    assert "off_by=1" in written.read_text()  # the closed hat chokes the open hat
    for zone in zones:
        if zone.note != 36:
            assert zone.path.read_bytes() == Path(expected_notes(kit)[zone.note]).read_bytes()


def test_hydrogen_round_trip(kit, tmp_path):
    written = export_kit(kit, tmp_path / "h2", "hydrogen")
    assert written.name == "drumkit.xml" and written.parent.parent == tmp_path / "h2"
    zones = read_hydrogen(written)
    assert problems(zones, (0, 1)) == []
    assert {z.note for z in zones} == set(expected_notes(kit))
    assert len([z for z in zones if z.note == 36]) == 3


def test_readback_reports_a_missing_sample(kit, tmp_path):
    written = export_kit(kit, tmp_path / "sfz", "sfz")
    victim = read_sfz(written)[0].path
    victim.unlink()
    assert problems(read_sfz(written), (1, 127)) == [f"missing file {victim}"]


def test_unknown_format_and_empty_kit_are_refused(kit, tmp_path):
    with pytest.raises(ValueError, match="unknown kit format"):
        export_kit(kit, tmp_path, "adg")


def test_cli_kit_json_and_export(kit_library, tmp_path, capsys, monkeypatch):
    library, root = kit_library
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))
    data_dir = str(library.data_dir)
    code = main(
        [
            "--data-dir",
            data_dir,
            "kit",
            str(root / "Kit 0" / "Kick-Med.wav"),
            "--json",
            "--choose",
            "snare=2",
            "--export",
            str(tmp_path / "cli"),
            "--format",
            "sfz",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["export"].endswith("kit.sfz")
    snare = next(s for s in out["slots"] if s["slot"] == "snare")
    assert snare["choice"] == 2 and snare["path"] == snare["alternatives"][1]
    code = main(
        [
            "--data-dir",
            data_dir,
            "kit",
            str(root / "Kit 0" / "Kick-Med.wav"),
            "--json",
            "--lock",
            "kick",
            "--lock",
            "snare",
            "--reroll",
            "5",
        ]
    )
    rerolled = {s["slot"]: s for s in json.loads(capsys.readouterr().out)["slots"]}
    assert code == 0 and rerolled["kick"]["choice"] == 1 and rerolled["snare"]["choice"] == 1
    assert rerolled["kick"]["locked"] and any(s["choice"] > 1 for s in rerolled.values())
    code = main(["--data-dir", data_dir, "kit", str(root / "Kit 0" / "Kick-Med.wav"), "--choose", "snare=99"])
    assert code == 2 and "alternatives" in capsys.readouterr().err


@pytest.mark.skipif(
    shutil.which("h2cli") is None, reason="Hydrogen's h2cli is not installed (apt-get install hydrogen)"
)
def test_hydrogen_itself_validates_the_kit(kit, tmp_path):
    """Hydrogen's own checker (h2cli --check, headless) loads the packed kit against its XSD."""
    written = export_kit(kit, tmp_path / "h2", "hydrogen")
    packed = tmp_path / f"{written.parent.name}.h2drumkit"
    with tarfile.open(packed, "w:gz") as tar:
        tar.add(written.parent, arcname=written.parent.name)
    result = subprocess.run(
        ["h2cli", "--check", str(packed)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    output = result.stdout + result.stderr
    assert f"{packed}] is valid" in output, output[-2000:]


def test_sfizz_itself_loads_and_plays_the_kit(kit, tmp_path):
    """sfizz (through pysfizz, headless) loads the SFZ, finds every GM note, and plays the layers."""
    pysfizz = pytest.importorskip("pysfizz", reason="pip install pysfizz to play the SFZ with sfizz")
    import numpy as np
    import soundfile as sf

    written = export_kit(kit, tmp_path / "sfz", "sfz")
    synth = pysfizz.Synth(sample_rate=44100, block_size=512)
    assert synth.load_sfz_file(written)
    assert sorted(synth.playable_keys) == sorted(expected_notes(kit))
    kick_layers = sorted((info["lovel"], info["hivel"]) for info in synth.get_note_info(36))
    # pysfizz reports sfizz's normalised velocities scaled back, so only the lower ends read exactly
    assert [low for low, _ in kick_layers] == [1, 43, 86] and kick_layers[-1][1] == 127
    soft = synth.render_note(36, 20, 0.1, 0.5).mean(axis=0)
    hard = synth.render_note(36, 120, 0.1, 0.5).mean(axis=0)
    assert 0 < np.abs(soft).max() < np.abs(hard).max()  # the soft layer is the quiet one
    source, _ = sf.read(next(z.path for z in read_sfz(written) if z.note == 36 and z.high == 127), dtype="float32")
    n = min(hard.size, source.size, 8000)
    assert np.corrcoef(hard[:n], source[:n])[0, 1] > 0.9  # it plays the hard layer's own file


def test_cli_kit_other_folders(kit_library, tmp_path, capsys, monkeypatch):
    library, root = kit_library
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "none.toml"))
    seed = str(root / "Kit 0" / "Kick-Med.wav")
    code = main(["--data-dir", str(library.data_dir), "kit", seed, "--json", "--other-folders"])
    slots = json.loads(capsys.readouterr().out)["slots"]
    paths = [p for s in slots for p in s["alternatives"]]
    assert code == 0 and paths and not any(p.startswith(str(root / "Kit 0") + "/") for p in paths)
