"""The bridge as one object: the OSC server, push events and MIDI input around one library.

The process that owns the engine (``serve``, the TUI) starts it::

    bridge = start_bridge(service, settings)          # or Bridge(service, None, settings.bridge).start()
    ...
    bridge.stop()

It only uses the engine's public API (``service.library``, ``service.events``, ``service.status()``:
:class:`EngineSource`), never the reverse.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import mido

from soundalike.bridge.actions import Actions, Auditioner, SilentAuditioner
from soundalike.bridge.events import BridgeActivity, BridgeState
from soundalike.bridge.midi.bindings import parse_map
from soundalike.bridge.midi.input import MidiController, open_input
from soundalike.bridge.osc import client_state
from soundalike.bridge.osc import protocol as p
from soundalike.bridge.osc.access import AccessPolicy
from soundalike.bridge.osc.counters import Counters
from soundalike.bridge.osc.handlers import Handlers
from soundalike.bridge.osc.path_policy import PathPolicy
from soundalike.bridge.osc.push import FOREVER, Push
from soundalike.bridge.osc.server import OscServer
from soundalike.bridge.session import Session
from soundalike.engine.config import BridgeSettings, Settings
from soundalike.engine.errors import UserError
from soundalike.engine.events import EventBus
from soundalike.engine.library.facade import Library

log = logging.getLogger(__name__)
STATE_FILE = "bridge-clients.json"  # in the data folder: per-client settings and subscriptions
SAVE_RENEWALS_AFTER = 30.0  # seconds: lease renewals alone are written at most this often
_STATEFUL = tuple(f"{p.PREFIX}/{name}" for name in ("set", "subscribe", "unsubscribe"))


def package_version() -> str:
    """The installed distribution's version (the bridge does not import the CLI package for it)."""
    try:
        return metadata.version("soundalike")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class EngineSource(Protocol):
    """What the bridge needs from the process that owns the engine (``EngineService`` is one)."""

    @property
    def library(self) -> Library: ...

    @property
    def events(self) -> EventBus: ...

    def status(self) -> dict[str, Any]:
        """The engine's state; the bridge reads ``busy`` from it when present."""
        ...


@dataclass(frozen=True)
class LibraryOnly:
    """A library without a live service around it (tests, benchmarks): never reported busy."""

    library: Library

    @property
    def events(self) -> EventBus:
        return self.library.events

    def status(self) -> dict[str, Any]:
        return {}


