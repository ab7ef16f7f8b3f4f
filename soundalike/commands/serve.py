"""``soundalike serve [DIR...]``: keep the library in step with the sample folders, live.

Runs the engine service (watcher, work queue, indexing workers) and the DAW bridge until
Ctrl-C or SIGTERM. Details go to the library's log file; the terminal gets one line per notable
change (a root going offline, a fallback to polling) and a running count while indexing.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections import deque

from soundalike.commands.library import unmapped_notice
from soundalike.engine.config import Settings
from soundalike.engine.errors import UserError
from soundalike.engine.events import Notice, RootState, SampleAdded, SampleFailed, SampleRemoved
from soundalike.engine.live.service import EngineService

log = logging.getLogger(__name__)

_REPORT_SECONDS = 2.0


def add_parsers(commands) -> None:
    serve = commands.add_parser("serve", help="watch sample folders and keep the library in step, live")
    serve.add_argument("folders", nargs="*", help="folders to add and watch (default: every known root)")
    serve.add_argument("--no-bridge", action="store_true", help="do not start the OSC/MIDI bridge")
    serve.set_defaults(handler=cmd_serve)


class _Reporter:
    """Collects events on the engine's threads; the main thread prints them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lines: deque[str] = deque(maxlen=200)
        self._counts = {"added": 0, "failed": 0, "removed": 0}

    def __call__(self, event: object) -> None:  # the bus carries other parts' events too
        with self._lock:
            if isinstance(event, Notice):
                self._lines.append(f"{event.level}: {event.message}")
            elif isinstance(event, RootState):
                state = f"watched ({event.watching})" if event.online else "offline"
                self._lines.append(f"{event.root}: {state}")
            elif isinstance(event, SampleAdded):
                self._counts["added"] += 1
            elif isinstance(event, SampleFailed):
                self._counts["failed"] += 1
            elif isinstance(event, SampleRemoved) and event.status != "removed":
                self._counts["removed"] += 1

    def flush(self, status: dict) -> None:
        with self._lock:
            lines, counts = list(self._lines), dict(self._counts)
            self._lines.clear()
            self._counts = dict.fromkeys(counts, 0)
        for line in lines:
            print(line, flush=True)
        if any(counts.values()) or status["busy"]:
            print(
                f"+{counts['added']} indexed, {counts['failed']} failed, {counts['removed']} gone; "
                f"{status['queue']} waiting",
                flush=True,
            )


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    stop = threading.Event()
    handlers = {sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with EngineService(settings) as service:
            if not args.folders and not service.library.browse.roots():
                raise UserError("no folders to watch yet: soundalike serve ~/Samples")
            notice = unmapped_notice(service.library)
            if notice:
                print(f"soundalike: {notice}", file=sys.stderr)
            reporter = _Reporter()
            service.events.subscribe(reporter)
            service.start(args.folders)
            bridge = None if args.no_bridge else _start_bridge(service, settings)
            try:
                _serve_until(stop, service, reporter)
            finally:
                if bridge is not None:
                    bridge.stop()
    finally:
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    return 0


def _serve_until(stop: threading.Event, service: EngineService, reporter: _Reporter) -> None:
    print(f"serving {service.library.data_dir} (pid {service.status()['lock']['pid']}); Ctrl-C to stop", flush=True)
    while not stop.wait(_REPORT_SECONDS):
        status = service.status()
        reporter.flush(status)
        if status["error"]:
            raise UserError(status["error"])
    print("stopping: finishing the batch in flight", flush=True)


def _start_bridge(service: EngineService, settings: Settings):
    """The OSC/MIDI bridge for DAWs; a failure (port taken) is reported and serving goes on."""
    if not settings.bridge.osc_enabled and not settings.bridge.midi_enabled:
        return None
    try:
        from soundalike.bridge import start_bridge

        return start_bridge(service, settings)
    except UserError as e:
        print(f"warning: bridge not started: {e}", flush=True)
        log.warning("bridge not started: %s", e)
        return None
