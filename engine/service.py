"""The engine service: owns one library, keeps it in step with disk, and publishes events.

The TUI and the bridge run one of these in-process and use ``service.library`` for queries and
``service.events`` for live updates.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from engine.config import Settings
from engine.embedders.registry import BACKENDS, Registry
from engine.events import EventBus, Notice
from engine.library import Library

log = logging.getLogger(__name__)


class EngineService:
    def __init__(self, settings: Settings, backends: Registry = BACKENDS):
        self.settings = settings
        self.events = EventBus()
        self.library = Library(settings, backends=backends, events=self.events)
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None
        self._busy = threading.Event()

    def start(self, roots: Sequence[str] = ()) -> None:
        """Add ``roots`` and bring the library in step with disk in the background."""
        for root in roots:
            self.library.add_root(root)
        self._busy.set()
        self._worker = threading.Thread(target=self._catch_up, name="engine-scan", daemon=True)
        self._worker.start()

    def _catch_up(self) -> None:
        try:
            self.library.scan(stop=self._stop)
        except Exception as e:  # reported to the user; the service keeps answering queries
            log.exception("scan failed")
            self.events.publish(Notice("error", f"indexing stopped: {e}"))
        finally:
            self._busy.clear()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no work is pending; True when idle."""
        if self._worker is not None:
            self._worker.join(timeout)
        return not self._busy.is_set()

    def status(self) -> dict:
        return {"busy": self._busy.is_set(), "roots": self.library.roots()}

    def stop(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.join()
        self.library.close()

    def __enter__(self) -> EngineService:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
