"""Recent bridge activity: what a DAW asked over OSC or MIDI, and what was answered.

Fed by ``soundalike.bridge.events.BridgeActivity`` (and ``BridgeState``) events that the bridge publishes on
the engine's event bus; the app passes them here in batches.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual.markup import escape
from textual.widgets import RichLog

from soundalike.bridge.events import BridgeActivity, BridgeState
from soundalike.tui.widgets.status_bar import transport_detail

MAX_LINES = 200


def activity_line(event: BridgeActivity, when: float) -> Text:
    text = Text(time.strftime("%H:%M:%S ", time.localtime(when)), style="dim")
    text.append(f"{event.client:<21} ", style="cyan")
    text.append(f"{event.address} ", style="bold")
    text.append(event.summary, style="" if event.ok else "red")
    return text


class BridgePanel(RichLog):
    DEFAULT_CSS = """
    BridgePanel { height: 8; border-top: solid $secondary; display: none; }
    BridgePanel.shown { display: block; }
    """

    def __init__(self, **kwargs):
        super().__init__(max_lines=MAX_LINES, wrap=False, markup=False, **kwargs)
        self.border_title = "bridge activity"
        self.count = 0
        self.state = BridgeState()
        self._placeholder = True

    def on_mount(self) -> None:
        self.write(Text("No requests yet. When the OSC/MIDI bridge runs, what your DAW asks shows here.", style="dim"))

    def _drop_placeholder(self) -> None:
        if self._placeholder:
            self._placeholder = False
            self.clear()

    def add(self, events: list[BridgeActivity]) -> None:
        now = time.time()
        if events:
            self._drop_placeholder()
        for event in events:
            self.write(activity_line(event, now))
        self.count += len(events)
        self._retitle()

    def set_state(self, state: BridgeState) -> None:
        """The full state of each transport (the status bar shows one word): in the title, and a
        line in the log whenever it changes."""
        osc, midi = transport_detail(state.osc, "OSC") or "off", transport_detail(state.midi, "MIDI") or "off"
        if state != self.state:
            self.state = state
            self._retitle()
            self._drop_placeholder()
            self.write(Text(f"OSC {osc}; MIDI {midi}", style="dim"))

    def _retitle(self) -> None:
        osc = transport_detail(self.state.osc, "OSC") or "off"
        midi = transport_detail(self.state.midi, "MIDI") or "off"
        requests = f"{self.count:,} request{'' if self.count == 1 else 's'}"
        self.border_title = escape(f"bridge: OSC {osc} · MIDI {midi} · {requests}")  # "[midi]" is not markup
