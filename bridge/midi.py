"""MIDI input: notes, CCs and program changes mapped to actions by ``[bridge] midi_map``.

:func:`parse_map` reads the config entries, :class:`MidiController` turns messages into actions
(pure, testable with plain ``mido.Message`` objects) and reads a port on its own thread, and
:func:`open_input` opens the configured port or says in one line why MIDI is unavailable (no
python-rtmidi, no ALSA sequencer as in most containers, no such port) instead of failing.
"""
from __future__ import annotations

import logging
import os
import re
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass

import mido

from soundalike.bridge.actions import ACTIONS
from soundalike.engine.config import BridgeSettings
from soundalike.engine.errors import UserError

log = logging.getLogger(__name__)

VIRTUAL_PORT = "soundalike"
_TRIGGER = re.compile(r"^(note|cc|program)(?::(\d{1,3}))?(?:@(\d{1,2}))?$")


@dataclass(frozen=True)
class Binding:
    kind: str  # "note", "cc" or "program"
    number: int | None  # None: any program (program changes only)
    channel: int | None  # 0-based; None: any channel
    action: str
    argument: str | None = None

    def matches(self, kind: str, number: int, channel: int) -> bool:
        return (kind == self.kind and (self.number is None or self.number == number)
                and (self.channel is None or self.channel == channel))


def parse_map(entries: tuple[str, ...]) -> list[Binding]:
    """``"note:36@10 similar"``-style entries to bindings; a bad entry is a UserError naming it."""
    return [_parse_entry(entry) for entry in entries]


def _parse_entry(entry: str) -> Binding:
    words = entry.split(maxsplit=2)
    match = _TRIGGER.match(words[0]) if words else None
    where = f"[bridge] midi_map entry {entry!r}"
    if match is None or len(words) < 2:
        raise UserError(f"{where}: write TRIGGER ACTION [ARGUMENT], e.g. \"note:36 similar\" or \"cc:64@1 next\"")
    kind, number, channel = match.group(1), match.group(2), match.group(3)
    if kind != "program" and number is None:
        raise UserError(f"{where}: {kind} needs a number, e.g. {kind}:36")
    if number is not None and not 0 <= int(number) <= 127:
        raise UserError(f"{where}: {kind} number must be 0-127")
    if channel is not None and not 1 <= int(channel) <= 16:
        raise UserError(f"{where}: channel must be 1-16")
    if words[1] not in ACTIONS:
        raise UserError(f"{where}: unknown action {words[1]!r}; valid: {', '.join(ACTIONS)}")
    return Binding(kind, int(number) if number is not None else None,
                   int(channel) - 1 if channel is not None else None, words[1], words[2] if len(words) > 2 else None)


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
