"""The app's explore-by-ear actions (issue 18): the kit screen, the drum map and listening.

A mixin of :class:`tui.app.SoundalikeApp`, kept apart so the app module stays about browsing.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from textual import work

from engine.errors import SoundalikeError
from engine.recording import InputUnavailable, cleaned, record, trimmed
from tui.screens.browser import BrowserScreen
from tui.screens.kit import KitScreen
from tui.screens.map import MapScreen
from tui.screens.results import ResultsScreen
from tui.waveform import render

log = logging.getLogger(__name__)


class ExploreActions:
    """Needs ``library``, ``settings``, ``screen``, ``current_sample()``, ``show_results()`` and ``notify``."""

    def audition(self, sample) -> None:
        """Play ``sample`` now (screens that audition on their own, like the map)."""
        if sample is not None and sample.status == "ok":
            self._play(sample)

    def action_kit(self) -> None:
        sample = self.current_sample()
        if sample is None or isinstance(self.screen, KitScreen):
            return
        if sample.status != "ok":
            self.notify(f"{Path(sample.path).name} is not indexed ({sample.status})", severity="warning")
            return
        self.push_screen(KitScreen(self.library, sample))

    def action_drum_map(self) -> None:
        if isinstance(self.screen, MapScreen):
            return
        ids, title = self._map_scope()
        self.push_screen(MapScreen(self.library, ids, title))

    def _map_scope(self) -> tuple[np.ndarray | None, str]:
        """The results on screen, else the browser's filtered listing, else the whole library."""
        screen = self.screen
        if isinstance(screen, ResultsScreen) and screen.hits:
            return np.array([hit.sample.id for hit in screen.hits], np.int64), screen.title_text or "results"
        if isinstance(screen, BrowserScreen):
            query = screen.state.query(self.settings.tui)
            where, _ = query.where()
            if where:  # a filtered listing: its ids; none filters means the whole library
                ids = self.library.browse.matching_ids(query)
                return np.array(ids, np.int64), screen.state.describe() or "filtered samples"
        return None, "the library"

    def action_listen(self) -> None:
        self.notify(f"Recording {self.settings.tui.listen_seconds:g} s: play the sound now…", timeout=3)
        self._listen()

    @work(thread=True, exclusive=True, group="listen")
    def _listen(self) -> None:
        try:
            clip = trimmed(cleaned(record(self.settings.tui.listen_seconds)))  # the system's default input
        except InputUnavailable as e:
            self.call_from_thread(self.notify, str(e), title="Listen", severity="warning", timeout=8)
            return
        except SoundalikeError as e:
            self.call_from_thread(self.notify, f"Nothing to search with: {e}", title="Listen", severity="warning")
            return
        wave = render(clip.audio, 24, 1)[0]
        k = self.settings.tui.results
        title = f"recording {clip.seconds * 1000:.0f} ms {wave}"
        self.call_from_thread(self.show_results, title,
                              lambda: self.library.similar(clip.audio, k=k, sample_rate=clip.sample_rate))

