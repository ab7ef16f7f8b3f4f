"""One QueryError for a request the caller got wrong, and one aspect-weights parser.

The bridge answers a QueryError as the client's fault; anything else, a plain ValueError from numpy
included, is a bug: logged at ERROR with its traceback and answered as an internal error.
"""

from __future__ import annotations

import logging

import pytest

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.handlers import dispatch
from soundalike.bridge.osc.protocol import Request
from soundalike.cli import main
from soundalike.engine.errors import FileError, QueryError, UserError
from soundalike.engine.weights import parse_weights


@pytest.mark.parametrize(
    "text, weights",
    [
        (None, None),
        ("", None),
        ("  ", None),
        ("timbre", {"timbre": 1.0}),
        ("timbre=1, envelope=0.5", {"timbre": 1.0, "envelope": 0.5}),
        ("pitch=0,timbre=2", {"pitch": 0.0, "timbre": 2.0}),
    ],
)
def test_weights_as_typed(text, weights):
    assert parse_weights(text) == weights


@pytest.mark.parametrize(
    "text",
    ["timbre=loud", "timbre=", "=0.5", "timbre,,envelope", "timbre=nan", "timbre=inf", "timbre=-1", "timbre,timbre=2"],
)
def test_malformed_weights_are_a_query_error_that_says_what_is_accepted(text):
    with pytest.raises(QueryError, match="aspect"):
        parse_weights(text)


def test_a_query_error_is_still_a_value_error_for_older_handlers():
    assert issubclass(QueryError, ValueError)


@pytest.mark.parametrize("aspect", ["timbre=nan", "=0.5"])
def test_the_cli_refuses_the_same_weights_in_one_line(tmp_path, capsys, monkeypatch, drum_folder, aspect):
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "no-user-config.toml"))
    kick = next(drum_folder.rglob("*.wav"))
    code = main(["--data-dir", str(tmp_path / "lib"), "similar", "--aspect", aspect, str(kick)])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("soundalike: aspect:") and "NAME=WEIGHT" in err
    assert "Traceback" not in err


def raising(error: Exception):
    def handler(request):
        raise error

    return {"/soundalike/backends": handler}


def request() -> Request:
    return Request("/soundalike/backends", {}, ("127.0.0.1", 9001), 7)


@pytest.mark.parametrize("error", [QueryError("k must be at most 100"), FileError("kick.wav: not audio")])
def test_the_clients_fault_is_answered_with_its_message_and_no_traceback(caplog, error):
    with caplog.at_level(logging.INFO, logger="bridge"):
        replies, counter = dispatch(raising(error), request())
    assert replies == [p.error(7, str(error))] and counter == "failed"
    assert all(r.levelno < logging.ERROR and r.exc_info is None for r in caplog.records)


def test_a_setup_problem_is_answered_with_what_to_do(caplog):
    with caplog.at_level(logging.INFO, logger="bridge"):
        replies, counter = dispatch(raising(UserError("install clap: scripts/setup.sh neural")), request())
    assert replies == [p.error(7, "install clap: scripts/setup.sh neural")] and counter == "failed"
    assert all(r.exc_info is None for r in caplog.records)


@pytest.mark.parametrize(
    "error",
    [ValueError("operands could not be broadcast together"), OSError(5, "I/O error"), RuntimeError("faiss assertion")],
)
def test_anything_else_is_a_bug_logged_at_error_with_its_traceback(caplog, error):
    with caplog.at_level(logging.INFO, logger="bridge"):
        replies, counter = dispatch(raising(error), request())
    assert counter == "internal" and "internal error" in replies[0][1][1]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None
