"""No packet can stop the OSC server: hostile bundles, fuzzed bytes, type tags python-osc does not know.

The fuzz runs the whole packet path (``protocol.parse_packet``) on a few thousand generated
packets with a time bound per packet, so a parser that loops for ever fails here in seconds
instead of hanging CI; the same kinds of packets then go over real UDP to a running server.
"""

from __future__ import annotations

import random
import struct
import threading
import time

import pytest

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.protocol import BadRequest, Request, parse_packet
from soundalike.bridge.osc.wire import encode

SENDER = ("127.0.0.1", 5000)
PER_PACKET_SECONDS = 0.5  # generous: a packet takes microseconds; a parser loop never ends
THE_ISSUES_PACKET = b"#bundle\0" + struct.pack(">Q", 1) + struct.pack(">i", -4)
TAGS = "ifsSbhdtTFNIcrm[]x"


def osc_string(text: str | bytes) -> bytes:
    data = (text.encode() if isinstance(text, str) else text) + b"\0"
    return data + b"\0" * (-len(data) % 4)


def raw_message(address: str, tags: str, payload: bytes = b"") -> bytes:
    return osc_string(address) + osc_string(tags) + payload


def bundle(*elements: bytes, sizes: list[int] | None = None) -> bytes:
    sizes = sizes or [len(e) for e in elements]
    return b"#bundle\0" + struct.pack(">Q", 1) + b"".join(struct.pack(">i", s) + e for s, e in zip(sizes, elements))


def nested(depth: int, inner: bytes) -> bytes:
    for _ in range(depth):
        inner = bundle(inner)
    return inner


def hostile_bundles() -> list[bytes]:
    ping = encode("/soundalike/ping", [1])
    packets = [THE_ISSUES_PACKET, b"#bundle\0", b"#bundle\0" + b"\0" * 7]
    for size in (-4, -1, 0, 1, 3, 5, len(ping) + 4, 2**31 - 1, -(2**31)):
        packets.append(bundle(ping, sizes=[size]))
        packets.append(bundle(ping, ping, sizes=[len(ping), size]))
    packets.append(bundle(ping) + b"\0\0")  # a size cut off after the last element
    packets.append(nested(200, ping))  # nesting far deeper than any client sends
    packets.append(bundle(b"garbage!"))
    return packets


def random_message(rng: random.Random) -> bytes:
    tags = "".join(rng.choice(TAGS) for _ in range(rng.randrange(6)))
    payload = bytes(rng.randrange(256) for _ in range(rng.randrange(40)))
    return raw_message(
        rng.choice(["/soundalike/similar", "/soundalike/random", "/soundalike/ping", "/x"]), "," + tags, payload
    )


def fuzz_packets(seed: int = 19) -> list[bytes]:
    rng = random.Random(seed)
    packets = hostile_bundles()
    packets += [bytes(rng.randrange(256) for _ in range(rng.randrange(120))) for _ in range(1500)]
    packets += [b"#bundle\0" + bytes(rng.randrange(256) for _ in range(rng.randrange(60))) for _ in range(1000)]
    valid = [
        encode("/soundalike/similar", ["/tmp/kick drum.wav", 5, 9]),
        bundle(encode("/soundalike/ping", [3])),
        bundle(encode("/soundalike/ping", [1]), bundle(encode("/soundalike/status", [2]))),
    ]
    packets += [packet[:cut] for packet in valid for cut in range(len(packet))]
    for _ in range(1500):  # valid framing around random type tags and payloads, sizes sometimes lying
        message = random_message(rng)
        size = rng.choice([len(message), len(message), -rng.randrange(1, 2**31), rng.randrange(2**31)])
        packets.append(bundle(message, sizes=[size]) if rng.random() < 0.5 else message)
    return packets


