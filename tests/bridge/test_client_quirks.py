"""What real clients send: k = 0 or "" for the default, Pd's id alone, IPv4 clients of a "::" server, busy."""

from __future__ import annotations

import socket
import struct
from importlib import metadata

import pytest

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.access import AccessPolicy, is_loopback
from soundalike.bridge.osc.client import OscClient
from soundalike.engine.config import BridgeSettings
from tests.bridge.test_hostile_packets import osc_string, raw_message


def kick(samples) -> str:
    return str(samples / "Kit 0" / "kick_0.wav")


@pytest.mark.parametrize("k", [0, 0.0, ""])
def test_k_zero_or_empty_means_the_default_so_an_id_can_follow(client, samples, k):
    client.send("/soundalike/similar", kick(samples), k, 7)
    response = client.wait(7)
    assert response.error is None and response.count == 10 and len(response.hits) == 10


def test_an_empty_port_means_the_senders_own(client, server):
    client.send("/soundalike/subscribe", "", 4)
    assert client.wait(4).error is None
    assert server.status()["subscribers"] == 1


@pytest.mark.parametrize("tags,payload", [(",f", struct.pack(">f", 7.0)), (",i", struct.pack(">i", 7))])
def test_random_with_only_an_id_as_pd_sends_it(client, tags, payload):
    client.send_raw(raw_message("/soundalike/random", tags, payload))
    response = client.wait(7)
    assert response.error is None and response.count == 1 and len(response.hits) == 1


def test_random_with_a_tag_and_an_id_still_works(client):
    client.send_raw(raw_message("/soundalike/random", ",si", osc_string("zither") + struct.pack(">i", 8)))
    assert "tagged 'zither'" in client.wait(8).error


def test_status_shows_the_service_busy_while_indexing(start_bridge, library):
    class IndexingService:
        """The engine service's face to the bridge, caught mid-scan."""

        events = library.events

        def __init__(self):
            self.library = library

        def status(self):
            return {"busy": True}

    server = start_bridge(IndexingService())
    with OscClient(*server.address) as client:
        status = client.status()
    assert status["busy"] == 1 and status["queue_full"] == 0


def test_a_bare_library_is_never_reported_busy_and_the_version_is_the_installed_one(client):
    status = client.status()
    assert "busy" not in status  # only an engine service knows whether it is indexing
    assert status["version"] == metadata.version("soundalike")


def ipv6_available() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as probe:
            probe.bind(("::", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not ipv6_available(), reason="no IPv6 on this machine")
def test_a_server_on_all_ipv6_addresses_answers_local_ipv4_clients(start_bridge):
    server = start_bridge(osc_host="::")
    with OscClient("127.0.0.1", server.address[1], timeout=2.0) as client:
        assert client.ping().messages == [(p.PONG, (1,))]
    assert server.status()["refused"] == 0


def test_ipv4_mapped_addresses_are_loopback_and_match_ipv4_allow_entries():
    assert is_loopback("::ffff:127.0.0.1")
    assert AccessPolicy(BridgeSettings()).allows("::ffff:127.0.0.1")
    opened = AccessPolicy(BridgeSettings(osc_host="::", allow=("192.168.1.0/24",)))
    assert opened.allows("::ffff:192.168.1.5") and not opened.allows("::ffff:10.0.0.1")
