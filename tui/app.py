"""The soundalike terminal app: browse, search and audition a library from the keyboard, live.

The app runs over one EngineService in the same process: queries go to ``service.library``,
live updates come from ``service.events`` through an EventPump drained a few times a second.
"""
from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from textual import events, work
from textual.app import App

from engine.library_browse import SampleRow
from engine.config import Settings
from engine.errors import SoundalikeError, UserError
from engine.service import EngineService
from tui.audio import Player
from tui.clipboard import copy_with_tool
from tui.clips import ClipCache
from tui import results_query
from tui.explore import ExploreActions
from tui.keeping import KeepingActions
from tui.keys import LIST_ACTIONS, bindings, keymap, keys_for, pretty
from tui.live import Batch, EventPump
from tui.results_query import ResultsQuery
from tui.screens.browser import BrowserScreen
from tui.screens.help import HelpScreen
from tui.screens.results import ResultsScreen
from tui.screens.tag_picker import TagPicker
from tui.status_bar import StatusBar, StatusState

log = logging.getLogger(__name__)

#: Engine events are applied at most this often (seconds): bursts coalesce into one refresh.
DRAIN_SECONDS = 0.2
FAILURE_TOAST_SECONDS = 5.0
#: Cycles that only the results view has.
RESULTS_ONLY = frozenset({"scope", "aspect", "collapse"})


class SoundalikeApp(KeepingActions, ExploreActions, App):
    TITLE = "soundalike"
    BINDINGS = bindings(exclude=LIST_ACTIONS)
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
        self.pump = EventPump(service.events)
        self._last_failure_toast = 0.0
        self._failures_unreported: list[tuple[str, str]] = []

    # --- lifecycle ----------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.set_keymap(keymap(self.settings.tui))
        self.set_interval(DRAIN_SECONDS, self.drain_events)
        self._open_audio()
        self._load_folders()
        if self.roots_to_start is not None:
            self._start_engine(self.roots_to_start)

    def get_default_screen(self) -> BrowserScreen:
        return BrowserScreen(self.library)

    def on_unmount(self) -> None:
        self.pump.close()
        self.player.close()

    @work(thread=True, group="engine")
    def _start_engine(self, roots: list[str]) -> None:
        try:
            self.service.start(roots)
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
    def drain_events(self) -> None:
        if self.status_state.playing and not self.player.playing:
            self.set_status(playing="")
        batch = self.pump.drain()
        if batch.is_empty():
            return
        self.apply_batch(batch)

    def apply_batch(self, batch: Batch) -> None:
        changes = {}
        if batch.library_changed:
            changes["counts"] = self.library.browse.status_counts()
        if batch.progress:
            changes["progress"] = batch.progress
        if batch.bridge_state:
            changes["bridge"] = batch.bridge_state
        self.set_status(**changes)
        for screen in self.screen_stack:
            if hasattr(screen, "apply_batch"):
                screen.apply_batch(batch)
        if batch.added or batch.roots or (batch.progress and batch.progress.done == batch.progress.total):
            self._load_folders()
        for notice in batch.notices:
            self.notify(notice.message, severity={"info": "information"}.get(notice.level, notice.level))
        self._report_failures(batch.failed)

    def _report_failures(self, failed: list[tuple[str, str]]) -> None:
        self._failures_unreported += failed
        now = self._clock()
        if not self._failures_unreported or now - self._last_failure_toast < FAILURE_TOAST_SECONDS:
            return
        path, reason = self._failures_unreported[0]
        count, self._failures_unreported = len(self._failures_unreported), []
        self._last_failure_toast = now
        name = Path(path).name
        message = (f"Couldn't index {name}: {reason}" if count == 1 else
                   f"{count} files couldn't be indexed, e.g. {name}: {reason}. The status filter (e) lists them.")
        self.notify(message, title="Indexing", severity="warning")
        log.warning("%d files failed to index; first: %s: %s", count, path, reason)

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
        getter = getattr(self.screen, "current_sample", None)
        return getter() if getter else None

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
        self.call_from_thread(self.set_status, playing=Path(sample.path).name)

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
        results = self.get_screen("results")
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
        log.info("text search unavailable: %s", why)
        self.notify(f"{why.rstrip('.')}. Filtering by name and tag instead.",
                    title="Search", severity="warning", timeout=6)

    # --- keeping ------------------------------------------------------------------------------
    def action_favourite(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        self.library.set_favourite(sample.id, not sample.favourite)
        refresh = getattr(self.screen, "refresh_sample", None)
        if refresh:
            refresh(sample.id)

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

    def action_back(self) -> None:
        if isinstance(self.screen, BrowserScreen):
            self.screen.close_search()
        elif isinstance(self.screen, ResultsScreen) and (self.screen.close_search() or self.screen.back()):
            return  # the words box closed, or nested results: back to the ones they replaced
        elif len(self.screen_stack) > 1:
            self.pop_screen()

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.settings.tui))
