"""Odd values a client sends or a catalog holds: a NUL in a path, ids past 32 bits."""

from __future__ import annotations

import logging

from soundalike.bridge.osc import protocol as p
from soundalike.engine.events import SampleAdded
from tests.bridge.conftest import wait_until


def test_a_nul_in_a_path_is_not_found_not_an_internal_error(client, server, caplog):
    with caplog.at_level(logging.INFO):
        for path in ("file:///x/%00", "file:///x/%00.wav", "file:///x/kick%00.wav/"):
            error = client.similar(path).error
            assert error and "no such audio file" in error, error
        assert "not a folder name" in client.request(f"{p.PREFIX}/kit_export", "file:///x/%00kit", "sfz").error
    assert server.status()["internal"] == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


def test_an_id_past_32_bits_reaches_a_subscriber_as_a_decimal_string(server, client):
    from soundalike.bridge.osc.client import OscClient

    with OscClient(*server.address, timeout=5.0) as listener:
        assert client.subscribe(listener.port).error is None
        server.push.on_event(SampleAdded(2**33 + 5, "/x/kick.wav"))
        server.server.wake()
        got: list = []
        assert wait_until(lambda: bool(got.extend(listener.receive(2.0)) or got), 3.0)
    assert got[0] == (f"{p.PREFIX}/event/added", ("8589934597", "/x/kick.wav"))
