"""Subscribers whose port has closed are dropped; a client that set a reply port outlives throw-away senders.

Real UDP on loopback: subscribers are real sockets, closed the way a quitting patch closes them;
Linux answers the next event sent to them with "port unreachable", which the bridge reads.
"""

from __future__ import annotations

import socket
import sys

import pytest

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import OscClient
from soundalike.engine.events import Notice
from tests.bridge.conftest import wait_until

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux reports closed UDP ports")


def _closed_port() -> int:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def _event(bridge) -> None:
    bridge.push.on_event(Notice("info", "something happened"))
    bridge.server.wake()


@linux_only
def test_subscribers_whose_port_closed_are_dropped_and_free_every_slot(server, client):
    for _ in range(server.push.max_subscribers):
        assert client.subscribe(_closed_port()).error is None
    assert "too many subscribers" in client.subscribe(_closed_port()).error
    _event(server)
    assert wait_until(lambda: not server.push.subscribers(), 3.0), server.push.subscribers()
    assert server.status()["unreachable"] == server.push.max_subscribers
    with OscClient(*server.address, timeout=5.0) as listener:
        assert client.subscribe(listener.port).error is None  # a slot is free again
        assert client.ping().messages[-1][0] == p.PONG  # and replies to live clients still arrive
        _event(server)
        assert (f"{p.PREFIX}/event/notice", ("info", "something happened")) in listener.receive(3.0)
        assert server.push.subscribers() == [("127.0.0.1", listener.port)]


@linux_only
def test_a_dead_subscriber_kept_across_a_restart_is_dropped_when_the_restarted_server_says_hello(start_bridge):
    first = start_bridge()
    with OscClient(*first.address, timeout=5.0) as client:
        dead = _closed_port()
        assert client.subscribe(dead).error is None
    first.stop()
    second = start_bridge()  # same state file: the subscription is restored, then greeted
    assert wait_until(lambda: ("127.0.0.1", dead) not in second.push.subscribers(), 3.0)
    assert second.status()["unreachable"] == 1


def test_subscribers_from_config_are_never_dropped_as_gone(start_bridge):
    port = _closed_port()
    bridge = start_bridge(subscribers=(f"127.0.0.1:{port}",))
    _event(bridge)
    with OscClient(*bridge.address, timeout=5.0) as client:
        assert client.ping().messages[-1][0] == p.PONG
    assert ("127.0.0.1", port) in bridge.push.subscribers()


def test_a_client_with_a_reply_port_is_not_evicted_by_throw_away_clients(server):
    with OscClient(*server.address, timeout=5.0) as listener, OscClient(*server.address, timeout=5.0) as patch:
        patch.send(f"{p.PREFIX}/set", "reply_port", listener.port, 1)
        assert listener.wait(1).messages == [(p.DONE, (1, 0))]
        with OscClient(*server.address, timeout=5.0) as subscriber:
            assert subscriber.subscribe().error is None
            assert subscriber.set("format", "list").error is None
            for _ in range(300):  # each a fresh source port, each remembered for a moment
                with OscClient(*server.address, timeout=5.0) as passer_by:
                    assert passer_by.set("format", "both").error is None
            assert server.handlers.clients.get(("127.0.0.1", subscriber.port)).format == "list"
        patch.send(f"{p.PREFIX}/ping", 2)
        assert listener.wait(2).messages == [(p.PONG, (2,))]  # still answered at its reply port
