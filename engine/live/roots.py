"""Roots going offline and coming back (unplugged drives, unmounted shares, deleted folders).

A root is present when its folder exists and is not empty (an unmounted mount point is an empty
folder), or when it never held any samples. When a root goes, its samples are marked offline,
not missing: they leave search results but keep their ids, tags, favourites and vectors. When it
comes back it is watched again and compared with the catalog; unchanged files are revived from
their stored vectors without decoding. Samples marked offline under a root that is still there
(a large share vanished at once) are probed now and then and brought back the same way.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass

from soundalike.engine.config import WatchSettings
from soundalike.engine.events import Notice
from soundalike.engine.library.facade import Library
from soundalike.engine.library.scan import Scanner
from soundalike.engine.library.writer import LibraryWriter
from soundalike.engine.live.debounce import ChangeTracker
from soundalike.engine.live.watcher import Watcher
from soundalike.engine.live.work_queue import WorkQueue

log = logging.getLogger(__name__)

_PROBES = 3


@dataclass
class RootInfo:
    online: bool
    watching: str = ""


class Roots:
    def __init__(
        self,
        library: Library,
        writer: LibraryWriter,
        scanner: Scanner,
        watcher: Watcher,
        tracker: ChangeTracker,
        queue: WorkQueue,
        settings: WatchSettings,
    ):
        self.library, self.watcher, self.tracker, self.queue = library, watcher, tracker, queue
        self.writer, self.scanner = writer, scanner
        self.settings = settings
        self.states: dict[str, RootInfo] = {}
        self._last_check = 0.0
        self._probe_offset: dict[str, int] = {}

    def snapshot(self) -> list[dict]:
        return [
            {"path": root, "online": info.online, "watching": info.watching}
            for root, info in sorted(dict(self.states).items())
        ]

    def check_due(self) -> None:
        if time.monotonic() - self._last_check >= self.settings.root_check_seconds:
            self.check()

    def check(self) -> None:
        """Bring every root's state in line with the disk (called on the indexer thread)."""
        self._last_check = time.monotonic()
        for root in self.library.browse.roots():
            info = self.states.get(root)
            present = self.present(root)
            if info is None or info.online != present:
                self.go_online(root) if present else self.go_offline(root)
            elif present and not self.watcher.healthy(root):
                self._rewatch(root)
            elif present:
                self._probe_offline(root)

    def present(self, root: str) -> bool:
        try:
            with os.scandir(root) as entries:
                if next(entries, None) is not None:
                    return True
        except OSError:
            return False
        return self.scanner.live_count(root) == 0

    def go_online(self, root: str) -> None:
        mode = self.watcher.watch(root)
        was_offline = root in self.states
        self.states[root] = RootInfo(True, mode)
        self.writer.set_root_online(root, True, mode)
        self.queue.add_paths([root], forced=False)  # catch up with what changed meanwhile
        if was_offline:
            self._notify("info", f"{root} is back: catching up")
        log.info("watching %s (%s)", root, mode)

    def go_offline(self, root: str) -> None:
        self.watcher.unwatch(root)
        self.tracker.drop_under(root)
        self.queue.drop_under(root)
        self.states[root] = RootInfo(False, "")
        count = self.scanner.root_away(root)
        self.writer.set_root_online(root, False)
        self._notify(
            "warning", f"{root} is offline (unplugged drive?): its {count} samples are kept and come back when it does"
        )

    def forget(self, root: str) -> None:
        """Stop following ``root`` (it is leaving the library): no watch, no queued work, no state."""
        self.watcher.unwatch(root)
        self.tracker.drop_under(root)
        self.queue.drop_under(root)
        self.states.pop(root, None)

    def _rewatch(self, root: str) -> None:
        self.watcher.unwatch(root)
        mode = self.watcher.watch(root)
        self.states[root] = RootInfo(True, mode)
        self.writer.set_root_online(root, True, mode)
        self.queue.add_paths([root], forced=False)  # events may have been lost

    def _probe_offline(self, root: str) -> None:
        offset = self._probe_offset.get(root, 0)
        paths = self.scanner.offline_paths(root, _PROBES, offset)
        self._probe_offset[root] = offset + _PROBES if len(paths) == _PROBES else 0
        if any(os.path.exists(path) for path in paths):
            log.info("offline samples under %s are back", root)
            self.queue.add_paths([root], forced=False)

    def _notify(self, level: str, message: str) -> None:
        log.info("%s: %s", level, message)  # the Notice is what the user sees (once), the log keeps a copy
        self.library.events.publish(Notice(level, message))
