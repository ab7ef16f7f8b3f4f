"""Status, ping, push events, reply addresses, bad input and access control over real sockets."""

from __future__ import annotations

import threading

import pytest

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.access import AccessPolicy
from soundalike.bridge.osc.client import ClientTimeout, OscClient
from soundalike.bridge.osc.wire import encode
from soundalike.engine.config import BridgeSettings
from soundalike.engine.errors import UserError
from soundalike.engine.events import Notice, Progress, SampleAdded
from tests.bridge.conftest import wait_until


def test_ping_and_status(client, server):
    assert client.ping().messages == [(p.PONG, (1,))]
    status = client.status()
    assert status["osc"] == f"listening on 127.0.0.1:{server.address[1]}"
    assert status["samples"] == 16 and status["default_backend"] == "bands"
    assert status["midi"].startswith("MIDI off") and status["errors"] == 0 and status["requests"] >= 2


@pytest.mark.parametrize(
    "packet,kind",
    [
        (b"not osc at all", "malformed"),
        (b"", "malformed"),
        (encode("/soundalike/ping", [1])[:-3], "malformed"),
        (encode("/soundalike/frobnicate", [1]), "unknown_address"),
        (encode("/other/app", []), "unknown_address"),
        (encode("/soundalike/similar", [1, 2, 3]), "bad_arguments"),
        (encode("/soundalike/ping", [1, 2]), "bad_arguments"),
        (encode("/soundalike/search", [""]), "bad_arguments"),
        (encode("/soundalike/search", ["x" * 60_000]), "bad_arguments"),
    ],
)
def test_bad_packets_get_an_error_reply_are_counted_and_the_server_keeps_serving(client, server, packet, kind):
    client.send_raw(packet)
    [(address, args)] = client.receive()
    assert address == p.ERROR and isinstance(args[1], str) and args[1]
    assert wait_until(lambda: server.status()[kind] == 1)
    assert server.status()["errors"] == 1
    assert client.ping().messages[0][0] == p.PONG


def test_failed_requests_are_counted(client, server):
    client.similar("/no/such.wav", 3)
    assert client.status()["failed"] == 1


def test_subscribers_receive_pushed_events_and_progress_is_coalesced(client, server, library):
    assert client.subscribe().error is None
    assert wait_until(lambda: server.status()["subscribers"] == 1)
    library.events.publish(SampleAdded(7, "/samples/new kick.wav"))
    for done in range(1, 101):
        library.events.publish(Progress(done, 100, f"/samples/{done}.wav"))
    library.events.publish(Notice("warning", "watching by polling"))
    events = receive_events(
        client, until=lambda seen: ("/soundalike/event/progress", (100, 100, "/samples/100.wav")) in seen
    )
    assert ("/soundalike/event/added", (7, "/samples/new kick.wav")) in events
    assert ("/soundalike/event/notice", ("warning", "watching by polling")) in events
    progress = [args for address, args in events if address == "/soundalike/event/progress"]
    assert len(progress) < 100, "progress must be coalesced"
    assert client.unsubscribe().error is None
    assert wait_until(lambda: server.status()["subscribers"] == 0)


def receive_events(client, until, timeout=5.0):
    seen = list(client.stray)
    while not until(seen):
        seen += client.receive(timeout)
    return seen


def test_subscribe_to_another_port_on_the_same_host(client, server, library):
    with OscClient(*server.address) as listener:
        assert client.subscribe(listener.port).error is None
        library.events.publish(SampleAdded(9, "/samples/hat.wav"))
        assert listener.receive() == [("/soundalike/event/added", (9, "/samples/hat.wav"))]


def test_reply_port_per_client_and_from_config(start_bridge):
    with OscClient(listen_port=0) as receiver:
        server = start_bridge(reply_port=receiver.port)
        with OscClient(*server.address, timeout=0.3) as sender:
            sender.send("/soundalike/ping", 5)
            assert receiver.receive() == [(p.PONG, (5,))]
            with pytest.raises(ClientTimeout):
                sender.receive()
            assert sender.set("reply_port", sender.port).error is None  # its answer already comes here
            assert sender.ping().messages == [(p.PONG, (2,))]


