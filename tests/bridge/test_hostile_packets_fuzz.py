"""Hostile packets built from the OSC grammar (hypothesis), beside the enumerated ones in test_hostile_packets.

Packets are grown from the grammar: messages with every type tag (arrays nested past their cap,
strings, blobs and ints at their limits, tags the server does not know), bundles nested past their
cap, then bytes cut off or size fields made to lie. The parser must turn each into requests or
reasons; a running server must answer or count each one, and still answer ``ping`` after each batch.
Nothing the server's threads meet may stop them: an exception no handler expected is counted,
logged and answered.
"""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soundalike.bridge import Bridge
from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import OscClient
from soundalike.bridge.osc.decode import MAX_ARRAY_DEPTH, MAX_DEPTH, MAX_MESSAGES
from soundalike.bridge.osc.protocol import BadRequest, Request, parse_packet
from soundalike.bridge.osc.push import Push
from soundalike.bridge.osc.server import OscServer
from soundalike.bridge.osc.wire import encode
from tests.bridge.conftest import bridge_settings, wait_until

SENDER = ("127.0.0.1", 5000)
# Addresses whose requests only read: a fuzzed `set reply_port` would send later replies elsewhere.
ADDRESSES = (
    "/soundalike/ping",
    "/soundalike/status",
    "/soundalike/similar",
    "/soundalike/similar_span",
    "/soundalike/tags",
    "/soundalike/random",
    "/soundalike/backends",
    "/soundalike/search",
    "/soundalike/nope",
    "/x",
    "/",
)
MAX_UDP_PAYLOAD = 65507  # larger packets cannot be sent over IPv4 at all
MARKERS = itertools.count(1_234_567_001)
ANSWERED = ("requests", "malformed", "unknown_address", "bad_arguments", "queue_full", "internal")
FAST = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def osc_string(data: bytes) -> bytes:
    data += b"\0"
    return data + b"\0" * (-len(data) % 4)


Arg = tuple[str, bytes]  # type tags, payload

LIMIT_INTS = st.sampled_from([0, 1, -1, 2**31 - 1, -(2**31), 65535, 65536])
LIMIT_TEXT = st.sampled_from(
    [
        p.MAX_WORD_CHARS,
        p.MAX_WORD_CHARS + 1,
        p.MAX_TEXT_CHARS,
        p.MAX_TEXT_CHARS + 1,
        p.MAX_PATH_BYTES,
        p.MAX_PATH_BYTES + 1,
    ]
).map(lambda n: b"a" * n)
TEXT = st.one_of(
    st.text(max_size=24).map(lambda t: t.encode("utf-8", "surrogatepass")),
    LIMIT_TEXT,
    st.binary(max_size=12).map(lambda b: b.replace(b"\0", b"")),
)


def _blob(data: bytes, size: int | None) -> Arg:
    declared = len(data) if size is None else size
    return "b", struct.pack(">i", declared) + data + b"\0" * (-len(data) % 4)


ATOMS: st.SearchStrategy[Arg] = st.one_of(
    st.one_of(st.integers(-(2**31), 2**31 - 1), LIMIT_INTS).map(lambda v: ("i", struct.pack(">i", v))),
    st.floats(width=32).map(lambda v: ("f", struct.pack(">f", v))),
    st.floats().map(lambda v: ("d", struct.pack(">d", v))),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: ("h", struct.pack(">q", v))),
    st.integers(0, 2**64 - 1).map(lambda v: ("t", struct.pack(">Q", v))),
    st.integers(0, 2**32 - 1).map(lambda v: ("r", struct.pack(">I", v))),
    st.integers(0, 2**32 - 1).map(lambda v: ("c", struct.pack(">I", v))),
    st.binary(min_size=4, max_size=4).map(lambda v: ("m", v)),
    st.sampled_from("TFNI").map(lambda tag: (tag, b"")),
    st.tuples(st.sampled_from("sS"), TEXT).map(lambda t: (t[0], osc_string(t[1]))),
    st.builds(_blob, st.binary(max_size=16), st.none() | st.integers(-(2**31), 2**31 - 1)),
    st.tuples(st.characters(exclude_characters="[],\0"), st.binary(max_size=8)),  # tags we may not know
)


