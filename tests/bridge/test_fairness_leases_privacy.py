"""One client cannot stall another; dead subscribers expire; only library files can be queried."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import pytest

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import ClientTimeout, OscClient
from soundalike.bridge.osc.wire import encode
from soundalike.engine.events import SampleAdded
from tests.bridge.conftest import wait_until


# --- fairness (item 6) -------------------------------------------------------------------------------
def test_a_flooding_client_does_not_delay_another_clients_request(start_bridge):
    server = start_bridge()
    gate, served = threading.Event(), []

    def recorded_ping(request):
        if not served:
            gate.wait(10)  # hold the serving thread until everything below is queued
        served.append((request.sender[1], request.id))
        return [(p.PONG, (request.id,))]

    server.server.table["/soundalike/ping"] = recorded_ping
    with OscClient(*server.address) as flood, OscClient(*server.address) as other:
        for request_id in range(300):
            flood.send("/soundalike/ping", request_id)
        assert wait_until(lambda: server.status()["queued"] == 299)
        other.send("/soundalike/ping", 1000)
        assert wait_until(lambda: server.status()["queued"] == 300)
        gate.set()
        assert other.receive() == [(p.PONG, (1000,))]
        position = served.index((other.port, 1000))
    assert position <= 2, f"the other client's ping was served after {position} of the flood's"


@pytest.mark.skipif(not Path("/proc/net/udp").exists(), reason="per-socket drop counts are read from Linux's /proc")
def test_replies_a_client_never_read_are_counted_as_dropped_not_as_delivered(start_bridge):
    server = start_bridge()
    deaf = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    deaf.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # holds a handful of replies
    deaf.bind(("127.0.0.1", 0))
    try:
        with OscClient(*server.address) as reader:
            for request_id in range(2000):
                deaf.sendto(encode("/soundalike/ping", [request_id]), server.address)
            assert wait_until(lambda: server.status()["requests"] == 2000, timeout=20)
            status = reader.status()
    finally:
        deaf.close()
    assert status["replies_dropped"] > 1000  # the deaf socket could hold only a few
    assert status["replies"] >= 2000


# --- subscriber leases (item 3) ----------------------------------------------------------------------
def test_dead_subscribers_expire_and_free_their_places(start_bridge, library):
    server = start_bridge(subscriber_lease=30)
    now = [1000.0]
    server.push.clock = lambda: now[0]
    with OscClient(*server.address) as client, OscClient(listen_port=0) as alive:
        for port in range(40000, 40032):  # 32 clients that went away without unsubscribing
            assert client.subscribe(port).error is None
        assert "too many subscribers" in client.subscribe(alive.port).error
        now[0] += 20
        assert client.subscribe(40000).error is None  # renewed: this one stays
        now[0] += 15  # the 31 others are past their lease
        assert client.subscribe(alive.port).error is None
        assert server.status()["subscribers"] == 2
        library.events.publish(SampleAdded(5, "/samples/x.wav"))
        assert alive.receive() == [("/soundalike/event/added", (5, "/samples/x.wav"))]


def test_subscribe_answers_with_the_lease_in_seconds(start_bridge):
    server = start_bridge(subscriber_lease=90)
    with OscClient(*server.address) as client:
        assert client.subscribe().count == 90


# --- which paths may be queried (item 10) ------------------------------------------------------------
@pytest.fixture
def outside_copy(tmp_path, samples):
    outside = tmp_path / "Recordings" / "take 1.wav"
    outside.parent.mkdir()
    outside.write_bytes((samples / "Kit 0" / "kick_0.wav").read_bytes())
    return outside


def test_files_outside_the_library_are_refused_with_the_same_words_as_missing_ones(client, outside_copy):
    missing = str(outside_copy.parent / "no such take.wav")
    refused, absent = client.similar(str(outside_copy), 3).error, client.similar(missing, 3).error
    system = client.similar("/etc/passwd", 3).error
    assert refused and refused.replace(str(outside_copy), "X") == absent.replace(missing, "X")
    assert system.replace("/etc/passwd", "X") == absent.replace(missing, "X")
    assert client.tags(str(outside_copy)).error.replace(str(outside_copy), "X") == absent.replace(missing, "X")


def test_a_symlink_out_of_the_library_is_refused(client, samples, outside_copy):
    link = samples / "Kit 0" / "escape.wav"
    os.symlink(outside_copy, link)
    try:
        assert "no such audio file" in client.similar(str(link), 3).error
    finally:
        link.unlink()


def test_listed_folders_and_anywhere_may_be_queried(start_bridge, outside_copy):
    for changes in ({"query_folders": (str(outside_copy.parent),)}, {"query_paths": "anywhere"}):
        server = start_bridge(**changes)
        with OscClient(*server.address) as client:
            response = client.similar(str(outside_copy), 3)
            assert response.error is None and response.count == 3


def test_library_files_are_still_answered(client, samples):
    assert client.similar(str(samples / "Kit 1" / "snare_0.wav"), 3).count == 3


def test_a_refused_path_gets_no_reply_beyond_the_error(client, outside_copy):
    response = client.similar(str(outside_copy), 3)
    assert response.messages == [(p.ERROR, (response.id, response.error))]
    with pytest.raises(ClientTimeout):
        client.receive(0.2)


def test_the_cli_subscriber_renews_its_lease(start_bridge, library, tmp_path, monkeypatch, capsys):
    from soundalike import cli

    monkeypatch.setenv("SOUNDALIKE_DATA_DIR", str(tmp_path / "cli-data"))
    monkeypatch.setenv("SOUNDALIKE_CONFIG", str(tmp_path / "no-config.toml"))
    server = start_bridge(subscriber_lease=1)
    later = threading.Timer(1.8, lambda: library.events.publish(SampleAdded(21, "/samples/late.wav")))
    later.start()
    try:
        cli.main(["osc", "subscribe", "--seconds", "2.6", "--port", str(server.address[1])])
    finally:
        later.cancel()
    out = capsys.readouterr().out
    assert "/soundalike/event/added 21 /samples/late.wav" in out  # published after the first lease ended
    assert "/soundalike/done" not in out


FLOOD = """
import socket, sys, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
packet = bytes.fromhex(sys.argv[2])
target = ("127.0.0.1", int(sys.argv[1]))
print("flooding", flush=True)
end = time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    for _ in range(200):
        sock.sendto(packet, target)
