"""A mido backend for tests (``mido.Backend("tests.bridge.fake_midi_backend")``): no MIDI system needed.

Its input ports are fed from the test with ``port.feed(message)``.
"""

from __future__ import annotations

from mido.ports import BaseInput

INPUT_NAMES = ["Pad Controller 1", "Footswitch"]


class Input(BaseInput):
    def _open(self, virtual=False, callback=None, **kwargs):
        self.virtual = virtual

    def feed(self, message) -> None:
        with self._lock:
            self._messages.append(message)


def get_devices(**kwargs) -> list[dict]:
    return [{"name": name, "is_input": True, "is_output": False} for name in INPUT_NAMES]
