"""MIDI input: notes, CCs and program changes run the actions their bindings name.

:class:`MidiController` turns messages into actions (pure, testable with plain ``mido.Message``
objects) and reads a port on its own thread, and
:func:`open_input` opens the configured port or says in one line why MIDI is unavailable (no
python-rtmidi, no ALSA sequencer as in most containers, no such port) instead of failing.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable

import mido

from soundalike.bridge.midi.bindings import Binding
from soundalike.engine.config import BridgeSettings

log = logging.getLogger(__name__)

VIRTUAL_PORT = "soundalike"


class MidiController:
    def __init__(self, bindings: list[Binding], run_action: Callable[[str, str | None], None]):
        self.bindings = bindings
        self.run_action = run_action
        self._pressed: dict[tuple[int, int], bool] = {}  # (channel, control) -> CC at or above 64
        self._port = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.received = 0
        self.fired = 0

    def handle(self, message: mido.Message) -> list[str]:
        """Fire the actions ``message`` triggers; returns their names."""
        self.received += 1
        trigger = self._trigger(message)
        if trigger is None:
            return []
        fired = [b for b in self.bindings if b.matches(*trigger)]
        for binding in fired:
            self.fired += 1
            self.run_action(binding.action, binding.argument)
        return [b.action for b in fired]

    def _trigger(self, message: mido.Message) -> tuple[str, int, int] | None:
        """(kind, number, channel) of a press; None for releases and other messages."""
        if message.type == "note_on" and message.velocity > 0:  # velocity 0 is a note-off
            return "note", message.note, message.channel
        if message.type == "control_change":
            pressed = message.value >= 64
            was = self._pressed.get((message.channel, message.control), False)
            self._pressed[(message.channel, message.control)] = pressed
            return ("cc", message.control, message.channel) if pressed and not was else None
        if message.type == "program_change":
            return "program", message.program, message.channel
        return None

    # --- reading a port ----------------------------------------------------------------------
    def start(self, port) -> None:
        self._port, self._stop = port, threading.Event()
        self._thread = threading.Thread(target=self._read_loop, args=(port,), name="midi-in", daemon=True)
        self._thread.start()

    def _read_loop(self, port: mido.ports.BaseInput) -> None:
        while not self._stop.is_set():
            for message in port.iter_pending():
                try:
                    self.handle(message)
                except Exception:  # one bad action must not end MIDI input
                    log.exception("MIDI message %s failed", message)
            self._stop.wait(0.005)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self._port is not None:
            self._port.close()
            self._port = None


def open_input(settings: BridgeSettings, backend: mido.Backend | None = None):
    """(port, status line): the opened input, or None and why MIDI is unavailable."""
    if not settings.midi_enabled:
        return None, "MIDI off (midi_enabled = false)"
    backend = backend or mido.Backend()  # honours $MIDO_BACKEND
    problem = _missing_system(backend.name)
    if problem:
        return None, f"MIDI unavailable: {problem}; OSC works without it"
    try:
        if not settings.midi_port:
            return backend.open_input(VIRTUAL_PORT, virtual=True), f"MIDI: virtual input {VIRTUAL_PORT!r}"
        name = _find_port(settings.midi_port, backend.get_input_names())
        if name is None:
            return None, f"MIDI input {settings.midi_port!r} not found; inputs: {backend.get_input_names() or 'none'}"
        return backend.open_input(name), f"MIDI: input {name!r}"
    except (SystemError, OSError, RuntimeError, NotImplementedError, ValueError, ImportError) as e:
        return None, f"MIDI unavailable: {str(e).strip() or type(e).__name__}; OSC works without it"


def _missing_system(backend_name: str) -> str | None:
    if backend_name.split("/")[0] != "mido.backends.rtmidi":
        return None
    try:
        import rtmidi  # noqa: F401
    except ImportError:
        return "python-rtmidi is not installed (pip install 'soundalike[midi]')"
    if sys.platform.startswith("linux") and not os.path.exists("/dev/snd/seq"):
        return "no ALSA sequencer (/dev/snd/seq is missing: load snd-seq, or run outside a container)"
    return None


def _find_port(wanted: str, names: list[str]) -> str | None:
    exact = [n for n in names if n == wanted]
    prefixed = [n for n in names if n.lower().startswith(wanted.lower())]
    found = exact or prefixed
    return found[0] if found else None