def parse_all_with_a_time_bound(packets: list[bytes]) -> list[list]:
    """parse_packet on each packet on a worker thread; fails naming the first packet that takes too long."""
    results: list[list] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.extend(parse_packet(packet, SENDER) for packet in packets)
        except BaseException as e:  # noqa: BLE001 - reported below with the packet
            errors.append(e)

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    done, since = 0, time.monotonic()
    while worker.is_alive():
        worker.join(0.02)
        if len(results) != done:
            done, since = len(results), time.monotonic()
        elif time.monotonic() - since > PER_PACKET_SECONDS:
            pytest.fail(f"parsing packet {done} took over {PER_PACKET_SECONDS} s: {packets[done]!r}")
    if errors:
        pytest.fail(f"packet {len(results)} raised {errors[0]!r}: {packets[len(results)]!r}")
    return results


def test_fuzzed_packets_each_parse_quickly_into_requests_or_reasons():
    packets = fuzz_packets()
    results = parse_all_with_a_time_bound(packets)
    assert len(results) == len(packets)
    for packet, items in zip(packets, results):
        assert items, f"no request and no reason for {packet!r}"
        assert all(isinstance(item, (Request, BadRequest)) for item in items)
    malformed = sum(1 for items in results if items[0].__class__ is BadRequest and items[0].kind == "malformed")
    assert malformed > len(packets) // 2, "most fuzzed packets are not OSC and must be called malformed"


@pytest.mark.parametrize("packet", hostile_bundles(), ids=lambda packet: f"{len(packet)}B")
def test_hostile_bundles_are_malformed(packet):
    [item] = parse_all_with_a_time_bound([packet])[0]
    assert isinstance(item, BadRequest) and item.kind == "malformed", item


def test_a_sane_nested_bundle_still_parses_in_order():
    packet = bundle(encode("/soundalike/ping", [1]), bundle(encode("/soundalike/ping", [2])))
    assert [item.id for item in parse_packet(packet, SENDER)] == [1, 2]


def test_the_issues_20_byte_packet_does_not_stop_the_server(client, server):
    assert len(THE_ISSUES_PACKET) == 20
    client.send_raw(THE_ISSUES_PACKET)
    [(address, args)] = client.receive(2.0)
    assert address == p.ERROR and args[0] == p.UNKNOWN_ID and "malformed" in args[1]
    assert client.ping().messages == [(p.PONG, (1,))]


def test_every_hostile_packet_over_udp_gets_one_error_and_the_server_keeps_answering(client, server):
    packets = hostile_bundles() + fuzz_packets(seed=7)[-300:]
    for packet in hostile_bundles():
        client.send_raw(packet)
        [(address, args)] = client.receive(2.0)
        assert address == p.ERROR and "malformed" in args[1]
    for packet in packets:
        client.send_raw(packet)
    assert client.ping().messages[-1][0] == p.PONG
    assert server.status()["packets"] >= len(packets) + len(hostile_bundles())


# --- type tags python-osc does not read (liblo's S, c) --------------------------------------------
def test_a_liblo_symbol_argument_is_read_as_a_string(client):
    client.send_raw(raw_message("/soundalike/random", ",Si", osc_string("kick") + struct.pack(">i", 31)))
    [(address, args)] = client.receive(2.0)
    assert (address, args) == (p.ERROR, (31, "no indexed samples tagged 'kick'"))


def test_a_char_argument_is_read_not_dropped(client):
    client.send_raw(raw_message("/soundalike/random", ",ci", struct.pack(">I", ord("k")) + struct.pack(">i", 5)))
    [(address, args)] = client.receive(2.0)
    assert (address, args) == (p.ERROR, (5, "no indexed samples tagged 'k'"))


def test_an_unknown_type_tag_is_refused_by_name(client):
    client.send_raw(raw_message("/soundalike/ping", ",x", b"\0\0\0\1"))
    [(address, args)] = client.receive(2.0)
    assert address == p.ERROR and "type tag 'x'" in args[1]
    assert client.ping().messages == [(p.PONG, (1,))]
