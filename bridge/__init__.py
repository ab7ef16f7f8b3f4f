"""The DAW bridge: OSC (python-osc) and MIDI (mido) around the engine's library API.

``from soundalike.bridge import start_bridge``; ``start_bridge(service, settings)`` starts it for a running
EngineService. docs/osc.md is the address space. ``osc/`` holds the OSC protocol, handlers and
transport, ``midi/`` the MIDI input; ``bridge`` wires them around one library, with the browsing
``session`` and the hands-free ``actions`` they share, and ``events`` is what the bridge publishes.
Importing the package stays light (the OSC command-line client needs only
``soundalike.bridge.osc.client``); the server loads on first use.
"""

from __future__ import annotations

__all__ = ["Bridge", "start_bridge"]


def __getattr__(name: str):
    if name in __all__:
        from soundalike.bridge import bridge as _bridge

        return getattr(_bridge, name)
    raise AttributeError(f"module 'bridge' has no attribute {name!r}")
