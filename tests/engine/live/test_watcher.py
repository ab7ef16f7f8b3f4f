"""Debouncing, event filtering and the polling fallback, in isolation (no library)."""

from __future__ import annotations

import errno
import os
import time
from types import SimpleNamespace

from watchdog.observers.polling import PollingObserverVFS

from soundalike.engine.config import WatchSettings
from soundalike.engine.events import EventBus, Notice
from soundalike.engine.live.debounce import ChangeTracker
from soundalike.engine.live.watcher import Watcher, _Handler, filesystem_type

EXTENSIONS = (".wav", ".aif")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_file_still_growing_waits_until_size_and_mtime_hold(tmp_path):
    clock, settled = Clock(), []
    tracker = ChangeTracker(0.5, settled.extend, clock=clock)
    path = tmp_path / "kick.wav"
    path.write_bytes(b"x" * 10)
    tracker.touch(str(path), str(tmp_path))
    assert tracker.tick() == []  # events too recent
    clock.now += 0.6
    assert tracker.tick() == []  # first look
    with open(path, "ab") as handle:  # grows without an event reaching us (polling, slow copy)
        handle.write(b"y" * 10)
    clock.now += 0.1
    assert tracker.tick() == []  # size moved: look again
    clock.now += 0.1
    assert tracker.tick() == [str(path)]
    assert tracker.pending() == 0


def test_a_new_event_restarts_the_quiet_period(tmp_path):
    clock = Clock()
    tracker = ChangeTracker(0.5, lambda paths: None, clock=clock)
    path = tmp_path / "snare.wav"
    path.write_bytes(b"x")
    tracker.touch(str(path), str(tmp_path))
    clock.now += 0.6
    tracker.tick()
    tracker.touch(str(path), str(tmp_path))
    clock.now += 0.1
    assert tracker.tick() == []
    clock.now += 0.5
    tracker.tick()
    clock.now += 0.1
    assert tracker.tick() == [str(path)]


def test_vanished_paths_wait_for_their_whole_root_to_be_quiet(tmp_path):
    clock = Clock()
    tracker = ChangeTracker(0.5, lambda paths: None, clock=clock)
    root = str(tmp_path)
    tracker.touch(f"{root}/a.wav", root)
    clock.now += 0.4
    tracker.touch(f"{root}/b.wav", root)  # the burst goes on
    clock.now += 0.2
    assert tracker.tick() == []  # a.wav is quiet, but the root is not
    clock.now += 0.4
    assert sorted(tracker.tick()) == [f"{root}/a.wav", f"{root}/b.wav"]


def recording_handler(root: str):
    touched, moves = [], []
    tracker = SimpleNamespace(
        touch=lambda path, r: touched.append(os.path.relpath(path, root)), opened=lambda path, delta: None
    )
    handler = _Handler(root, EXTENSIONS, tracker, lambda src, dest: moves.append((src, dest)))
    return handler, touched, moves


def event(kind: str, src: str, dest: str = "", is_directory: bool = False):
    return SimpleNamespace(event_type=kind, src_path=src, dest_path=dest, is_directory=is_directory)


def test_handler_ignores_temporary_names_sidecars_and_our_own_reads():
    handler, touched, moves = recording_handler("/s")
    for kind, path, is_dir in [
        ("created", "/s/a.wav.part", False),
        ("modified", "/s/.hidden.wav", False),
        ("created", "/s/kick.wav.asd", False),
        ("created", "/s/notes.txt", False),
        ("opened", "/s/kick.wav", False),
        ("closed_no_write", "/s/kick.wav", False),
        ("modified", "/s/Kit", True),
        ("created", "/s/.Trash/x.wav", False),
        ("created", "/s/kick.wav", False),
        ("closed", "/s/kick.wav", False),
        ("created", "/s/New Kit", True),
        ("deleted", "/s/old.aif", False),
    ]:
        handler.dispatch(event(kind, path, is_directory=is_dir))
    assert touched == ["kick.wav", "kick.wav", "New Kit", "old.aif"]
    assert moves == []


def test_handler_turns_renames_into_moves_or_single_touches():
    handler, touched, moves = recording_handler("/s")
    handler.dispatch(event("moved", "/s/a.wav", "/s/b.wav"))
    handler.dispatch(event("moved", "/s/dl.wav.part", "/s/dl.wav"))  # a download finishing
    handler.dispatch(event("moved", "/s/c.wav", "/s/c.wav~"))  # renamed away to a backup name
    handler.dispatch(event("moved", "/s/Kit", "/s/Kit 2", is_directory=True))
    assert moves == [("/s/a.wav", "/s/b.wav"), ("/s/Kit", "/s/Kit 2")]
    assert touched == ["a.wav", "b.wav", "dl.wav", "c.wav", "Kit", "Kit 2"]


class LimitedObserver(PollingObserverVFS):
    """Stands in for inotify when its watch limit is reached."""

    def start(self):
        raise OSError(errno.ENOSPC, "inotify watch limit reached")


def test_inotify_limit_falls_back_to_polling_and_says_so(tmp_path):
    notices = []
    bus = EventBus()
    bus.subscribe(notices.append)

    def factory(mode, poll):
        if mode == "inotify":
            return LimitedObserver(os.lstat, os.scandir, polling_interval=poll)
        return PollingObserverVFS(os.lstat, os.scandir, polling_interval=poll)

    tracker = ChangeTracker(0.05, lambda paths: None)
    watcher = Watcher(WatchSettings(poll_seconds=0.1), EXTENSIONS, tracker, lambda s, d: None, bus, factory)
    try:
        assert watcher.watch(str(tmp_path)) == "polling"
        assert watcher.mode(str(tmp_path)) == "polling"
        assert [n.level for n in notices if isinstance(n, Notice)] == ["warning"]
        assert "max_user_watches" in notices[0].message
        (tmp_path / "kick.wav").write_bytes(b"RIFF")
        deadline = time.monotonic() + 10
        while tracker.pending() == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert tracker.pending() == 1  # the polling observer saw it
    finally:
        watcher.stop()


def test_polling_roots_and_network_file_systems_are_polled(tmp_path):
    tracker = ChangeTracker(0.05, lambda paths: None)
    settings = WatchSettings(poll_seconds=0.1, polling_roots=(str(tmp_path / "nas"),))
    (tmp_path / "nas").mkdir()
    (tmp_path / "local").mkdir()
    watcher = Watcher(settings, EXTENSIONS, tracker, lambda s, d: None, EventBus())
    try:
        assert watcher.watch(str(tmp_path / "nas")) == "polling"
        expected = "polling" if filesystem_type(str(tmp_path)) in settings.network_filesystems else "inotify"
        assert watcher.watch(str(tmp_path / "local")) == expected
    finally:
        watcher.stop()
    assert filesystem_type("/proc") == "proc"
