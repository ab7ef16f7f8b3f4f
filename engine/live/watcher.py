"""Watch sample roots with watchdog and pass relevant events on to the change tracker.

One observer per root, so each root has its own mode: inotify normally; polling for roots listed
in ``[watch] polling_roots``, roots on network file systems (inotify does not see changes made
by another machine), and whenever inotify runs out of watches or instances (ENOSPC/EMFILE), in
which case a Notice says so and how to raise the limit. Temporary and sidecar names, hidden
folders, files that are not audio and our own reads (opened/closed-without-write) are ignored.
"""

from __future__ import annotations

import errno
import logging
import os
import threading
from collections.abc import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserverVFS

from soundalike.engine.config import WatchSettings
from soundalike.engine.events import EventBus, Notice
from soundalike.engine.live.debounce import ChangeTracker
from soundalike.engine.pipeline.walk import has_temporary_part, is_candidate

log = logging.getLogger(__name__)

ObserverFactory = Callable[[str, float], BaseObserver]  # (mode, poll seconds) -> observer
_OPENS = {"opened": 1, "closed": -1, "closed_no_write": -1}  # inotify only: a file held open is not settled
_LIMIT_ERRORS = {errno.ENOSPC, errno.EMFILE, errno.ENFILE}


def default_observer(mode: str, poll_seconds: float) -> BaseObserver:
    if mode == "polling":  # lstat: symbolic links are not followed, so a link loop cannot recurse
        return PollingObserverVFS(os.lstat, os.scandir, polling_interval=poll_seconds)
    return Observer()


class _Handler(FileSystemEventHandler):
    def __init__(
        self, root: str, extensions: tuple[str, ...], tracker: ChangeTracker, on_move: Callable[[str, str], None]
    ):
        self.root, self.extensions, self.tracker, self.on_move = root, extensions, tracker, on_move

    def dispatch(self, event: FileSystemEvent) -> None:
        kind = event.event_type
        if kind == "modified" and event.is_directory:
            return  # a folder's own "modified" fires for every file added to it
        src = os.fsdecode(event.src_path)
        if kind in _OPENS:
            if not event.is_directory and self._relevant(src, False):
                self.tracker.opened(src, _OPENS[kind])
            if kind != "closed":
                return  # our own reads open files too: an open alone is no change
        if kind != "moved":
            if self._relevant(src, event.is_directory):
                self.tracker.touch(src, self.root)
            return
        dest = os.fsdecode(event.dest_path)
        keep_src, keep_dest = self._relevant(src, event.is_directory), self._relevant(dest, event.is_directory)
        if keep_src and keep_dest:
            self.on_move(src, dest)
        for path, keep in ((src, keep_src), (dest, keep_dest)):
            if keep:
                self.tracker.touch(path, self.root)

    def _relevant(self, path: str, is_directory: bool) -> bool:
        if not path or has_temporary_part(path, self.root):
            return False
        return is_directory or path == self.root or is_candidate(os.path.basename(path), self.extensions)


class Watcher:
    def __init__(
        self,
        settings: WatchSettings,
        extensions: tuple[str, ...],
        tracker: ChangeTracker,
        on_move: Callable[[str, str], None],
        events: EventBus,
        observer_factory: ObserverFactory = default_observer,
    ):
        self.settings = settings
        self.extensions = extensions
        self.tracker = tracker
        self.on_move = on_move
        self.events = events
        self.observer_factory = observer_factory
        self._observers: dict[str, tuple[BaseObserver, str]] = {}
        self._lock = threading.Lock()

    def watch(self, root: str) -> str:
        """Start watching ``root`` (once); returns the mode: "inotify" or "polling"."""
        with self._lock:
            if root in self._observers:
                return self._observers[root][1]
            mode, why = self._wanted_mode(root)
            observer = None
            if mode == "inotify":
                try:
                    observer = self._start(root, "inotify")
                except OSError as e:
                    mode = "polling"
                    self._fell_back(root, e)
            if observer is None:
                observer = self._start(root, "polling")
                if why:
                    log.info("watching %s by polling every %g s: %s", root, self.settings.poll_seconds, why)
            self._observers[root] = (observer, mode)
            return mode

    def unwatch(self, root: str) -> None:
        with self._lock:
            entry = self._observers.pop(root, None)
        if entry is not None:
            _stop(entry[0])

    def mode(self, root: str) -> str:
        with self._lock:
            entry = self._observers.get(root)
            return entry[1] if entry else ""

    def healthy(self, root: str) -> bool:
        """False when the root's watching threads died (e.g. a watch limit hit on a new folder)."""
        with self._lock:
            entry = self._observers.get(root)
        return entry is None or (entry[0].is_alive() and all(e.is_alive() for e in entry[0].emitters))

    def stop(self) -> None:
        with self._lock:
            observers = [observer for observer, _ in self._observers.values()]
            self._observers.clear()
        for observer in observers:
            _stop(observer)

    def _wanted_mode(self, root: str) -> tuple[str, str]:
        polling = {os.path.abspath(os.path.expanduser(p)) for p in self.settings.polling_roots}
        if root in polling:
            return "polling", "listed in [watch] polling_roots"
        fs_type = filesystem_type(root)
        if fs_type in self.settings.network_filesystems:
            return "polling", f"on a network file system ({fs_type})"
        return "inotify", ""

    def _start(self, root: str, mode: str) -> BaseObserver:
        observer = self.observer_factory(mode, self.settings.poll_seconds)
        observer.schedule(_Handler(root, self.extensions, self.tracker, self.on_move), root, recursive=True)
        try:
            observer.start()
        except BaseException:
            _stop(observer)
            raise
        return observer

    def _fell_back(self, root: str, error: OSError) -> None:
        if error.errno in _LIMIT_ERRORS:
            why = (
                f"the inotify limit is reached ({error.strerror or error}); raise it with "
                f"`sudo sysctl fs.inotify.max_user_watches=524288` (and max_user_instances)"
            )
        else:
            why = f"inotify failed ({error.strerror or error})"
        message = f"watching {root} by polling every {self.settings.poll_seconds:g} s: {why}"
        log.info(message)  # the Notice is what the user sees; a warning here would print it twice
        self.events.publish(Notice("warning", message))


def filesystem_type(path: str) -> str:
    """The type of the file system holding ``path`` ("ext4", "nfs4", ...), "" when unknown."""
    real = os.path.realpath(path)
    best, best_type = "", ""
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                parts = line.split()
                if len(parts) < 3:
                    continue
                point = parts[1].replace("\\040", " ")
                inside = real == point or real.startswith(point.rstrip("/") + "/")
                if inside and len(point) >= len(best):
                    best, best_type = point, parts[2]
    except OSError:
        return ""
    return best_type


def _stop(observer: BaseObserver) -> None:
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5)
    except RuntimeError:  # never started
        pass
