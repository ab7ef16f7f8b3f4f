"""The command line on a shared catalog: one machine indexes, another asks, each in its own paths."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from soundalike.cli import main


@pytest.fixture
def machines(studio_url, drum_folder, tmp_path, monkeypatch):
    """Two config files (machine a and b, the share at a/Samples and at b/Samples, a copy); returns a
    runner: ``run("b", "similar", ...)`` -> the exit code."""
    monkeypatch.delenv("SOUNDALIKE_DATA_DIR", raising=False)
    monkeypatch.delenv("SOUNDALIKE_STORE_URL", raising=False)
    shares = {"a": tmp_path / "a" / "Samples", "b": tmp_path / "b" / "Samples"}
    for share in shares.values():
        shutil.copytree(drum_folder, share)
    for name, share in shares.items():
        (tmp_path / f"{name}.toml").write_text(
            f'[store]\nurl = "{studio_url}"\nmachine = "{name}"\nroots = ["samples={share}"]\n'
        )

    def run(machine: str, *argv: str) -> int:
        monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / f"{machine}.toml"))
        return main(["--data-dir", str(tmp_path / f"data-{machine}"), *argv])

    return run, shares


def test_one_machine_indexes_and_another_asks_in_its_own_paths(machines, capsys):
    run, shares = machines
    assert run("a", "index", str(shares["a"])) == 0
    assert "24 indexed" in capsys.readouterr().out
    kick = str(shares["b"] / "Kit 0" / "kick_0.wav")
    assert run("b", "similar", kick, "-k", "3", "--json") == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3 and all(h["path"].startswith(str(shares["b"]) + os.sep) for h in hits)
    assert run("b", "kit", kick, "--json") == 0
    assert str(shares["a"]) not in capsys.readouterr().out
    assert run("b", "duplicates", "--json") == 0
    capsys.readouterr()
    assert run("b", "stats") == 0
    assert "samples: 24" in capsys.readouterr().out
    assert run("b", "doctor") == 0
    out = capsys.readouterr().out
    assert "catalog: shared" in out and f"root {shares['b']} (named samples): here" in out
    assert run("b", "repair") != 0
    assert "repair salvages a SQLite catalog" in capsys.readouterr().err


def test_a_folder_under_no_named_root_becomes_one_and_the_others_are_told(machines, drum_folder, tmp_path, capsys):
    run, _ = machines
    loops = tmp_path / "elsewhere" / "Loops"
    shutil.copytree(drum_folder / "Kit 0", loops)
    assert run("a", "index", str(loops)) == 0
    assert 'is the shared root "Loops" now' in capsys.readouterr().err
    assert run("b", "stats") == 0
    err = capsys.readouterr().err
    assert "12 samples are under roots not mapped on this machine and left out: Loops (12)" in err
