"""The soundalike terminal app: browse, search and audition a library from the keyboard, live.

The app runs over one EngineService in the same process: queries go to ``service.library``,
live updates come from ``service.events`` as Textual messages (:mod:`soundalike.tui.live`): a burst of engine
events is one :class:`~soundalike.tui.live.EngineActivity`, applied at most every APPLY_SECONDS, and told to
the screens as :class:`~soundalike.tui.live.SamplesChanged` and :class:`~soundalike.tui.live.BridgeNews`.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App
from textual.timer import Timer

from soundalike.engine.config import Settings
from soundalike.engine.errors import SoundalikeError, UserError
from soundalike.engine.library.browse import SampleRow
from soundalike.engine.live.service import EngineService
from soundalike.tui import results_query
from soundalike.tui.clipboard import copy_with_tool
from soundalike.tui.explore import ExploreActions
from soundalike.tui.host import AppHost
from soundalike.tui.keeping import KeepingActions
from soundalike.tui.keys import BROWSER_ACTIONS, LIST_ACTIONS, bindings, keymap, keys_for, pretty
from soundalike.tui.live import Batch, EngineActivity, FailureDigest, LiveFeed
from soundalike.tui.results_query import ResultsQuery
from soundalike.tui.screens.base import AppScreen
from soundalike.tui.screens.browser import BrowserScreen
from soundalike.tui.screens.help import HelpScreen
from soundalike.tui.screens.results import ResultsScreen
from soundalike.tui.screens.tag_picker import TagPicker
from soundalike.tui.sound.audio import Player
from soundalike.tui.sound.clips import ClipCache
from soundalike.tui.widgets.status_bar import StatusBar, StatusState
from soundalike.tui.writes import LibraryWrites, toggle_favourite

log = logging.getLogger(__name__)

#: Engine events are applied at most this often (seconds): bursts coalesce into one refresh.
APPLY_SECONDS = 0.2
#: While a sound plays, how often the status bar checks whether it has ended.
PLAYBACK_CHECK_SECONDS = 0.2
FAILURE_TOAST_SECONDS = 5.0
#: How another process (``soundalike index`` while the app is open) names the app that owns the library.
OWNER = "the soundalike app"
#: Cycles that only the results view has.
RESULTS_ONLY = frozenset({"scope", "aspect", "collapse"})


class SoundalikeApp(KeepingActions, ExploreActions, App):
    TITLE = "soundalike"
    BINDINGS = bindings(exclude=LIST_ACTIONS | BROWSER_ACTIONS)
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, service: EngineService, settings: Settings, roots: Sequence[str] | None = None,
                 player: Player | None = None, **kwargs):
        """``roots``: folders to start the engine on (None: the engine is not started here)."""
        super().__init__(**kwargs)
        self.service, self.library, self.settings = service, service.library, settings
        self.roots_to_start = None if roots is None else list(roots)
        self.player = player or Player(settings.tui.audio_device)
        self.clips = ClipCache()
        self.autoplay = settings.tui.autoplay
        self.status_state = StatusState(counts=self.library.browse.status_counts(),
                                        backends=tuple(settings.engine.backends), autoplay=self.autoplay)
        self.feed = LiveFeed(service.events, self.post_message)
        self.writes = LibraryWrites(self)
        self.failures = FailureDigest(FAILURE_TOAST_SECONDS)
        self._last_apply: float | None = None
        self._apply_timer: Timer | None = None
        self._failure_timer: Timer | None = None
        self._playback_timer: Timer | None = None
        self._told_no_text_search = False

    # --- lifecycle ----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.set_keymap(keymap(self.settings.tui))
        self._open_audio()
        self._load_folders()
        self.apply_batch(self.feed.start())  # what the engine said before the app ran
        if self.roots_to_start is not None:
            self._start_engine(self.roots_to_start)

    def get_default_screen(self) -> BrowserScreen:
        return BrowserScreen(self.library)

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
        self.call_from_thread(self._load_folders)

    @work(thread=True, group="audio")
    def _open_audio(self) -> None:
        ok = self.player.open()
        self.call_from_thread(self.set_status, audio="on" if ok else "off")
        if not ok:
            self.call_from_thread(self.notify, f"Audition is off: {self.player.reason}", title="Audio",
                                  severity="warning", timeout=8)

    @work(thread=True, exclusive=True, group="folders")
    def _load_folders(self) -> None:
        folders = self.library.browse.folders()
        self.call_from_thread(self._show_folders, folders)

    def _show_folders(self, folders: list[str]) -> None:
        for screen in self.screen_stack:
            if isinstance(screen, BrowserScreen):
                screen.refresh_folders(folders)

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
        if batch.library_changed:
            changes["counts"] = self.library.browse.status_counts()
        if batch.progress:
            changes["progress"] = batch.progress
        if batch.bridge_state:
            changes["bridge"] = batch.bridge_state
        self.set_status(**changes)
        for screen in self.screen_stack:
            for message in batch.screen_messages():
                screen.post_message(message)
        if batch.added or batch.roots or (batch.progress and batch.progress.done == batch.progress.total):
            self._load_folders()
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
        if self.autoplay and sample is not None and sample.status == "ok":
            self._play(sample)

    def current_sample(self) -> SampleRow | None:
        return self.screen.current_sample() if isinstance(self.screen, AppScreen) else None

    def action_play(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        if sample.status != "ok":
            self.notify(f"Can't play {Path(sample.path).name}: {sample.status} ({sample.reason})", severity="warning")
            return
        if not self.player.available:
            self.notify(f"Audition is off: {self.player.reason}", severity="warning")
            return
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

    # --- finding ------------------------------------------------------------------------------
    def action_similar(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        if sample.status != "ok":
            self.notify(f"{Path(sample.path).name} is not indexed ({sample.status}: {sample.reason})",
                        severity="warning")
            return
        browser = self._browser()
        query = ResultsQuery(f"similar to {Path(sample.path).name}", sample=sample, k=self.settings.tui.results,
                             browsed=browser.state.folder if browser is not None else None)
        library, settings = self.library, self.settings.tui
        self.show_results(query.title, lambda: results_query.run(library, query, settings), query)

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

    def action_search(self) -> None:
        if isinstance(self.screen, (BrowserScreen, ResultsScreen)):
            self.screen.open_search()

    def text_search(self, text: str) -> None:
        """A text query (needs a text-capable backend); else the name/tag filter stays, with a note."""
        self._run_text_search(text)

    @work(thread=True, exclusive=True, group="text-search")
    def _run_text_search(self, text: str) -> None:
        browser = self._browser()
        query = ResultsQuery(f"“{text}”", text=text, k=self.settings.tui.results,
                             browsed=browser.state.folder if browser is not None else None)
        try:
            groups = results_query.run(self.library, query, self.settings.tui)
        except UserError as e:
            self.call_from_thread(self._text_search_unavailable, str(e))
            return
        except (SoundalikeError, ValueError) as e:
            self.call_from_thread(self.notify, f"Text search failed: {e}", severity="error")
            return
        self.call_from_thread(self._show_text_results, query, groups)

    def _show_text_results(self, query: ResultsQuery, groups) -> None:
        browser = self._browser()
        if browser is not None:
            browser.clear_search()
        self.show_results(query.title, lambda: groups, query)

    def _text_search_unavailable(self, why: str) -> None:
        """The whole reason (how to get a text model) the first time; after that, one line."""
        log.info("text search unavailable: %s", why)
        if self._told_no_text_search:
            self.notify("No text model: filtered by name and tag.", title="Search", timeout=3)
            return
        self._told_no_text_search = True
        self.notify(f"{why.rstrip('.')}. Filtering by name and tag instead.",
                    title="Search", severity="warning", timeout=6)

    # --- keeping ------------------------------------------------------------------------------
    def action_favourite(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        library, sample_id = self.library, sample.id
        self.writes.submit(f"{'unstar' if sample.favourite else 'star'} {Path(sample.path).name}",
                           lambda: toggle_favourite(library, sample_id), lambda _: self.refresh_sample(sample_id))

    def refresh_sample(self, sample_id: int) -> None:
        """A sample changed from here (a star): the screen in front shows it again now."""
        if isinstance(self.screen, AppScreen):
            self.screen.refresh_sample(sample_id)

    def action_copy_path(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        self.copy_to_clipboard(sample.path)
        how = "" if copy_with_tool(sample.path) else " (through the terminal)"
        self.notify(f"Copied {sample.path}{how}", timeout=3)

    # --- filters and panels -------------------------------------------------------------------
    def _browser(self) -> BrowserScreen | None:
        return next((s for s in self.screen_stack if isinstance(s, BrowserScreen)), None)

    def _on_browser(self) -> BrowserScreen | None:
        """The browser when it is the screen in front (filters only act there)."""
        return self.screen if isinstance(self.screen, BrowserScreen) else None

    def _filterable(self) -> BrowserScreen | ResultsScreen | None:
        """The library or the results, when in front: the filter keys act on either."""
        return self.screen if isinstance(self.screen, (BrowserScreen, ResultsScreen)) else None

    def action_cycle(self, what: str) -> None:
        target = self._filterable()
        if isinstance(target, BrowserScreen) and what in RESULTS_ONLY:
            self.notify(f"That key steers results: press {self._first_key('similar')} on a sample first",
                        timeout=3)
        elif target is not None:
            target.cycle(what)

    def _first_key(self, name: str) -> str:
        return pretty(keys_for(self.settings.tui, name)[0])

    def action_fit_musically(self) -> None:
        if browser := self._on_browser():
            browser.fit_current()

    def action_clear_filters(self) -> None:
        if target := self._filterable():
            target.clear_filters()

    def action_filter_tag(self) -> None:
        target = self._filterable()
        if target is None:
            return
        tags = self.library.browse.tag_counts(self.settings.tui.tag_min_score)
        if not tags:
            self.notify("No tags yet: the enabled backends give none, or nothing is indexed", timeout=4)
            return
        self.push_screen(TagPicker(tags, target.state.tag), target.set_tag)

    def _on_results(self) -> ResultsScreen | None:
        if isinstance(self.screen, ResultsScreen):
            return self.screen
        self.notify(f"That key works in results: press {self._first_key('similar')} on a sample first", timeout=3)
        return None

    def action_sort(self) -> None:
        if results := self._on_results():
            results.cycle_sort()
        elif browser := self._on_browser():
            browser.cycle("sort")

    def action_toggle_columns(self) -> None:
        if target := self._filterable():
            target.toggle_columns()

    def action_toggle_group(self) -> None:
        if results := self._on_results():
            results.toggle_group()

    def action_toggle_bridge(self) -> None:
        if browser := self._on_browser():
            browser.toggle_bridge()

    async def action_back(self) -> None:  # async as App's own, which it replaces
        if isinstance(self.screen, BrowserScreen):
            self.screen.close_search()
        elif isinstance(self.screen, ResultsScreen) and (self.screen.close_search() or self.screen.back()):
            return  # the words box closed, or nested results: back to the ones they replaced
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.tui))


if TYPE_CHECKING:
    def _provides_what_the_mixins_use(app: SoundalikeApp) -> AppHost:  # checked by mypy, never run
        return app