class Bridge:
    def __init__(
        self,
        source: EngineSource | Library,
        events: EventBus | None,
        settings: BridgeSettings,
        auditioner: Auditioner | None = None,
        midi_backend: mido.Backend | None = None,
        state_file: Path | None = None,
    ):
        """``source`` is an EngineService (any :class:`EngineSource`) or a bare Library; ``events``
        defaults to the source's bus. ``state_file`` keeps client settings across restarts (default:
        ``bridge-clients.json`` in the library's data folder)."""
        self.source: EngineSource = LibraryOnly(source) if isinstance(source, Library) else source
        self.library = self.source.library
        self.events = events or self.source.events
        self.settings, self.midi_backend = settings, midi_backend
        self.counters, self.session = Counters(), Session()
        self.state_file = state_file or self.library.settings.engine.resolved_data_dir() / STATE_FILE
        self.push = Push(progress_interval=settings.progress_interval, wake=self._wake, lease=settings.subscriber_lease)
        paths = PathPolicy(settings.query_paths, settings.query_folders, self.library.browse.roots)
        self.handlers = Handlers(
            self.library, self.push, self.status, settings.max_k, settings.max_reply_bytes, self.session, paths
        )
        self.server = OscServer(
            self.handlers.table(),
            self.push,
            settings,
            reply_port_of=lambda client: self.handlers.clients.get(client).reply_port,
            counters=self.counters,
            activity=self._osc_activity,
        )
        self.actions = Actions(self.library, self.session, auditioner or SilentAuditioner(), self.push.on_event)
        self.midi = MidiController(parse_map(settings.midi_map), self._midi_action)
        self.midi_status = "MIDI not started"
        self._unsubscribe: Callable[[], None] | None = None
        self._started = False
        self._saved: tuple | None = None
        self._saved_at = 0.0

    def _osc_activity(self, client: tuple[str, int], address: str, summary: str, ok: bool) -> None:
        if ok and address in _STATEFUL:
            self._save_state()
        self.events.publish(BridgeActivity(f"{client[0]}:{client[1]}", address, summary, ok))

    def _save_state(self) -> None:
        """Write the file when a client's settings or the subscribers changed, or renewals are due
        (a patch that re-sends ``set reply_port`` with each request does not write each time)."""
        prefs, leases = self.handlers.clients.snapshot(), self.push.leases()
        key = (prefs, frozenset(leases))
        if key == self._saved and time.monotonic() - self._saved_at < SAVE_RENEWALS_AFTER:
            return
        client_state.save(self.state_file, prefs, leases)
        self._saved, self._saved_at = key, time.monotonic()

    def _restore_state(self) -> None:
        saved = client_state.load(self.state_file)
        allowed = self.server.access.allows
        self.handlers.clients.restore({c: prefs for c, prefs in saved.prefs.items() if allowed(c[0])})
        for client, left in saved.leases.items():
            if allowed(client[0]):
                try:
                    self.push.add(client, left)
                except ValueError:
                    break  # full

    def _say_hello(self) -> None:
        """``/soundalike/hello port version`` to every client known from before, so a patch that
        was open while the server was down can set its reply port and subscribe again."""
        targets = {self.server.reply_target(client) for client in self.handlers.clients.snapshot()}
        targets |= set(self.push.subscribers())
        for target in sorted(targets):
            self.server.send_to(target, (p.HELLO, (self.address[1], package_version())))

    def _midi_action(self, action: str, argument: str | None) -> None:
        self.actions.run(action, argument)
        current = self.session.current()
        self.events.publish(
            BridgeActivity(
                "midi",
                " ".join(filter(None, (action, argument))),
                os.path.basename(current) if current else "nothing selected",
            )
        )

    def _publish_state(self) -> None:
        self.events.publish(BridgeState(osc=self._osc_state(), midi=self.midi_status))

    def _osc_state(self) -> str:
        return f"listening on {self.address[0]}:{self.address[1]}" if self.server.running else "off"

    def _wake(self) -> None:
        if self._started:
            self.server.wake()

    def start(self) -> Bridge:
        for client in parse_subscribers(self.settings):
            self.push.add(client, FOREVER)
        self._restore_state()
        if self.settings.osc_enabled:
            self.server.start()
            self._say_hello()
        self._started = True
        self._unsubscribe = self.events.subscribe(self.push.on_event)
        self._start_midi()
        self._publish_state()
        return self

    def _start_midi(self) -> None:
        port, self.midi_status = open_input(self.settings, self.midi_backend)
        (log.info if port is not None or not self.settings.midi_enabled else log.warning)("%s", self.midi_status)
        if port is not None:
            self.midi.start(port)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.midi.stop()
        self.server.stop()
        self._started = False
        self.midi_status = "MIDI stopped"
        self._publish_state()

    def __enter__(self) -> Bridge:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return self.server.address

    def status(self) -> dict[str, Any]:
        """Flat name -> int/str: what ``/soundalike/status`` answers and the TUI can show."""
        status: dict[str, Any] = {
            "version": package_version(),
            "osc": self._osc_state(),
            "midi": self.midi_status,
            "samples": self.library.browse.status_counts().get("ok", 0),
            "default_backend": self.library.settings.engine.default_backend,
            "subscribers": len(self.push.subscribers()),
            "queued": self.server.queued(),
            "clients": len(self.handlers.clients),
            "push_dropped": self.push.dropped_total,
            "midi_messages": self.midi.received,
            "replies_dropped": self.server.drops.dropped(),
            "received_dropped": self.server.drops.own_dropped(),
        }
        status = {**status, **self.counters.snapshot()}
        engine = self.source.status()
        if "busy" in engine:
            status["busy"] = int(bool(engine["busy"]))
        return status


def parse_subscribers(settings: BridgeSettings) -> list[tuple[str, int]]:
    """``[bridge] subscribers`` ("host:port") as clients; only hosts the access policy allows."""
    policy, clients = AccessPolicy(settings), []
    for entry in settings.subscribers:
        host, _, port = entry.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise UserError(f'[bridge] subscribers: {entry!r} is not HOST:PORT, e.g. "127.0.0.1:9001"')
        if not policy.allows(host):
            raise UserError(f"[bridge] subscribers: {host} is neither loopback nor in [bridge] allow")
        clients.append((host, int(port)))
    return clients


def start_bridge(service: EngineSource, settings: Settings, auditioner: Auditioner | None = None) -> Bridge:
    """Start the OSC server and MIDI input for ``service`` (serve, TUI). UserError when the port is taken."""
    return Bridge(service, service.events, settings.bridge, auditioner).start()