"""


@pytest.mark.skipif(
    not hasattr(socket, "SO_REUSEPORT") or not Path("/proc/net/udp").exists(),
    reason="senders are spread over sockets by Linux's SO_REUSEPORT",
)
def test_a_full_speed_flood_that_never_reads_does_not_cut_off_other_clients(start_bridge, samples):
    """A local process sending as fast as it can overflows a socket's kernel buffer; other clients'
    datagrams must not be dropped with it (each sender's datagrams land in one of several sockets)."""
    import subprocess
    import sys

    server = start_bridge(queue_size=100)  # the flood soon fills its queue and is answered "busy"
    request = encode("/soundalike/similar", [str(samples / "Kit 0" / "kick_0.wav"), 10, 1])
    flooder = subprocess.Popen(
        [sys.executable, "-c", FLOOD, str(server.address[1]), request.hex(), "4"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert flooder.stdout.readline().strip() == "flooding"
        time.sleep(0.5)  # the flooder's socket buffer is full by now
        answered = 0
        for _ in range(12):
            with OscClient(*server.address, timeout=2.0) as other:
                try:
                    answered += other.ping().messages == [(p.PONG, (1,))]
                except ClientTimeout:
                    pass
        status = server.status()
    finally:
        flooder.kill()
        flooder.wait()
    assert answered >= 8, f"only {answered} of 12 other clients were answered during the flood"
    assert status["received_dropped"] >= 0  # what the kernel dropped before the server read it, counted
