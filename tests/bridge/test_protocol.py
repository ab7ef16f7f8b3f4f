"""The address space and the wire format, without sockets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder

from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.protocol import BadRequest, Request, normalise_path, parse_packet
from soundalike.bridge.osc.wire import ReplyTooLarge, encode, osc_size, split_list

SENDER = ("127.0.0.1", 5000)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "osc.md"


def parse_one(address, *args):
    [item] = parse_packet(encode(address, args), SENDER)
    return item


def test_similar_with_all_arguments():
    request = parse_one("/soundalike/similar", "/tmp/kick.wav", 5, 42)
    assert request == Request("/soundalike/similar", {"path": "/tmp/kick.wav", "k": 5, "id": 42}, SENDER, 42)


def test_optional_arguments_may_be_left_out_and_the_id_defaults_to_zero():
    request = parse_one("/soundalike/similar", "/tmp/kick.wav")
    assert request.args == {"path": "/tmp/kick.wav"} and request.id == 0


def test_whole_floats_count_as_ints_because_pd_and_max_send_floats():
    request = parse_one("/soundalike/similar", "/tmp/kick.wav", 5.0, 7.0)
    assert request.args["k"] == 5 and request.id == 7


@pytest.mark.parametrize(
    "args,fragment",
    [
        ((), "got 0 argument"),
        (("/a.wav", 1, 2, 3), "got 4 argument"),
        ((3,), "path must be a string"),
        (("/a.wav", "ten"), "k must be an int"),
        (("/a.wav", 2.5), "k must be an int"),
        (("/a.wav", -1), "k must be between 0"),
        (("",), "path is empty"),
        (("/" + "x" * 5000,), "longer than 4096 bytes"),
    ],
)
def test_bad_arguments_name_the_problem_and_keep_the_id_when_readable(args, fragment):
    item = parse_one("/soundalike/similar", *args)
    assert isinstance(item, BadRequest) and item.kind == "bad_arguments"
    assert fragment in item.message


def test_a_bad_argument_still_reports_the_request_id():
    item = parse_one("/soundalike/similar", 3, 10, 99)
    assert isinstance(item, BadRequest) and item.id == 99


def test_unknown_address_and_garbage():
    unknown = parse_one("/soundalike/nope", 1)
    assert unknown.kind == "unknown_address" and unknown.id == p.UNKNOWN_ID
    [garbage] = parse_packet(b"\x00\x01garbage", SENDER)
    assert garbage.kind == "malformed"
    [truncated] = parse_packet(encode("/soundalike/ping", [1])[:-2], SENDER)
    assert truncated.kind == "malformed"


def test_a_bundle_holds_several_requests():
    bundle = OscBundleBuilder(IMMEDIATELY)
    for request_id in (1, 2):
        message = OscMessageBuilder("/soundalike/ping")
        message.add_arg(request_id, "i")
        bundle.add_content(message.build())
    items = parse_packet(bundle.build().dgram, SENDER)
    assert [item.id for item in items] == [1, 2]


@pytest.mark.parametrize(
    "sent,expected",
    [
        ("/Users/me/kick.wav", "/Users/me/kick.wav"),
        ("Macintosh HD:/Users/me/kick.wav", "/Users/me/kick.wav"),
        ("file:///Users/me/my%20kick.wav", "/Users/me/my kick.wav"),
        ("  /tmp/a.wav ", "/tmp/a.wav"),
    ],
)
def test_paths_in_the_spellings_hosts_send(sent, expected):
    assert normalise_path(sent) == expected


def test_osc_size_is_exact():
    for args in [(), (1,), ("a",), ("abc", 1.5, 7, "path/with/ümlaut")]:
        assert osc_size("/soundalike/result", args) == len(encode("/soundalike/result", args))


def test_split_list_keeps_every_item_in_order_and_each_part_fits():
    items = [f"/samples/{'x' * (i % 90)}{i}.wav" for i in range(300)]
    parts = split_list(p.RESULTS, (7,), items, 1024)
    assert len(parts) > 1
    assert [item for _, args in parts for item in args[1:]] == items
    assert all(args[0] == 7 and len(encode(address, args)) <= 1024 for address, args in parts)


def test_an_item_that_can_never_fit_raises_rather_than_truncating():
    with pytest.raises(ReplyTooLarge):
        split_list(p.RESULTS, (1,), ["x" * 2000], 1024)


def test_docs_list_every_request_address_with_its_arguments():
    docs = DOCS.read_text()
    for address in p.REQUESTS:
        assert f"`{address}" in docs, f"{address} is not documented in docs/osc.md"
    for reply in (p.RESULT, p.RESULTS, p.TAG, p.STATUS, p.BACKEND, p.DONE, p.ERROR, p.PONG):
        assert f"`{reply}" in docs, f"reply {reply} is not documented"
    assert re.search(r"`/soundalike/similar path \[k\] \[id\]`", docs)


def test_strings_that_are_not_utf8_are_malformed_not_a_crash():
    data = encode("/soundalike/similar", ["/tmp/x\udcff.wav"])  # raw 0xff byte in the path
    [item] = parse_packet(data, SENDER)
    assert item.kind == "malformed"


def test_encode_is_read_back_by_python_osc():
    from pythonosc.osc_packet import OscPacket

    args = (7, -1, 0.5, True, False, "päth/kick.wav", "")
    [timed] = OscPacket(encode("/soundalike/result", args)).messages
    assert timed.message.address == "/soundalike/result" and tuple(timed.message.params) == args


def test_ints_past_32_bits_go_as_decimal_strings_pd_and_max_can_read():
    from pythonosc.osc_packet import OscPacket

    args = (2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**40)
    data = encode("/soundalike/event/added", args)
    [timed] = OscPacket(data).messages
    assert tuple(timed.message.params) == (2**31 - 1, "2147483648", -(2**31), "-2147483649", "1099511627776")
    assert b",isiss\0" in data and osc_size("/soundalike/event/added", args) == len(data)
