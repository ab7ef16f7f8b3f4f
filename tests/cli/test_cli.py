"""The command line as a producer uses it, with the real built-in backend."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from soundalike.cli import main
from tests.conftest import write


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "no-user-config.toml"))
    monkeypatch.delenv("SOUNDALIKE_DATA_DIR", raising=False)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_index_then_similar_json(tmp_path, capsys, drum_folder):
    data = str(tmp_path / "lib")
    code, out, _ = run(capsys, "--data-dir", data, "index", str(drum_folder))
    assert code == 0 and "24 audio files seen: 24 indexed" in out
    code, out, _ = run(
        capsys, "--data-dir", data, "similar", str(drum_folder / "Kit 0" / "kick_0.wav"), "-k", "4", "--json"
    )
    hits = json.loads(out)
    assert code == 0 and len(hits) == 4
    assert all({"path", "score", "rank"} <= set(h) for h in hits)
    assert [h["rank"] for h in hits] == [1, 2, 3, 4]
    assert sum("kick" in h["path"] for h in hits) >= 3
    code, out, _ = run(capsys, "--data-dir", data, "index")
    assert code == 0 and "0 indexed, 24 unchanged" in out


def test_index_says_which_files_came_back_without_decoding(tmp_path, capsys, drum_folder):
    data = str(tmp_path / "lib")
    run(capsys, "--data-dir", data, "index", str(drum_folder))
    away = tmp_path / "away"
    drum_folder.rename(away)
    code, out, _ = run(capsys, "--data-dir", data, "index")
    assert code == 0 and "is not there (unplugged drive?)" in out
    away.rename(drum_folder)
    code, out, _ = run(capsys, "--data-dir", data, "index")
    assert code == 0 and "0 indexed, 24 unchanged" in out
    assert "24 of the unchanged were back from offline or missing" in out


def test_index_summary_groups_failures_by_reason(tmp_path, capsys, drum_folder):
    (drum_folder / "broken").mkdir()
    for name in ("a.wav", "b.wav"):
        (drum_folder / "broken" / name).write_text("not audio")
    (drum_folder / "broken" / "empty.aiff").write_bytes(b"")
    data = str(tmp_path / "lib")
    code, out, _ = run(capsys, "--data-dir", data, "index", str(drum_folder))
    assert code == 0 and "3 failed" in out
    assert "failures by reason:" in out and "empty file" in out
    assert any(line.strip().startswith("2  not decodable audio") for line in out.splitlines())
    code, out, _ = run(capsys, "--data-dir", data, "stats", "--failures")
    assert "24 ok" in out and "3 failed" in out and str(drum_folder / "broken" / "a.wav") in out


def test_embed_keeps_rows_aligned_with_nan_for_failures(tmp_path, capsys, drum_folder):
    good = drum_folder / "Kit 1" / "snare_1.wav"
    broken = write(tmp_path / "x.wav", np.zeros(10))
    broken.write_text("garbage")
    listing = tmp_path / "list.tsv"
    listing.write_text(
        f"{good}\tkit\tSnare\tsnare\n\n{broken}\tkit\tX\tx\n{drum_folder / 'Kit 0' / 'kick_2.wav'}\n{good}\n"
    )
    out_file = tmp_path / "vectors.npy"
    code, _, err = run(capsys, "embed", "--paths-from", str(listing), "--out", str(out_file))
    matrix = np.load(out_file)
    assert code == 0 and matrix.dtype == np.float32 and matrix.shape[0] == 4
    assert np.isnan(matrix[1]).all() and not np.isnan(matrix[[0, 2, 3]]).any()
    np.testing.assert_array_equal(matrix[0], matrix[3])
    assert f"{broken}: not decodable audio" in err
    np.testing.assert_allclose(np.linalg.norm(matrix[0]), 1.0, atol=1e-4)
    listing.write_text(f"{broken}\n")
    assert run(capsys, "embed", "--paths-from", str(listing), "--out", str(out_file))[0] == 1


def test_doctor_explains_each_step(tmp_path, capsys, drum_folder):
    quiet = write(tmp_path / "long quiet.wav", np.concatenate([np.zeros(22050), 0.001 * np.ones(10)]), 44100)
    code, out, _ = run(capsys, "doctor", str(drum_folder / "Kit 0" / "closed_hat_0.wav"))
    assert code == 0
    for step in ("decode: WAV", "trim: removed", "resample: 44100 Hz ->", "embed: shape", "NaNs 0"):
        assert step in out
    code, out, _ = run(capsys, "doctor", str(quiet))
    assert "warning:" in out


def test_unknown_backend_is_one_clear_line(tmp_path, capsys):
    config = tmp_path / "config.toml"
    config.write_text('[engine]\nbackends = ["buitlin"]\n')
    code, _, err = run(capsys, "--config", str(config), "--data-dir", str(tmp_path / "lib"), "stats")
    assert code == 2
    assert err.startswith("soundalike: unknown backend 'buitlin'; valid backends:") and "builtin" in err
    assert len(err.strip().splitlines()) == 1


def test_similar_on_a_missing_file_is_an_error_not_a_traceback(tmp_path, capsys):
    code, _, err = run(capsys, "--data-dir", str(tmp_path / "lib"), "similar", str(tmp_path / "nope.wav"))
    assert code == 1 and "nope.wav" in err and "Traceback" not in err


def test_eval_on_a_labelled_folder(tmp_path, capsys, drum_folder):
    labelled = tmp_path / "Labelled"
    for path in drum_folder.rglob("*.wav"):
        label = path.stem.rsplit("_", 1)[0]
        target = labelled / label / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    code, out, _ = run(capsys, "eval", str(labelled), "--backends", "builtin")
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("builtin"))
    precision, top1, mean_ap = (float(v) for v in line.split()[1:4])
    # each sound has 3 same-label sounds in the other kit, so P@10 is at most 0.3
    assert 0.2 <= precision <= 0.3 and top1 >= 0.75 and mean_ap >= 0.6
    assert "per label" in out and "kick" in out


def test_eval_says_a_missing_package_once_for_every_backend_it_stops(tmp_path, capsys, drum_folder, monkeypatch):
    import sys

    labelled = tmp_path / "Labelled"
    for path in drum_folder.rglob("kick_*.wav"):
        target = labelled / "kick" / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    monkeypatch.setitem(sys.modules, "torch", None)  # as on a machine without the neural extras
    code, out, _ = run(capsys, "eval", str(labelled), "--backends", "builtin,clap,mert,wavlm")
    assert code == 0
    assert out.count("needs the Python package 'torch'") == 1
    line = next(line for line in out.splitlines() if "skipped" in line)
    assert line.startswith("clap, mert, wavlm skipped")


def test_ctrl_c_during_index_keeps_a_consistent_library_that_resumes(tmp_path):
    import os
    import signal
    import sqlite3
    import subprocess
    import sys
    import time

    from soundalike.engine.tools.demo import render

    folder = tmp_path / "Many"
    for number in range(400):
        write(folder / f"pack{number // 50}" / f"hit_{number:03d}.wav", render("snare", seed=number))
    data = tmp_path / "lib"
    env = {**os.environ, "SOUNDALIKE_CONFIG": str(tmp_path / "none.toml")}
    command = [sys.executable, "-m", "soundalike", "--data-dir", str(data), "index", str(folder)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with sqlite3.connect(data / "catalog.sqlite") as conn:
                if conn.execute("SELECT count(*) FROM samples").fetchone()[0] > 0:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.02)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("indexing finished before the interrupt arrived")
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0
    seen = resumed.stdout.split(" audio files seen")[0]
    assert seen == "400" and "0 failed" in resumed.stdout
    unchanged = int(resumed.stdout.split(" unchanged")[0].rsplit(" ", 1)[1])
    assert 0 < unchanged < 400  # what was indexed before Ctrl-C was kept, the rest was done now


def test_a_one_off_similar_starts_no_approximate_build(tmp_path, capsys, drum_folder, monkeypatch):
    """Past ``approximate_above`` a one-off query searches exactly over the saved index and never
    starts building the approximate one, which would outlive the process's work."""
    import threading

    data = str(tmp_path / "lib")
    config = tmp_path / "small.toml"
    config.write_text("[index]\napproximate_above = 10\napproximate_lists = 4\n")
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(config))
    query = str(drum_folder / "Kit 0" / "kick_0.wav")
    assert run(capsys, "--data-dir", data, "index", str(drum_folder))[0] == 0
    for thread in threading.enumerate():
        if thread.name == "approximate-index":  # the index run's, for copy candidates
            thread.join(60)
    code, out, _ = run(capsys, "--data-dir", data, "similar", query, "-k", "5", "--json", "--no-collapse")
    assert code == 0 and not [t for t in threading.enumerate() if t.name == "approximate-index"]
    config.write_text("[index]\napproximate_above = 0\n")
    assert json.loads(run(capsys, "--data-dir", data, "similar", query, "-k", "5", "--json", "--no-collapse")[1]) == (
        json.loads(out)
    )
