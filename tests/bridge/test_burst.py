"""Bursts: 10,000 requests answered, none lost, every bad one answered with an error and counted.

The sender keeps at most ``WINDOW`` requests unanswered: UDP has no flow control, and on a busy
CI machine a sender that never waits can outrun any receiver. Full-speed bursts are measured in
bench/bench_osc.py instead.
"""

from __future__ import annotations

import threading
from collections import Counter

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import ClientTimeout, OscClient
from soundalike.bridge.osc.wire import encode
from tests.bridge.conftest import wait_until

WINDOW = 1000


def burst(client: OscClient, datagrams: list[bytes], replies_per_request: int = 1) -> list[tuple]:
    """Send every datagram (at most WINDOW unanswered); return every reply, in arrival order."""
    replies: list[tuple] = []
    closed = threading.Semaphore(WINDOW)
    expected = len(datagrams) * replies_per_request

    def read() -> None:
        while len(replies) < expected:
            try:
                for message in client.receive(5.0):
                    replies.append(message)
                    if message[0] in p.TERMINAL:
                        closed.release()
            except ClientTimeout:
                return

    reader = threading.Thread(target=read)
    reader.start()
    for data in datagrams:
        assert closed.acquire(timeout=10), "replies stopped coming"
        client.send_raw(data)
    reader.join()
    return replies


def test_ten_thousand_pings_every_reply_arrives_exactly_once(client, server):
    replies = burst(client, [encode("/soundalike/ping", [i]) for i in range(10_000)])
    assert Counter(args[0] for _, args in replies) == Counter(range(10_000))
    assert server.status()["errors"] == 0


def test_ten_thousand_bad_requests_each_get_an_error_and_are_counted(client, server):
    kinds = [b"\x01garbage", encode("/soundalike/nope", [1]), encode("/soundalike/similar", [5, 1, 2])]
    datagrams = [kinds[i % 3] for i in range(9_999)]
    replies = burst(client, datagrams)
    assert len(replies) == 9_999 and all(address == p.ERROR for address, _ in replies)
    assert wait_until(lambda: server.status()["errors"] == 9_999)
    status = server.status()
    assert status["malformed"] == status["unknown_address"] == status["bad_arguments"] == 3_333
    assert client.ping().messages == [(p.PONG, (1,))]


def test_a_burst_of_similar_queries_loses_no_result(client, samples):
    query = str(samples / "Kit 0" / "snare_0.wav")
    replies = burst(client, [encode("/soundalike/similar", [query, 5, i]) for i in range(300)], replies_per_request=6)
    per_request = Counter(args[0] for address, args in replies if address == p.RESULT)
    assert per_request == Counter(dict.fromkeys(range(300), 5))
    assert sum(1 for address, _ in replies if address == p.DONE) == 300
