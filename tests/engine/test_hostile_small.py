"""The smaller defects (truncated AIFFs, NaN WAVs, FIFOs, odd names in one-line
outputs, the debug log, notices printed twice, SIGTERM during index)."""

from __future__ import annotations

import errno
import logging
import os
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from soundalike import logs
from soundalike.cli import main
from soundalike.engine.errors import DecodeError
from soundalike.engine.pipeline.audio import decode_file
from soundalike.engine.tools.demo import render
from tests.conftest import write

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_user_config(tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "no-user-config.toml"))
    monkeypatch.delenv("SOUNDALIKE_DATA_DIR", raising=False)


def test_tiny_truncated_aiffs_fail_quietly_with_a_reason(tmp_path, monkeypatch):
    ignored = []  # what Python would print as "Exception ignored from cffi callback"
    monkeypatch.setattr(sys, "unraisablehook", ignored.append)
    whole = write(tmp_path / "whole.aiff", render("kick", seed=1))
    data = whole.read_bytes()
    for size in (22, 30, 40, 48):
        cut = tmp_path / f"cut_{size}.aiff"
        cut.write_bytes(data[:size])
        with pytest.raises(DecodeError):
            decode_file(cut)
    assert [str(u.exc_value) for u in ignored] == []


def test_a_wav_of_nothing_but_nan_is_not_called_silent(tmp_path):
    path = write(tmp_path / "nan.wav", np.full(2000, np.nan, dtype=np.float32), subtype="FLOAT")
    mixed = np.full(2000, np.inf, dtype=np.float32)
    mixed[::2] = -np.inf
    inf = write(tmp_path / "inf.wav", mixed, subtype="FLOAT")
    for broken in (path, inf):
        with pytest.raises(DecodeError, match="NaN or infinite"):
            decode_file(broken)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_fifo_and_names_with_newlines_keep_one_line_per_file(tmp_path, capsys):
    root = tmp_path / "s"
    write(root / "good.wav", render("kick", seed=1))
    os.mkfifo(root / "pipe.wav")
    (root / "two\nlines.wav").write_text("not audio")
    data = str(tmp_path / "lib")
    code, out, _ = run(capsys, "--data-dir", data, "index", str(root))
    assert code == 0 and "2 failed" in out
    assert "not a regular file (a named pipe)" in out and "empty file" not in out
    assert "two\\nlines.wav" in out and not any(line.endswith("two") for line in out.splitlines())
    code, out, _ = run(capsys, "--data-dir", data, "stats", "--failures")
    listed = [line for line in out.splitlines() if "\t" in line]
    assert len(listed) == 2 and any("two\\nlines.wav\t" in line for line in listed)


def test_debug_log_keeps_our_lines_not_every_inotify_event(tmp_path):
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = logs.configure(tmp_path / "logs")
        logging.getLogger("watchdog.observers.inotify_buffer").debug("in-event <InotifyEvent: spam>")
        logging.getLogger("watchdog.observers.inotify").error(
            "InotifyEmitter.queue_events() called when the thread is inactive"
        )
        with warnings.catch_warnings(record=True) as shown:
            warnings.simplefilter("default")
            logs.quiet_watchdog()
            warnings.warn(
                "Callback with id 'x' already exists for watch /s. It will be Overwritten.",
                RuntimeWarning,
                stacklevel=1,
            )
        logging.getLogger("soundalike.engine.live.indexer").debug("one of ours")
        logging.getLogger("soundalike.engine.live.indexer").info("a name: %s", os.fsdecode(b"bad_\xff.wav"))
        for handler in root.handlers:
            if getattr(handler, "baseFilename", None) == str(path):
                handler.flush()
        text = path.read_text(encoding="utf-8")
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()
        logging.getLogger("watchdog").setLevel(logging.NOTSET)
        logging.getLogger("watchdog.observers.inotify").filters.clear()
    assert "one of ours" in text and "spam" not in text and "bad_\\udcff.wav" in text
    assert "thread is inactive" not in text and shown == []


@pytest.mark.parametrize("error,lines", [(errno.EIO, 1), (errno.ENOSPC, 0)])  # a full disk: the command says so
def test_a_log_file_that_cannot_be_written_says_so_at_most_once(tmp_path, capsys, error, lines):
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = logs.configure(tmp_path / "logs")
        handler = next(h for h in root.handlers if getattr(h, "baseFilename", None) == str(path))

        def full(*args):
            raise OSError(error, os.strerror(error))

        handler.stream.write = full
        for number in range(20):
            logging.getLogger("soundalike.engine.live.indexer").info("record %d", number)
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
        logging.getLogger("watchdog.observers.inotify").filters.clear()
    err = capsys.readouterr().err
    assert "Logging error" not in err and "Traceback" not in err
    assert err.count("cannot write the log file") == lines


def test_sigterm_during_index_keeps_what_was_done_and_says_so(tmp_path, drum_folder):
    data = tmp_path / "lib"
    script = (
        "import sys, time; import soundalike.commands.library as c\n"
        "def slow(library, folders):\n"
        "    print('scanning', flush=True); time.sleep(30)\n"
        "c.scan_with_progress = slow\n"
        "from soundalike.cli import main\n"
        f"sys.exit(main(['--data-dir', {str(data)!r}, 'index', {str(drum_folder)!r}]))\n"
    )
    env = {**os.environ, "SOUNDALIKE_CONFIG": str(tmp_path / "none.toml"), "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout.readline().strip() == "scanning"
        time.sleep(0.2)
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=20)
    finally:
        child.kill()
    assert child.returncode == 130 and "what was indexed is kept" in err


def test_the_terminal_app_shows_an_odd_name_readably():
    from soundalike.engine.store.catalog import SampleRow
    from soundalike.tui.format import display_path

    name = os.fsdecode(b"/S/kit/bad_\xff.wav")
    row = SampleRow(
        id=1,
        path=name,
        root="/S",
        size=1,
        mtime=1.0,
        content_hash=None,
        status="ok",
        reason=None,
        format=None,
        sample_rate=None,
        channels=None,
        duration=None,
        peak_db=None,
        rms_db=None,
        silent=None,
        clipped=None,
        favourite=False,
        added=0.0,
        updated=0.0,
    )
    assert display_path(row, None) == "kit/bad_\\xff.wav"
    assert display_path(row, None).encode("utf-8")