def _array(items: list[Arg]) -> Arg:
    return "[" + "".join(tags for tags, _ in items) + "]", b"".join(data for _, data in items)


def _deep_array(depth: int) -> Arg:
    return "[" * depth + "]" * depth, b""


ARGS: st.SearchStrategy[Arg] = st.one_of(
    st.recursive(ATOMS, lambda inner: st.lists(inner, max_size=4).map(_array), max_leaves=12),
    st.sampled_from([MAX_ARRAY_DEPTH, MAX_ARRAY_DEPTH + 1, 500, 2000, 16000]).map(_deep_array),
)


def _message(address: str, args: list[Arg], tag_string: bool = True) -> bytes:
    tags = "," + "".join(t for t, _ in args)
    head = osc_string(address.encode())
    return (
        head
        + (osc_string(tags.encode("utf-8", "surrogatepass")) if tag_string else b"")
        + b"".join(data for _, data in args)
    )


MESSAGES = st.builds(_message, st.sampled_from(ADDRESSES), st.lists(ARGS, max_size=5), st.booleans())


def bundle(elements: list[bytes], sizes: list[int] | None = None) -> bytes:
    sizes = sizes or [len(e) for e in elements]
    return b"#bundle\0" + struct.pack(">Q", 1) + b"".join(struct.pack(">i", s) + e for s, e in zip(sizes, elements))


def _nested(depth: int, inner: bytes) -> bytes:
    for _ in range(depth):
        inner = bundle([inner])
    return inner


def _many(count: int) -> bytes:
    return bundle([encode("/soundalike/ping", [n]) for n in range(count)])


PACKETS_WHOLE = st.one_of(
    MESSAGES,
    st.recursive(MESSAGES, lambda inner: st.lists(inner, max_size=4).map(bundle), max_leaves=8),
    st.builds(_nested, st.sampled_from([MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 64]), MESSAGES),
    st.sampled_from([MAX_MESSAGES, MAX_MESSAGES + 1]).map(_many),
)