def test_requests_beyond_the_queue_are_answered_busy(start_bridge):
    entered, release = threading.Event(), threading.Event()
    server = start_bridge(queue_size=2)

    def slow(request):
        entered.set()
        release.wait(5)
        return [(p.PONG, (request.id,))]

    server.server.table["/soundalike/ping"] = slow
    with OscClient(*server.address) as client:
        client.send("/soundalike/ping", 0)
        assert entered.wait(5)
        for request_id in range(1, 6):
            client.send("/soundalike/ping", request_id)
        busy = [client.receive()[0] for _ in range(3)]
        assert {args[0] for _, args in busy} == {3, 4, 5} and all("busy" in args[1] for _, args in busy)
        release.set()
        assert sorted(client.receive()[0][1][0] for _ in range(3)) == [0, 1, 2]
        assert server.status()["queue_full"] == 3


def test_a_crashing_handler_is_an_internal_error_and_the_server_goes_on(client, server):
    def broken(request):
        raise RuntimeError("bug")

    server.server.table["/soundalike/backends"] = broken
    response = client.backends()
    assert "internal error" in response.error
    assert server.status()["internal"] == 1 and client.ping().messages


def test_packets_from_refused_hosts_get_no_reply_but_are_counted(client, server):
    server.server.access.allows = lambda host: False
    client.send("/soundalike/ping", 1)
    with pytest.raises(ClientTimeout):
        client.receive(0.3)
    assert server.status()["refused"] == 1


def test_access_policy():
    loopback = AccessPolicy(BridgeSettings())
    assert loopback.allows("127.0.0.1") and loopback.allows("::1") and not loopback.allows("192.168.1.5")
    opened = AccessPolicy(BridgeSettings(osc_host="0.0.0.0", allow=("192.168.1.0/24", "10.0.0.7")))
    assert opened.allows("192.168.1.5") and opened.allows("10.0.0.7") and opened.allows("127.0.0.1")
    assert not opened.allows("10.0.0.8") and not opened.allows("not an address")
    with pytest.raises(UserError, match="allow"):
        AccessPolicy(BridgeSettings(allow=("bogus",)))


def test_a_taken_port_is_a_user_error(start_bridge, server):
    with pytest.raises(UserError, match="cannot open the OSC port"):
        start_bridge(osc_port=server.address[1])


def test_configured_subscribers_must_be_host_port_and_allowed(start_bridge):
    with pytest.raises(UserError, match="HOST:PORT"):
        start_bridge(subscribers=("localhost",))
    with pytest.raises(UserError, match="allow"):
        start_bridge(subscribers=("192.168.1.9:9001",))


def test_osc_can_be_switched_off(start_bridge):
    bridge = start_bridge(osc_enabled=False)
    assert bridge.status()["osc"] == "off"


def test_the_socket_accepts_datagrams_larger_than_python_osc_default(client, samples):
    padding = "x" * 20_000  # a 20 KB packet would be dropped silently by an 8 KB server
    client.send("/soundalike/set", "tag", padding, 3)
    [(address, args)] = client.receive()
    assert address == p.ERROR and args[0] == 3 and "longer than" in args[1]


def test_the_bridge_reports_its_state_and_each_request_on_the_event_bus(library, start_bridge, samples):
    from soundalike.bridge.events import BridgeActivity, BridgeState

    seen = []
    unsubscribe = library.events.subscribe(seen.append)
    try:
        server = start_bridge()
        with OscClient(*server.address) as client:
            client.similar(str(samples / "Kit 0" / "kick_0.wav"), 3)
            client.send_raw(b"junk")
            client.receive()
        assert wait_until(lambda: sum(isinstance(e, BridgeActivity) for e in seen) == 2)
    finally:
        unsubscribe()
    states = [e for e in seen if isinstance(e, BridgeState)]
    assert states[0].osc == f"listening on 127.0.0.1:{server.address[1]}" and states[0].midi.startswith("MIDI off")
    activity = [e for e in seen if isinstance(e, BridgeActivity)]  # from two threads: any order
    [good], [bad] = [e for e in activity if e.ok], [e for e in activity if not e.ok]
    assert (good.address, good.summary, good.ok) == ("/soundalike/similar", "kick_0.wav -> 3 results", True)
    assert not bad.ok and bad.summary.startswith("error: malformed")
