"""The app's explore-by-ear actions (issue 18): the kit screen, the drum map and listening.

A mixin of :class:`soundalike.tui.app.SoundalikeApp`, kept apart so the app module stays about browsing.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from soundalike.engine.errors import SoundalikeError
from soundalike.engine.library.browse import SampleRow
from soundalike.engine.library.query import SimilarQuery
from soundalike.engine.pipeline.recording import InputUnavailable, cleaned, record, trimmed
from soundalike.tui.host import AppHost
from soundalike.tui.screens.browser import BrowserScreen
from soundalike.tui.screens.kit import KitScreen
from soundalike.tui.screens.map import MapScreen
from soundalike.tui.screens.results import ResultsScreen
from soundalike.tui.widgets.waveform import render

log = logging.getLogger(__name__)


class ExploreActions:
    """What it needs of the app is :class:`soundalike.tui.host.AppHost`."""

    def audition(self: AppHost, sample: SampleRow | None) -> None:
        """Play ``sample`` now (screens that audition on their own, like the map)."""
        if sample is not None and sample.status == "ok":
            self._play(sample)

    def action_kit(self: AppHost) -> None:
        sample = self.current_sample()
        if sample is None or isinstance(self.screen, KitScreen):
            return
        if sample.status != "ok":
            self.notify(f"{Path(sample.path).name} is not indexed ({sample.status})", severity="warning")
            return
        self.push_screen(KitScreen(self.library, sample))

    def action_drum_map(self: AppHost) -> None:
        if isinstance(self.screen, MapScreen):
            return
        ids, title = map_scope(self)
        self.push_screen(MapScreen(self.library, ids, title))

    def action_listen(self: AppHost) -> None:
        self.notify(f"Recording {self.settings.tui.listen_seconds:g} s: play the sound now…", timeout=3)
        self.run_worker(lambda: listen(self), thread=True, exclusive=True, group="listen")


def map_scope(app: AppHost) -> tuple[np.ndarray | None, str]:
    """The results on screen, else the browser's filtered listing, else the whole library."""
    screen = app.screen
    if isinstance(screen, ResultsScreen) and screen.hits:
        return np.array([hit.sample.id for hit in screen.hits], np.int64), screen.title_text or "results"
    if isinstance(screen, BrowserScreen):
        query = screen.state.query(app.settings.tui)
        where, _ = query.where()
        if where:  # a filtered listing: its ids; none filters means the whole library
            ids = app.library.browse.matching_ids(query)
            return np.array(ids, np.int64), screen.state.describe() or "filtered samples"
    return None, "the library"


def listen(app: AppHost) -> None:
    """Record from the system's default input, then search with it (on a worker thread)."""
    try:
        clip = trimmed(cleaned(record(app.settings.tui.listen_seconds)))
    except InputUnavailable as e:
        app.call_from_thread(app.notify, str(e), title="Listen", severity="warning", timeout=8)
        return
    except SoundalikeError as e:
        app.call_from_thread(app.notify, f"Nothing to search with: {e}", title="Listen", severity="warning")
        return
    wave = render(clip.audio, 24, 1)[0]
    library, k = app.library, app.settings.tui.results
    title = f"recording {clip.seconds * 1000:.0f} ms {wave}"
    app.call_from_thread(app.show_results, title,
                         lambda: library.similar(SimilarQuery(clip.audio, k=k, sample_rate=clip.sample_rate,
                                                              collapse=False)).hits)

