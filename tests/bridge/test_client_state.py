"""The file that keeps client settings across restarts: round trip, expiry, and files it cannot use."""

from __future__ import annotations

import json
import logging

from soundalike.bridge.osc import client_state
from soundalike.bridge.osc.prefs import ClientPrefs
from soundalike.engine.store.filters import Filters

CLIENT = ("127.0.0.1", 50123)


def test_settings_and_leases_round_trip(tmp_path):
    path = tmp_path / "state" / "bridge-clients.json"
    prefs = ClientPrefs(
        format="list",
        reply_port=9001,
        k=5,
        weights={"timbre": 1.0},
        filters=Filters(under="/samples/Kicks", tag="kick"),
    )
    client_state.save(path, {CLIENT: prefs, ("127.0.0.1", 2): ClientPrefs()}, {CLIENT: 120.0, ("::1", 9): float("inf")})
    saved = client_state.load(path)
    assert saved.prefs == {CLIENT: prefs}  # clients with default settings are not kept
    assert list(saved.leases) == [CLIENT] and 0 < saved.leases[CLIENT] <= 120.0


def test_expired_leases_and_unknown_fields_are_dropped(tmp_path):
    path = tmp_path / "bridge-clients.json"
    path.write_text(
        json.dumps(
            {
                "version": 1,
                "saved_at": 0,
                "subscribers": {"127.0.0.1:9001": 600},
                "clients": {
                    "127.0.0.1:50123": {"format": "both", "colour": "red", "filters": {"tag": "snare", "mood": "sad"}}
                },
            }
        )
    )
    saved = client_state.load(path)
    assert saved.leases == {}
    assert saved.prefs == {CLIENT: ClientPrefs(format="both", filters=Filters(tag="snare"))}


def test_an_unreadable_file_starts_empty_and_says_so(tmp_path, caplog):
    path = tmp_path / "bridge-clients.json"
    path.write_text("{not json")
    with caplog.at_level(logging.WARNING):
        assert client_state.load(path) == client_state.SavedState()
    assert "ignoring the OSC client state" in caplog.text
    assert client_state.load(tmp_path / "absent.json") == client_state.SavedState()
