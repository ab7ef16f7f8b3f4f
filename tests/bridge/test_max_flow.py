"""The example Max patches' message flow against a real server that restarts, starts late, or says hello.

Max's ``[udpsend]`` keeps one source port and ``[udpreceive]`` listens on another, so replies reach
a patch only through ``reply_port``. ``tests/bridge/maxpatch.py`` runs the patches' own boxes and
wires over real UDP; Live is the one part that cannot run here.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from soundalike.bridge import Bridge
from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.client import OscClient
from soundalike.bridge.osc.wire import encode
from soundalike.engine.events import SampleAdded
from soundalike.engine.library.query import SimilarQuery
from tests.bridge.conftest import bridge_settings, wait_until
from tests.bridge.maxpatch import MaxPatch
from tests.bridge.test_hostile_packets import bundle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "max"
PATCH, LIVE_PATCH = EXAMPLES / "soundalike.maxpat", EXAMPLES / "soundalike-live.maxpat"
SIMPLER = ["path", "live_set", "view", "selected_track", "view", "selected_device"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def serve(library, tmp_path):
    """Start (and restart) a server on one fixed port with one state file, as `soundalike serve` would."""
    port, running = free_port(), []

    def start(**changes) -> Bridge:
        stop()
        bridge = Bridge(
            library, None, bridge_settings(osc_port=port, **changes), state_file=tmp_path / "bridge-clients.json"
        ).start()
        running.append(bridge)
        return bridge

    def stop() -> None:
        while running:
            running.pop().stop()

    start.port, start.stop = port, stop
    yield start
    stop()


@pytest.fixture
def patch(serve):
    patches = []

    def open_patch(path: Path = PATCH) -> MaxPatch:
        patches.append(MaxPatch(path, serve.port, free_port()))
        return patches[-1]

    yield open_patch
    for opened in patches:
        opened.close()


def kick(samples) -> str:
    return str(samples / "Kit 0" / "kick_0.wav")


def test_settings_survive_a_restart_so_a_patch_that_set_reply_port_once_keeps_getting_replies(serve, patch, samples):
    serve()
    max_patch = patch()
    max_patch.load()  # /soundalike/set reply_port at load, as before
    assert max_patch.receive_until(p.DONE)[-1][0] == p.DONE
    serve()  # restart: same port, same data folder
    max_patch.udpsend.sendto(encode("/soundalike/similar", [kick(samples), 10, 1]), max_patch.server)
    replies = max_patch.receive_until(p.DONE)
    assert replies[-1] == [p.DONE, 1, 10] and len(max_patch.menu) == 10


def test_a_restarted_server_says_hello_and_the_patch_sets_its_reply_port_again(serve, patch):
    serve()
    max_patch = patch()
    max_patch.load()
    max_patch.receive_until(p.DONE)
    serve()
    hello = max_patch.receive_until(p.HELLO)[-1]
    assert hello[0] == p.HELLO and hello[1] == serve.port
    assert max_patch.sent[-1] == ["/soundalike/set", "reply_port", max_patch.reply_port]


def test_a_server_started_after_the_patch_answers_the_first_drop(serve, patch, samples, library):
    max_patch = patch()
    max_patch.load()  # nobody listening yet: lost
    serve()
    max_patch.drop(kick(samples))
    max_patch.receive_until(p.DONE, 1)  # the patch's query has id 1; its set's done comes first
    assert max_patch.menu == [
        hit.path for hit in library.similar(SimilarQuery(kick(samples), k=10, collapse=False)).hits
    ]
    assert not [atoms for name, atoms in max_patch.printed if name == "soundalike-error"]


def test_a_bundle_of_set_and_request_answers_at_the_new_port(serve, samples):
    serve()
    with OscClient(listen_port=0) as receiver, OscClient("127.0.0.1", serve.port) as oscsend:
        oscsend.send_raw(
            bundle(
                encode("/soundalike/set", ["reply_port", receiver.port, 1]),
                encode("/soundalike/similar", [kick(samples), 3, 2]),
            )
        )
        assert receiver.wait(2).count == 3


def test_subscriptions_survive_a_restart(serve, library):
    serve()
    with OscClient("127.0.0.1", serve.port) as client, OscClient(listen_port=0) as listener:
        assert client.subscribe(listener.port).error is None
        bridge = serve()
        assert bridge.status()["subscribers"] == 1
        library.events.publish(SampleAdded(11, "/samples/after restart.wav"))
        events = [listener.receive(2.0) for _ in range(2)]  # hello, then the event
        assert [("/soundalike/event/added", (11, "/samples/after restart.wav"))] in events


# --- Max for Live: load the result into the selected Simpler or Drum Rack pad ------------------------
def test_live_device_connects_on_live_thisdevice_and_loads_a_chosen_result(serve, patch, samples, library):
    serve()
    device = patch(LIVE_PATCH)
    device.load()  # [live.thisdevice]: set reply_port, subscribe
    assert ["/soundalike/subscribe", device.reply_port] in [atoms[:2] for atoms in device.sent]
    device.drop(kick(samples))
    device.receive_until(p.DONE, 1)
    assert device.menu == [hit.path for hit in library.similar(SimilarQuery(kick(samples), k=10, collapse=False)).hits]
    device.choose(2)
    assert device.live_paths[-1] == SIMPLER
    assert device.live_calls[-1] == ["call", "replace_sample", device.menu[2]]
    device.tab(1)  # Drum Rack pad
    device.choose(0)
    assert device.live_paths[-1] == [*SIMPLER, "view", "selected_drum_pad", "chains", 0, "devices", 0]
    assert device.live_calls[-1] == ["call", "replace_sample", device.menu[0]]


def test_live_device_loads_what_the_pads_select_and_renews_its_subscription(serve, patch, samples):
    bridge = serve(subscriber_lease=60)
    device = patch(LIVE_PATCH)
    device.load()
    assert wait_until(lambda: bridge.status()["subscribers"] == 1)
    dones = 0
    while dones < 2:  # set reply_port, subscribe
        dones += device.receive(2.0)[0] == p.DONE
    bridge.actions.run("random")  # a MIDI pad: the selection is pushed to subscribers
    device.receive_until("/soundalike/event/selected")
    assert device.live_calls[-1][:2] == ["call", "replace_sample"]
    assert device.live_calls[-1][2].startswith(str(samples))
    sent = len(device.sent)
    device.tick("qmetro")
    assert device.sent[sent:] == [["/soundalike/subscribe", device.reply_port]]
