"""Commands that only read leave a missing library untouched; path lists may hold names that are not UTF-8."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from soundalike.cli import main


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "no-user-config.toml"))
    monkeypatch.delenv("SOUNDALIKE_DATA_DIR", raising=False)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("command", [["stats"], ["stats", "--failures"]])
def test_a_read_only_command_on_a_missing_library_creates_nothing(tmp_path, capsys, command):
    data = tmp_path / "no library here"
    run(capsys, "--data-dir", str(data), *command)
    assert not data.exists(), sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))


def test_the_log_file_starts_once_the_library_exists(tmp_path, capsys, drum_folder):
    data = tmp_path / "new library"
    assert run(capsys, "--data-dir", str(data), "index", str(drum_folder / "Kit 0"))[0] == 0
    assert (data / "logs" / "soundalike.log").stat().st_size > 0


@pytest.mark.skipif(os.name == "nt", reason="names are bytes on POSIX only")
def test_embed_paths_from_reads_names_that_are_not_utf8(tmp_path, capsys, drum_folder):
    odd = os.fsencode(tmp_path) + b"/snare_\xe9t\xe9.wav"  # Latin-1, as an old archive names it
    shutil.copy(drum_folder / "Kit 1" / "snare_1.wav", odd)
    listing = tmp_path / "list.txt"
    listing.write_bytes(odd + b"\tsnare\n")
    out_file = tmp_path / "vectors.npy"
    code, _, err = run(
        capsys, "--data-dir", str(tmp_path / "data"), "embed", "--paths-from", str(listing), "--out", str(out_file)
    )
    assert code == 0, err
    matrix = np.load(out_file)
    assert matrix.shape[0] == 1 and not np.isnan(matrix).any()
