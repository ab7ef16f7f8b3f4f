"""What the bridge publishes on the engine's event bus, for the TUI's activity panel and status bar.

These live in the bridge, not in ``soundalike.engine.events``: the engine carries them without knowing them.
The module imports nothing, so the TUI can read it without loading the OSC or MIDI machinery.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BridgeActivity:
    """One request the bridge answered, for the TUI's activity panel.

    ``client`` is who asked ("127.0.0.1:53211" or a MIDI port name), ``address`` what it asked
    (an OSC address such as "/soundalike/similar", or "note 36"), ``summary`` a short line about
    the request and the answer ("kick_01.wav -> 10 results", "error: no such file").
    """

    client: str
    address: str
    summary: str
    ok: bool = True


@dataclass(frozen=True)
class BridgeState:
    """What the bridge's transports are doing, for the status bar ("" means not started)."""

    osc: str = ""  # e.g. "listening on 127.0.0.1:9000", "off", "error: port 9000 in use"
    midi: str = ""  # e.g. "port 'soundalike' open", "unavailable: no ALSA sequencer"
