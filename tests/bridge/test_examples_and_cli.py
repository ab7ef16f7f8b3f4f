"""The bundled Max patch is a valid patcher wired to the protocol; `soundalike osc` works end to end."""

from __future__ import annotations

import json
from pathlib import Path

import mido
import pytest

from soundalike import cli
from soundalike.bridge.midi.input import open_input
from tests.bridge.conftest import bridge_settings

PATCH = Path(__file__).resolve().parents[2] / "examples" / "max" / "soundalike.maxpat"
LIVE_PATCH = PATCH.with_name("soundalike-live.maxpat")


def boxes_and_lines(patch: Path = PATCH):
    patcher = json.loads(patch.read_text())["patcher"]
    boxes = {entry["box"]["id"]: entry["box"] for entry in patcher["boxes"]}
    return boxes, [entry["patchline"] for entry in patcher["lines"]]


@pytest.mark.parametrize("patch", [PATCH, LIVE_PATCH], ids=lambda patch: patch.name)
def test_max_patch_lines_connect_existing_inlets_and_outlets(patch):
    boxes, lines = boxes_and_lines(patch)
    for line in lines:
        (source, outlet), (destination, inlet) = line["source"], line["destination"]
        assert outlet < boxes[source]["numoutlets"] and inlet < boxes[destination]["numinlets"]


def test_max_patch_speaks_the_protocol():
    boxes, lines = boxes_and_lines()
    texts = {box.get("text", ""): box_id for box_id, box in boxes.items()}
    assert "udpsend 127.0.0.1 9000" in texts and "udpreceive 9001" in texts
    assert "/soundalike/set reply_port 9001" in texts
    assert "/soundalike/similar $1 10 1" in texts
    assert any(text.startswith("route /soundalike/result /soundalike/done /soundalike/error") for text in texts)
    assert any(box["maxclass"] == "dropfile" for box in boxes.values())
    sends_to = {line["destination"][0] for line in lines if line["source"][0] == texts["/soundalike/similar $1 10 1"]}
    assert sends_to == {texts["udpsend 127.0.0.1 9000"]}


@pytest.fixture
def osc_args(server, tmp_path, monkeypatch):
    monkeypatch.setenv("SOUNDALIKE_DATA_DIR", str(tmp_path / "cli-data"))  # the CLI's log goes here
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "no-config.toml"))
    return ["--port", str(server.address[1]), "--timeout", "5"]


def test_cli_similar_prints_ranked_paths(osc_args, samples, capsys):
    assert cli.main(["osc", "similar", str(samples / "Kit 1" / "kick_1.wav"), "-k", "3", *osc_args]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0].split()[0] == "1" and "kick" in lines[0]
    assert "3 results, round trip" in lines[-1]


def test_cli_similar_json_in_list_format(osc_args, samples, capsys):
    cli.main(
        ["osc", "similar", str(samples / "Kit 1" / "kick_1.wav"), "-k", "2", "--format", "list", "--json", *osc_args]
    )
    assert len(json.loads(capsys.readouterr().out)) == 2


def test_cli_error_reply_and_no_server(osc_args, capsys):
    assert cli.main(["osc", "similar", "/no/such.wav", *osc_args]) == 2
    assert "no such audio file" in capsys.readouterr().err
    assert cli.main(["osc", "ping", "--port", "9", "--timeout", "0.2"]) == 2
    assert "is soundalike running?" in capsys.readouterr().err


@pytest.mark.parametrize(
    "request_args,expected",
    [
        (["ping", "--count", "2"], "pong from 127.0.0.1"),
        (["status"], "samples"),
        (["backends"], "bands"),
        (["random"], "1 results"),
        (["tags", "{kick}"], "no tags"),
        (["search", "boomy kick"], "clap"),
        (["send", "/soundalike/ping", "42"], "/soundalike/pong 42"),
        (["subscribe", "--seconds", "0.2"], "subscribed on port"),
    ],
)
def test_cli_every_request(osc_args, samples, capsys, request_args, expected):
    request_args = [a.replace("{kick}", str(samples / "Kit 0" / "kick_0.wav")) for a in request_args]
    cli.main(["osc", *request_args, *osc_args])
    captured = capsys.readouterr()
    assert expected in captured.out + captured.err


def test_mido_backend_environment_variable_is_honoured(monkeypatch):
    monkeypatch.setenv("MIDO_BACKEND", "tests.bridge.fake_midi_backend")
    port, line = open_input(bridge_settings(midi_enabled=True))
    assert port is not None and port.virtual and line == "MIDI: virtual input 'soundalike'"
    assert mido  # the real mido Backend resolved the fake module
