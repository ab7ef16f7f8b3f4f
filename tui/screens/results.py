"""Results of "similar to" or a text query: ranked samples with scores, and the detail pane.

One instance is made and reused for every query (building a screen costs more than a keystroke
may); the list is the same virtual SampleList as the browser's, over the hits. A query asked from
the results themselves (``s`` on a hit) nests: the results it replaces are kept, and Esc goes back
to them one level at a time, the cursor on the row it was on, before it leaves for the library.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from rich.cells import cell_len
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


@dataclass(frozen=True)
class ResultsView:
    """Results as they were on screen, to go back to: what was asked, the hits, where the cursor was."""

    title: str
    source: HitSource
    cursor: int
    top: int


def breadcrumb(outer: list[str], current: str, width: int) -> str:
    """``current`` after the trail of the results Esc goes back to, within ``width`` cells when it
    can be: the oldest give way to "…" first (which stays, to say there is somewhere to go back to)."""
    for kept in range(len(outer), -1, -1):
        line = " › ".join((["…"] if kept < len(outer) else []) + outer[len(outer) - kept:] + [current])
        if cell_len(line) <= width:
            break
    return line


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
        self.outer: list[ResultsView] = []  # the results Esc goes back to, the nearest last
        self._shown: str | None = None  # the title of the results on screen (None: none yet)
        self._pending = False  # a query is running; what is on screen was kept when it started
        self._generation = 0  # bumped per query and per step back, so a late answer never lands
        self._title_now: tuple[str, str] = ("", "")  # the title line's text and style, before the trail

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
        self._title(*self._title_now)

    def load(self, title: str, loader: Loader, nested: bool = False) -> None:
        """Show the results of ``loader`` (run on a worker thread) under ``title``.

        ``nested``: asked from these results, which Esc then comes back to; otherwise a fresh start.
        """
        if not nested:
            self.outer.clear()
        elif self._shown is not None and not self._pending:
            lst = self.query_one(SampleList)
            self.outer.append(ResultsView(self._shown, lst.source, lst.cursor, int(lst.scroll_offset.y)))
        self.title_text, self.loader = title, loader
        if self._ready:
            self._start()

    def back(self) -> bool:
        """Esc: back to the results these replaced (True), or False when there are none."""
        if not self.outer:
            return False
        self._generation += 1  # a query still running is dropped
        self._pending = False
        self.workers.cancel_group(self, "results")
        view = self.outer.pop()
        view.source.refresh()  # a favourite or a status may have changed meanwhile
        self.title_text, self.loader = view.title, None
        self.query_one(SampleList).restore(view.source, view.cursor, view.top)
        self.query_one(SampleList).focus()
        self._show_title(view.title, view.source.count)
        return True

    def _start(self) -> None:
        self._generation += 1
        self._pending = True
        self._title(f"{self.title_text} — searching…")
        self.query_one(SampleList).focus()
        self._load(self.loader, self._generation)

    @work(thread=True, exclusive=True, group="results")
    def _load(self, loader: Loader, generation: int) -> None:
        try:
            hits, error = loader(), None
        except SoundalikeError as e:
            log.warning("query failed: %s: %s", self.title_text, e, exc_info=True)
            hits, error = [], str(e)
        source = HitSource(self.library.catalog, hits, self.app.settings.tui.tag_min_score)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, source, error, generation)

    def _show(self, source: HitSource, error: str | None, generation: int) -> None:
        if generation != self._generation:
            return  # a newer query, or a step back, came since
        self._pending = False
        self.query_one(SampleList).restore(source, 0, 0)  # new results: from the best match
        self._shown = self.title_text
        if error:
            self._title(f"{self.title_text} — {error}", style="red")
            self.app.notify(error, title="Search failed", severity="error")
        else:
            self._show_title(self.title_text, source.count)

    def _show_title(self, title: str, count: int) -> None:
        self._shown = title
        self._title(f"{title} — {count} results  (Esc: back)")

    def _title(self, text: str, style: str = "") -> None:
        """The title line, after the trail of the results Esc goes back to."""
        self._title_now = (text, style)
        title = self.query_one("#title", Static)
        width = title.content_region.width or self.app.size.width - 2  # before the first layout
        title.update(Text(breadcrumb([view.title for view in self.outer], text, width), style=style))

    def on_sample_list_highlighted(self, event: SampleList.Highlighted) -> None:
        sample = event.sample
        musical = self.library.musical_of([sample.id]).get(sample.id) if sample else None
        self.query_one(DetailPane).show(sample, self.library.tags(sample.id) if sample else {}, musical)
        self.app.cursor_moved(sample)

    def current_sample(self) -> SampleRow | None:
        return self.query_one(SampleList).current

    def apply_batch(self, batch: Batch) -> None:
        if any(hit.sample.id in batch.changed_ids for hit in self.hits):
            self.query_one(SampleList).reload()

    def refresh_sample(self, sample_id: int) -> None:
        self.query_one(SampleList).reload()
