"""Results of "similar to" or a text query: ranked samples with scores, and the detail pane.

One instance is made and reused for every query (building a screen costs more than a keystroke
may); the list is the same virtual SampleList as the browser's, over the hits.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import get_current_worker

from engine.catalog import SampleRow
from engine.errors import SoundalikeError
from engine.library import Hit, Library
from tui.detail import DetailPane
from tui.key_hints import KeyHints
from tui.live import Batch
from tui.rows import HitSource
from tui.sample_list import SampleList, header_text
from tui.status_bar import StatusBar

log = logging.getLogger(__name__)

Loader = Callable[[], list[Hit]]


class ResultsScreen(Screen):
    DEFAULT_CSS = """
    ResultsScreen #title { height: 1; background: $boost; padding: 0 1; text-style: bold; }
    ResultsScreen #results-header { height: 1; color: $text-muted; text-style: bold; }
    """

    def __init__(self, library: Library, **kwargs):
        super().__init__(**kwargs)
        self.library = library
        self.title_text, self.loader = "", None
        self._ready = False

    @property
    def hits(self) -> list[Hit]:
        return self.query_one(SampleList).source.hits if self._ready else []

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="results-header")
        yield SampleList(HitSource(self.library.catalog, []), id="results")
        yield DetailPane(self.app.clips, id="detail")
        yield StatusBar(self.app.status_state)
        yield KeyHints(self.app.settings.tui)

    def on_mount(self) -> None:
        self._ready = True
        if self.loader is not None:
            self._start()

    def on_resize(self) -> None:
        width = self.query_one(SampleList).scrollable_content_region.width
        self.query_one("#results-header", Static).update(header_text(width, scored=True))

    def load(self, title: str, loader: Loader) -> None:
        """Show the results of ``loader`` (run on a worker thread) under ``title``."""
        self.title_text, self.loader = title, loader
        if self._ready:
            self._start()

    def _start(self) -> None:
        self.query_one("#title", Static).update(Text(f"{self.title_text} — searching…"))
        self.query_one(SampleList).focus()
        self._load()

    @work(thread=True, exclusive=True, group="results")
    def _load(self) -> None:
        try:
            hits, error = self.loader(), None
        except SoundalikeError as e:
            log.warning("query failed: %s: %s", self.title_text, e, exc_info=True)
            hits, error = [], str(e)
        source = HitSource(self.library.catalog, hits, self.app.settings.tui.tag_min_score)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, source, error)

    def _show(self, source: HitSource, error: str | None) -> None:
        self.query_one(SampleList).reload(source)
        title = self.query_one("#title", Static)
        if error:
            title.update(Text(f"{self.title_text} — {error}", style="red"))
            self.app.notify(error, title="Search failed", severity="error")
        else:
            title.update(Text(f"{self.title_text} — {source.count} results  (Esc: back)"))

    def on_sample_list_highlighted(self, event: SampleList.Highlighted) -> None:
        sample = event.sample
        self.query_one(DetailPane).show(sample, self.library.tags(sample.id) if sample else {})
        self.app.cursor_moved(sample)

    def current_sample(self) -> SampleRow | None:
        return self.query_one(SampleList).current

    def apply_batch(self, batch: Batch) -> None:
        if any(hit.sample.id in batch.changed_ids for hit in self.hits):
            self.query_one(SampleList).reload()

    def refresh_sample(self, sample_id: int) -> None:
        self.query_one(SampleList).reload()