@st.composite
def packets(draw) -> bytes:
    """A grammar-built packet, sometimes cut short or with four bytes made to lie (a size, a tag)."""
    packet = draw(PACKETS_WHOLE)
    change = draw(st.sampled_from(["none", "none", "cut", "lie"]))
    if change == "cut" and packet:
        packet = packet[: draw(st.integers(0, len(packet) - 1))]
    elif change == "lie" and len(packet) >= 4:
        at = draw(st.integers(0, len(packet) // 4 - 1)) * 4
        value = draw(st.sampled_from([-4, -1, 0, 1, 3, 2**31 - 1, -(2**31), len(packet)]))
        packet = packet[:at] + struct.pack(">i", value) + packet[at + 4 :]
    return packet


def _parses(packet: bytes) -> None:
    items = parse_packet(packet, SENDER)
    assert items, f"no request and no reason for {packet[:80]!r}"
    assert all(isinstance(item, (Request, BadRequest)) for item in items)
    for item in items:
        if isinstance(item, BadRequest):
            assert str(item) and len(str(item)) < 400


@FAST
@given(packets())
def test_every_grammar_built_packet_parses_to_requests_or_reasons(packet):
    _parses(packet)


@settings(max_examples=40, deadline=None)
@given(PACKETS_WHOLE.filter(lambda packet: len(packet) < 600))
def test_every_truncation_of_a_grammar_built_packet_is_a_reason(packet):
    for cut in range(len(packet)):
        _parses(packet[:cut])


def test_arrays_nested_past_the_cap_are_malformed_with_a_reply_sized_reason():
    tags = "," + "[" * (MAX_ARRAY_DEPTH + 1) + "]" * (MAX_ARRAY_DEPTH + 1)
    [item] = parse_packet(osc_string(b"/soundalike/ping") + osc_string(tags.encode()), SENDER)
    assert isinstance(item, BadRequest) and item.kind == "malformed" and "nested" in item.message
    deepest = "," + "[" * MAX_ARRAY_DEPTH + "]" * MAX_ARRAY_DEPTH  # at the cap: read, then refused as an argument
    [item] = parse_packet(osc_string(b"/soundalike/ping") + osc_string(deepest.encode()), SENDER)
    assert isinstance(item, BadRequest) and item.kind == "bad_arguments" and len(item.message) < 200


# --- over UDP, against a running bridge ----------------------------------------------------------
@pytest.fixture(scope="module")
def fuzz_bridge(library, tmp_path_factory):
    bridge = Bridge(library, None, bridge_settings(), state_file=tmp_path_factory.mktemp("fuzz") / "clients.json")
    bridge.start()
    yield bridge
    bridge.stop()


@pytest.fixture(scope="module")
def fuzz_client(fuzz_bridge):
    with OscClient(*fuzz_bridge.address, timeout=5.0) as client:
        yield client


def test_the_issues_2000_deep_array_gets_an_error_and_the_bridge_keeps_answering(fuzz_bridge, fuzz_client):
    packet = osc_string(b"/soundalike/ping") + osc_string(b"," + b"[" * 2000 + b"]" * 2000)
    assert len(packet) == 4024
    fuzz_client.send_raw(packet)
    [(address, args)] = fuzz_client.receive(2.0)
    assert address == p.ERROR and "nested" in args[1]
    assert fuzz_client.ping().messages[-1][0] == p.PONG


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batch=st.lists(packets().filter(lambda packet: len(packet) <= MAX_UDP_PAYLOAD), min_size=1, max_size=12))
def test_each_fuzzed_packet_is_answered_or_counted_and_ping_answers_after_each_batch(fuzz_bridge, fuzz_client, batch):
    before = fuzz_bridge.status()
    for packet in batch:
        fuzz_client.send_raw(packet)
    marker = next(MARKERS)  # an id no fuzzed ping carries, so an earlier batch's pong cannot pass for it
    fuzz_client.send("/soundalike/ping", marker)
    assert fuzz_client.wait(marker).messages == [(p.PONG, (marker,))]
    after = fuzz_bridge.status()
    assert after["packets"] - before["packets"] == len(batch) + 1
    answered = sum(after[kind] - before[kind] for kind in ANSWERED)
    assert answered >= len(batch) + 1, "a packet was neither served nor counted as bad"
    assert fuzz_bridge.server.threads_alive
    fuzz_client.stray.clear()
    _drain(fuzz_client)


def _drain(client: OscClient) -> None:
    """Replies still on their way (a bundle of many pings) must not be read as the next batch's."""
    while True:
        try:
            client.receive(0.01)
        except Exception:  # noqa: BLE001 - ClientTimeout: nothing left
            return


# --- exceptions nothing expected ------------------------------------------------------------------
class Flaky:
    """A collaborator that fails its first ``times`` calls for ``address`` (a bug elsewhere, a full disk)."""

    def __init__(self, times: int, result=None, address: str | None = None):
        self.times, self.result, self.address, self.calls = times, result, address, 0

    def __call__(self, *args):
        if self.address is None or self.address in args:
            self.calls += 1
            if self.calls <= self.times:
                raise RecursionError("maximum recursion depth exceeded")
        return self.result


def test_exceptions_in_either_thread_are_counted_logged_once_and_survived(caplog):
    ping = f"{p.PREFIX}/ping"
    reply_port, activity = Flaky(4, result=0), Flaky(5, address=ping)
    table = {ping: lambda req: [(p.PONG, (req.id,))]}
    server = OscServer(table, Push(), bridge_settings(), reply_port_of=reply_port, activity=activity)
    server.start()
    try:
        with OscClient(*server.address, timeout=2.0) as client:
            for _ in range(3):  # the reply target fails twice: the receiving thread lives on, then answers
                client.send_raw(b"not osc")
            [(address, _)] = client.receive(2.0)
            assert address == p.ERROR
            for _ in range(6):  # the activity hook fails after five answers: the serving thread lives on
                assert client.ping().messages[-1][0] == p.PONG
        assert wait_until(lambda: server.counters.snapshot()["internal"] == 2 + 5)
        assert server.threads_alive
    finally:
        server.stop()
    tracebacks = [r for r in caplog.records if r.exc_info and r.name == "soundalike.bridge.osc.server"]
    assert len(tracebacks) == 2, "one traceback per place and kind, not one per packet"
