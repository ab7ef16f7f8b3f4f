"""MIDI: the mapping, the controller on plain messages, a fake mido backend, and MIDI-less machines."""

from __future__ import annotations

import dataclasses

import mido
import pytest

from soundalike.bridge import Bridge
from soundalike.bridge.actions import Actions
from soundalike.bridge.midi.bindings import Binding, parse_map
from soundalike.bridge.midi.input import MidiController, open_input
from soundalike.bridge.osc.client import OscClient
from soundalike.bridge.session import Selection, Session
from soundalike.engine.config import BridgeSettings
from soundalike.engine.errors import UserError
from soundalike.engine.events import Notice
from soundalike.engine.library.query import SimilarQuery
from tests.bridge.conftest import bridge_settings, wait_until

FAKE = "tests.bridge.fake_midi_backend"


def controller(entries):
    fired = []
    return MidiController(parse_map(entries), lambda action, arg: fired.append((action, arg))), fired


def test_parse_map_reads_triggers_channels_and_arguments():
    assert parse_map(("note:36 similar", "cc:64@1 next", "program random snare", "program:5@10 random kick")) == [
        Binding("note", 36, None, "similar"),
        Binding("cc", 64, 0, "next"),
        Binding("program", None, None, "random", "snare"),
        Binding("program", 5, 9, "random", "kick"),
    ]
    assert len(parse_map(BridgeSettings().midi_map)) == 6


@pytest.mark.parametrize(
    "entry,fragment",
    [
        ("note similar", "needs a number"),
        ("note:200 next", "0-127"),
        ("note:36@17 next", "channel"),
        ("pitch:3 next", "TRIGGER ACTION"),
        ("note:36", "TRIGGER ACTION"),
        ("note:36 explode", "unknown action"),
    ],
)
def test_bad_map_entries_are_user_errors(entry, fragment):
    with pytest.raises(UserError, match=fragment):
        parse_map((entry,))


def test_note_on_fires_and_velocity_zero_counts_as_note_off():
    midi, fired = controller(("note:36 similar",))
    assert midi.handle(mido.Message("note_on", note=36, velocity=100)) == ["similar"]
    assert midi.handle(mido.Message("note_on", note=36, velocity=0)) == []
    assert midi.handle(mido.Message("note_off", note=36)) == []
    assert midi.handle(mido.Message("note_on", note=37, velocity=100)) == []
    assert fired == [("similar", None)]


def test_cc_fires_once_per_press_like_a_footswitch():
    midi, fired = controller(("cc:64 next",))
    for value in (127, 127, 0, 0, 90, 10, 64):
        midi.handle(mido.Message("control_change", control=64, value=value))
    assert fired == [("next", None)] * 3


def test_channels_and_program_changes():
    midi, fired = controller(("note:36@10 audition", "program random", "program:3 random kick"))
    midi.handle(mido.Message("note_on", note=36, velocity=90, channel=0))
    midi.handle(mido.Message("note_on", note=36, velocity=90, channel=9))
    midi.handle(mido.Message("program_change", program=3))
    assert fired == [("audition", None), ("random", None), ("random", "kick")]


class RecordingAuditioner:
    def __init__(self):
        self.played, self.stopped = [], 0

    def play(self, path):
        self.played.append(path)

    def stop(self):
        self.stopped += 1


def test_actions_walk_the_shared_session(library, samples):
    session, auditioner, announced = Session(), RecordingAuditioner(), []
    actions = Actions(library, session, auditioner, announced.append, k=3)
    actions.run("similar")
    assert isinstance(announced[-1], Notice) and "nothing to start from" in announced[-1].message
    kick = str(samples / "Kit 0" / "kick_0.wav")
    session.set_results(kick, library.similar(SimilarQuery(kick, k=3, collapse=False)).hits)
    actions.run("next")
    actions.run("next")
    actions.run("previous")
    assert [s.rank for s in announced[1:]] == [1, 2, 1]
    actions.run("similar")  # sounds like the selected result, and selects its best match
    first = announced[-1]
    assert isinstance(first, Selection) and first.rank == 1 and first.path != announced[1].path
    actions.run("audition")
    actions.run("stop")
    actions.run("random")
    assert announced[-1].rank == 0 and auditioner.played[-1] == announced[-1].path and auditioner.stopped == 1


def test_fake_backend_port_drives_actions_and_selections_are_pushed(start_bridge, library, samples):
    backend = mido.Backend(FAKE)
    auditioner = RecordingAuditioner()
    bridge = Bridge(library, None, bridge_settings(midi_enabled=True), auditioner, midi_backend=backend).start()
    try:
        assert bridge.status()["midi"] == "MIDI: virtual input 'soundalike'"
        with OscClient(*bridge.address) as client:
            client.subscribe()
            client.similar(str(samples / "Kit 0" / "kick_0.wav"), 5)  # OSC and MIDI share the session
            bridge.midi._port.feed(mido.Message("note_on", note=38, velocity=100))
            [(address, args)] = client.receive()
            assert address == "/soundalike/event/selected" and args[0] == 1 and "kick" in args[1]
        assert wait_until(lambda: auditioner.played == [args[1]])
        assert bridge.status()["midi_messages"] == 1
    finally:
        bridge.stop()


def test_open_input_by_name_prefix_or_reports_what_exists():
    backend = mido.Backend(FAKE)
    port, line = open_input(bridge_settings(midi_enabled=True, midi_port="foot"), backend)
    assert port.name == "Footswitch" and line == "MIDI: input 'Footswitch'"
    port, line = open_input(bridge_settings(midi_enabled=True, midi_port="Keystation"), backend)
    assert port is None and "not found" in line and "Pad Controller 1" in line


def test_no_midi_system_is_one_status_line_not_a_crash(start_bridge, caplog):
    bridge = start_bridge(midi_enabled=True)  # rtmidi without /dev/snd/seq, as on CI machines
    status = bridge.status()["midi"]
    if status.startswith("MIDI: "):
        pytest.skip("this machine has a working MIDI system")
    assert status.startswith("MIDI unavailable: ") and "\n" not in status
    assert [r.getMessage() for r in caplog.records if r.name == "soundalike.bridge.bridge"] == [status]


def test_a_backend_that_raises_system_error_is_reported(monkeypatch):
    class Broken:
        name = FAKE

        def open_input(self, *args, **kwargs):
            raise SystemError("MidiInAlsa::initialize: error creating ALSA sequencer client object.")

    port, line = open_input(bridge_settings(midi_enabled=True), Broken())
    assert port is None and line.startswith("MIDI unavailable: MidiInAlsa::initialize")


def test_midi_off():
    assert open_input(dataclasses.replace(bridge_settings(), midi_enabled=False)) == (
        None,
        "MIDI off (midi_enabled = false)",
    )
