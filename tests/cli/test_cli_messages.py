"""What the command line says when a producer mistypes: one line that names the fix."""

from __future__ import annotations

import pytest

from soundalike.cli import main
from soundalike.engine.embedders.torch_support import INSTALL_HINT
from soundalike.engine.library.facade import Library
from tests.conftest import catalog_of


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "no-user-config.toml"))
    monkeypatch.delenv("SOUNDALIKE_DATA_DIR", raising=False)


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:  # argparse errors exit
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def indexed_data(tmp_path, capsys, drum_folder) -> str:
    data = str(tmp_path / "lib")
    assert run(capsys, "--data-dir", data, "index", str(drum_folder))[0] == 0
    return data


def test_a_missing_file_says_so(tmp_path, capsys):
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "lib"), "similar", str(tmp_path / "nope.wav"))
    assert code == 1 and "no such file" in err and "vanished" not in err


def test_a_mistyped_command_is_suggested_not_taken_for_a_folder(tmp_path, capsys):
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "lib"), "simlar", "x.wav")
    assert code == 2 and "did you mean 'similar'" in err and "is not a folder" not in err


def test_an_unknown_tag_names_the_close_ones(indexed_data, capsys, drum_folder):
    with Library(_settings(indexed_data)) as library:
        from soundalike.engine.store import reads

        tags = [t for t, _ in reads.all_tags(catalog_of(library))]
    assert "snare" in tags  # the built-in backend names drums
    code, out, err = run(
        capsys, "--data-dir", indexed_data, "similar", str(drum_folder / "Kit 0" / "kick_0.wav"), "--tag", "snar"
    )
    assert code == 2 and "snar" in err and "did you mean" in err and "snare" in err
    assert "library empty" not in out + err


def test_k_zero_is_rejected(indexed_data, capsys, drum_folder):
    code, out, err = run(
        capsys, "--data-dir", indexed_data, "similar", str(drum_folder / "Kit 0" / "kick_0.wav"), "-k", "0"
    )
    assert code == 2 and "1 or more" in err and not out


def test_install_hints_name_the_projects_own_route():
    assert "scripts/setup.sh neural" in INSTALL_HINT and ".venv" in INSTALL_HINT


def _settings(data: str):
    from soundalike.engine.config import load_settings

    return load_settings().with_data_dir(data)


def test_text_search_without_clap_names_the_setup_script(tmp_path, capsys):
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "lib"), "search", "tight snare")
    assert code == 2 and "scripts/setup.sh neural" in err


def test_output_into_a_closed_pipe_ends_quietly(tmp_path):
    """`soundalike similar … | head`: the reader goes away; no BrokenPipeError traceback."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    env = {**os.environ, "SOUNDALIKE_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "empty").mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "soundalike", "--data-dir", str(tmp_path / "lib"), "index", str(tmp_path / "empty")],
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        timeout=60,
    )
    os.close(write_end)
    assert "BrokenPipeError" not in done.stderr and "Traceback" not in done.stderr
    assert done.returncode == 141


def test_an_unexpected_database_error_is_one_line_naming_the_catalog(indexed_data, capsys, drum_folder):
    with Library(_settings(indexed_data)) as library:
        with catalog_of(library).transaction() as tx:
            tx.execute("DROP TABLE tags")  # by hand: nothing the catalog names itself
    code, out, err = run(
        capsys, "--data-dir", indexed_data, "similar", str(drum_folder / "Kit 0" / "kick_0.wav"), "--tag", "snare"
    )
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines() == [
        f"soundalike: the catalog {indexed_data}/catalog.sqlite could not be read or "
        f"written (no such table: tags); if it is damaged, run `soundalike repair`"
    ]
