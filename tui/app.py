"""The soundalike terminal app: browse, search and audition a library from the keyboard, live.

The app runs over one EngineService in the same process: queries go to ``service.library``,
live updates come from ``service.events`` as Textual messages (:mod:`soundalike.tui.live`): a burst of engine
events is one :class:`~soundalike.tui.live.EngineActivity`, applied at most every APPLY_SECONDS, and told to
the screens as :class:`~soundalike.tui.live.SamplesChanged` and :class:`~soundalike.tui.live.BridgeNews`.

Each screen binds its own keys and runs their actions (:mod:`soundalike.tui.keys` lists them all);
the app binds only the app-wide ones (auto-play, listen, help, quit) and keeps what every screen
shares: the player, the writes, the status bar's state, and the doors to the results, kit and map.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from textual import events, work
from textual.app import App
from textual.timer import Timer

from soundalike.engine.config import Settings
from soundalike.engine.errors import SoundalikeError
from soundalike.engine.library.browse import SampleRow
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.live.service import EngineService
from soundalike.engine.pipeline.recording import InputUnavailable, cleaned, record, trimmed
from soundalike.tui.keys import bindings, keymap
from soundalike.tui.live import Batch, EngineActivity, FailureDigest, LiveFeed
from soundalike.tui.results_query import ResultsQuery
from soundalike.tui.screens.browser import BrowserScreen
from soundalike.tui.screens.help import HelpScreen
from soundalike.tui.screens.kit import KitScreen
from soundalike.tui.screens.map import MapScreen
from soundalike.tui.screens.results import ResultsScreen
from soundalike.tui.sound.audio import Player
from soundalike.tui.sound.clips import ClipCache
from soundalike.tui.widgets.status_bar import StatusBar, StatusState
from soundalike.tui.widgets.waveform import render
from soundalike.tui.writes import LibraryWrites

log = logging.getLogger(__name__)

#: Engine events are applied at most this often (seconds): bursts coalesce into one refresh.
APPLY_SECONDS = 0.2
#: While a sound plays, how often the status bar checks whether it has ended.
PLAYBACK_CHECK_SECONDS = 0.2
FAILURE_TOAST_SECONDS = 5.0
#: How another process (``soundalike index`` while the app is open) names the app that owns the library.
OWNER = "the soundalike app"


class SoundalikeApp(App):
    TITLE = "soundalike"
    BINDINGS = bindings("autoplay", "listen", "help", "quit")
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        service: EngineService,
        settings: Settings,
        roots: Sequence[str] | None = None,
        player: Player | None = None,
        **kwargs,
    ):
        """``roots``: folders to start the engine on (None: the engine is not started here)."""
        super().__init__(**kwargs)
        self.service, self.library, self.settings = service, service.library, settings
        self.roots_to_start = None if roots is None else list(roots)
        self.player = player or Player(settings.tui.audio_device)
        self.clips = ClipCache()
        self.autoplay = settings.tui.autoplay
        self.status_state = StatusState(
            counts=self.library.browse.status_counts(), backends=tuple(settings.engine.backends), autoplay=self.autoplay
        )
        self.feed = LiveFeed(service.events, self.post_message)
        self.writes = LibraryWrites(self)
        self.failures = FailureDigest(FAILURE_TOAST_SECONDS)
        self._last_apply: float | None = None
        self._apply_timer: Timer | None = None
        self._failure_timer: Timer | None = None
        self._playback_timer: Timer | None = None
        self.browser = BrowserScreen(self.library)

    # --- lifecycle ----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.set_keymap(keymap(self.settings.tui))
        self._open_audio()
        self.load_folders()
        self._say_what_is_not_here()
        self.apply_batch(self.feed.start())  # what the engine said before the app ran
        if self.roots_to_start is not None:
            self._start_engine(self.roots_to_start)

    def _say_what_is_not_here(self) -> None:
        """A shared catalog's roots this machine has no path for: their samples are left out."""
        unmapped = self.library.browse.unmapped_roots()
        if unmapped:
            names = ", ".join(f"{name} ({count})" for name, count in sorted(unmapped.items()))
            message = f"Not on this machine, left out: {names}. Map them in [store] roots (soundalike doctor)."
            self.notify(message, title="Shared library", severity="warning", timeout=15)

    def get_default_screen(self) -> BrowserScreen:
        return self.browser

    def on_unmount(self) -> None:
        self.feed.close()
        self.player.close()

    @work(thread=True, group="engine")
    def _start_engine(self, roots: list[str]) -> None:
        try:
            self.service.start(roots, owner=OWNER)
        except SoundalikeError as e:
            log.warning("engine did not start: %s", e, exc_info=True)
            self.call_from_thread(self.notify, str(e), title="Engine", severity="error", timeout=10)
        self.call_from_thread(self.load_folders)

    @work(thread=True, group="audio")
    def _open_audio(self) -> None:
        ok = self.player.open()
        self.call_from_thread(self.set_status, audio="on" if ok else "off")
        if not ok:
            self.call_from_thread(
                self.notify, f"Audition is off: {self.player.reason}", title="Audio", severity="warning", timeout=8
            )

    @work(thread=True, exclusive=True, group="folders")
    def load_folders(self) -> None:
        folders = self.library.browse.folders()
        self.call_from_thread(self._show_folders, folders)

    def _show_folders(self, folders: list[str]) -> None:
        if self.browser in self.screen_stack:
            self.browser.refresh_folders(folders)

    # --- live updates -------------------------------------------------------------------------
    def on_engine_activity(self, message: EngineActivity) -> None:
        """Engine events wait in the feed: apply them now, or APPLY_SECONDS after the last time."""
        wait = 0.0 if self._last_apply is None else self._last_apply + APPLY_SECONDS - self._clock()
        if wait <= 0:
            self._apply_live()
        elif self._apply_timer is None:
            self._apply_timer = self.set_timer(wait, self._apply_live)

    def _apply_live(self) -> None:
        self._apply_timer, self._last_apply = None, self._clock()
        self.apply_batch(self.feed.take())

    def apply_batch(self, batch: Batch) -> None:
        if batch.is_empty():
            return
        changes: dict[str, object] = {}
        if batch.statuses_changed:  # (not for a star: counting every sample's status takes 0.3 s at a million)
            self._count_statuses()
        if batch.progress:
            changes["progress"] = batch.progress
        if batch.bridge_state:
            changes["bridge"] = batch.bridge_state
        self.set_status(**changes)
        for screen in self.screen_stack:
            for message in batch.screen_messages():
                screen.post_message(message)
        if batch.added or batch.roots or (batch.progress and batch.progress.done == batch.progress.total):
            self.load_folders()
        for notice in batch.notices:
            self.notify(notice.message, severity={"info": "information"}.get(notice.level, notice.level))
        self._report_failures(batch.failed)

    def _report_failures(self, failed: list[tuple[str, str]]) -> None:
        if message := self.failures.add(failed, self._clock()):
            self.notify(message, title="Indexing", severity="warning")
        elif self.failures.waiting and self._failure_timer is None:
            self._failure_timer = self.set_timer(FAILURE_TOAST_SECONDS, self._failures_due)

    def _failures_due(self) -> None:
        self._failure_timer = None
        self._report_failures([])

    def _clock(self) -> float:
        return time.monotonic()

    def notify(self, message: str, *, markup: bool = False, **kwargs) -> None:
        """Toasts show their text as written: a path or a hint such as ``soundalike[neural]`` holds
        square brackets that Rich markup would swallow, so markup is off unless asked for."""
        super().notify(message, markup=markup, **kwargs)

    @work(thread=True, exclusive=True, group="status-counts")
    def _count_statuses(self) -> None:
        """The status bar's counts, read on a worker: every sample is counted (at a million, longer
        than a keystroke, and a star is a library change too)."""
        counts = self.library.browse.status_counts()
        self.call_from_thread(self.set_status, counts=counts)

    def set_status(self, **changes) -> None:
        if not changes:
            return
        self.status_state = dataclasses.replace(self.status_state, **changes)
        for screen in self.screen_stack:
            for bar in screen.query(StatusBar):
                bar.set(**changes)

    # --- audition -----------------------------------------------------------------------------
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded and self.player.playing:
            self.player.stop()  # any key stops the sound; the key then does its own job
        await super().on_event(event)

    def cursor_moved(self, sample: SampleRow | None) -> None:
        """The cursor is on ``sample``: it plays when auto-play is on."""
        if self.autoplay:
            self.audition(sample)

    def audition(self, sample: SampleRow | None) -> None:
        """Play ``sample`` now, if it can be played (screens that audition on their own, like the map)."""
        if sample is not None and sample.status == "ok":
            self._play(sample)

    @work(thread=True, exclusive=True, group="play")
    def _play(self, sample: SampleRow) -> None:
        if not self.player.available:
            return
        try:
            decoded = self.clips.get(sample)
            self.player.play(decoded.samples, decoded.sample_rate)
        except SoundalikeError as e:
            log.warning("cannot play %s: %s", sample.path, e, exc_info=True)
            self.call_from_thread(self.notify, f"Couldn't play {Path(sample.path).name}: {e}", severity="error")
            return
        self.call_from_thread(self._now_playing, Path(sample.path).name)

    def _now_playing(self, name: str) -> None:
        """The status bar names the sound until it ends (checked while it plays: PortAudio's
        callback thread must not be made to post messages)."""
        self.set_status(playing=name)
        if self._playback_timer is None:
            self._playback_timer = self.set_interval(PLAYBACK_CHECK_SECONDS, self._check_playback)

    def _check_playback(self) -> None:
        if not self.player.playing and self._playback_timer is not None:
            self.set_status(playing="")
            self._playback_timer.stop()
            self._playback_timer = None

    def action_toggle_autoplay(self) -> None:
        self.autoplay = not self.autoplay
        self.set_status(autoplay=self.autoplay)
        self.notify(f"Auto-play {'on' if self.autoplay else 'off'}", timeout=2)

    # --- the screens ---------------------------------------------------------------------------
    def browsed_folder(self) -> str | None:
        """The folder chosen in the library's tree (results may keep to it), if any."""
        return self.browser.state.folder

    def show_results(self, title: str, loader, query: ResultsQuery | None = None) -> None:
        """One results screen, made once and reused (a new screen per query costs ~100 ms).

        Asked from the results themselves, the new results nest: Esc comes back to these.
        ``query``: what ``loader`` asks, so that the results view can steer it."""
        if not self.is_screen_installed("results"):
            self.install_screen(ResultsScreen(self.library), "results")
        results = self.get_screen("results", ResultsScreen)
        results.load(title, loader, nested=self.screen is results, query=query)
        if self.screen is not results:
            self.push_screen(results)

    def show_kit(self, sample: SampleRow) -> None:
        self.push_screen(KitScreen(self.library, sample))

    def show_map(self, ids: np.ndarray | None, title: str) -> None:
        self.push_screen(MapScreen(self.library, ids, title))

    # --- app-wide keys ------------------------------------------------------------------------
    def action_listen(self) -> None:
        self.notify(f"Recording {self.settings.tui.listen_seconds:g} s: play the sound now…", timeout=3)
        self._listen()

    @work(thread=True, exclusive=True, group="listen")
    def _listen(self) -> None:
        """Record from the system's default input, then search with it."""
        try:
            clip = trimmed(cleaned(record(self.settings.tui.listen_seconds)))
        except InputUnavailable as e:
            self.call_from_thread(self.notify, str(e), title="Listen", severity="warning", timeout=8)
            return
        except SoundalikeError as e:
            self.call_from_thread(self.notify, f"Nothing to search with: {e}", title="Listen", severity="warning")
            return
        wave = render(clip.audio, 24, 1)[0]
        library, k = self.library, self.settings.tui.results
        title = f"recording {clip.seconds * 1000:.0f} ms {wave}"
        self.call_from_thread(
            self.show_results,
            title,
            lambda: library.similar(SimilarQuery(clip.audio, k=k, sample_rate=clip.sample_rate, collapse=False)).hits,
        )

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.settings.tui))
