"""Results of "similar to" or a text query: ranked samples with scores, and the detail pane.

One instance is made and reused for every query (building a screen costs more than a keystroke
may); the list is the same virtual SampleList as the browser's, over the hits. A query asked from
the results themselves (``s`` on a hit) nests: the results it replaces are kept, and Esc goes back
to them one level at a time, the cursor on the row it was on, before it leaves for the library.

Results asked as a ``ResultsQuery`` can be steered from here: the library's filter keys
(duration, kind, tag, favourites, status, and ``/`` for words) narrow them, the scope key leaves
out the query's own pack or folder, the aspect key weighs timbre / envelope / pitch, the sort key
orders them, and copies and velocity layers fold into one row (opened with the expand key).
Moving past the last row reads the next page, so any number of results can be paged through.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.timer import Timer
from textual.widgets import Input, Static
from textual.worker import get_current_worker

from soundalike.engine.errors import SoundalikeError
from soundalike.engine.library.collapse import Folded, Group, Own
from soundalike.engine.library.facade import Hit, Library
from soundalike.tui import format as fmt
from soundalike.tui import results_query
from soundalike.tui.filters import FilterState
from soundalike.tui.keys import bindings
from soundalike.tui.live import SamplesChanged
from soundalike.tui.results_query import ResultsQuery
from soundalike.tui.rows import GroupSource
from soundalike.tui.screens.base import sample_facts
from soundalike.tui.screens.listing import ListingScreen
from soundalike.tui.widgets.columns import SORTS, next_sort
from soundalike.tui.widgets.detail import DetailPane
from soundalike.tui.widgets.key_hints import KeyHints
from soundalike.tui.widgets.sample_list import SampleList, header_text
from soundalike.tui.widgets.status_bar import StatusBar

log = logging.getLogger(__name__)

Loader = Callable[[], "list[Hit] | list[Group] | Folded"]
SEARCH_DEBOUNCE_SECONDS = 0.15


@dataclass(frozen=True)
class ResultsView:
    """Results as they were on screen, to go back to: what was asked, the hits, where the cursor was."""

    title: str
    source: GroupSource
    cursor: int
    top: int
    asked: ResultsQuery | None = None


def as_groups(found) -> list[Group]:
    """A loader's answer as groups: a ``Folded`` or another list of groups, or a list of hits."""
    return [item if isinstance(item, Group) else Group(item) for item in found]


def breadcrumb(outer: list[str], current: str, width: int) -> str:
    """``current`` after the trail of the results Esc goes back to, within ``width`` cells when it
    can be: the oldest give way to "…" first (which stays, to say there is somewhere to go back to)."""
    for kept in range(len(outer), -1, -1):
        line = " › ".join((["…"] if kept < len(outer) else []) + outer[len(outer) - kept :] + [current])
        if cell_len(line) <= width:
            break
    return line


class ResultsScreen(ListingScreen):
    BINDINGS = bindings(
        "search",
        "duration",
        "kind",
        "favourites_only",
        "status",
        "clear",
        "expand",
        "collapse",
        "scope",
        "aspect",
        "sort",
    )
    DEFAULT_CSS = """
    ResultsScreen #title { height: 1; background: $boost; padding: 0 1; text-style: bold; }
    ResultsScreen #results-header { height: 1; color: $text-muted; text-style: bold; }
    ResultsScreen #results-search { display: none; height: 1; border: none; padding: 0 1; background: $boost; }
    ResultsScreen #results-search.shown { display: block; }
    """

    def __init__(self, library: Library, **kwargs):
        super().__init__(**kwargs)
        self.library = library
        self.title_text = ""
        self.loader: Loader | None = None
        self._ready = False
        self.outer: list[ResultsView] = []  # the results Esc goes back to, the nearest last
        self._shown: str | None = None  # the title of the results on screen (None: none yet)
        self._pending = False  # a query is running; what is on screen was kept when it started
        self._generation = 0  # bumped per query and per step back, so a late answer never lands
        self._own = Own()  # the query's own copies and layers, said once in the title
        self._title_now: tuple[str, str] = ("", "")  # the title line's text and style, before the trail
        self.asked: ResultsQuery | None = None  # what was asked, when it can be steered from here
        self._keep_cursor: tuple[int, int] | None = None  # (cursor, top) kept while more results load
        self._search_timer: Timer | None = None

    @property
    def hits(self) -> list[Hit]:
        return self._source().hits if self._ready else []

    def _source(self) -> GroupSource:
        source = self.query_one(SampleList).source
        assert isinstance(source, GroupSource), "the results list shows groups"
        return source

    @property
    def settings(self):
        return self.app.settings.tui

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Input(placeholder="narrow the results by name or tag; Esc clears", id="results-search")
        yield Static("", id="results-header")
        yield SampleList(GroupSource(self.library.browse, []), id="results")
        yield DetailPane(self.app.clips, id="detail")
        yield StatusBar(self.app.status_state)
        yield KeyHints(self.app.settings.tui)

    def on_mount(self) -> None:
        self._ready = True
        if self.loader is not None:
            self._start()

    def on_resize(self) -> None:
        self.show_header()
        self._title(*self._title_now)

    def show_header(self) -> None:
        lst = self.query_one(SampleList)
        width = lst.scrollable_content_region.width
        self.query_one("#results-header", Static).update(Text(header_text(width, scored=True, extra=lst.extra)))

    def load(self, title: str, loader: Loader, nested: bool = False, query: ResultsQuery | None = None) -> None:
        """Show the results of ``loader`` (run on a worker thread) under ``title``.

        ``nested``: asked from these results, which Esc then comes back to; otherwise a fresh start.
        ``query``: what the loader asks, so that the keys here can steer it (re-asked with changes).
        """
        if not nested:
            self.outer.clear()
        elif self._shown is not None and not self._pending:
            lst = self.query_one(SampleList)
            self.outer.append(
                ResultsView(self._shown, self._source(), lst.cursor, int(lst.scroll_offset.y), self.asked)
            )
        self.title_text, self.loader, self.asked = title, loader, query
        self._keep_cursor = None
        self._close_search()
        if self._ready:
            self._start()

    def steer(self, query: ResultsQuery, keep_cursor: bool = False) -> None:
        """Ask again with ``query`` (a changed filter, scope, aspect, size or folding), in place."""
        if query == self.asked:
            return
        lst = self.query_one(SampleList)
        self._keep_cursor = (lst.cursor, int(lst.scroll_offset.y)) if keep_cursor else None
        self.asked, self.title_text = query, query.title
        self.loader = self._query_loader(query)
        self._start()

    def _query_loader(self, query: ResultsQuery) -> Loader:
        library, settings = self.library, self.settings
        return lambda: results_query.run(library, query, settings)

    def back(self) -> bool:
        """Esc: back to the results these replaced (True), or False when there are none."""
        if not self.outer:
            return False
        self._generation += 1  # a query still running is dropped
        self._pending = False
        self.workers.cancel_group(self, "results")
        view = self.outer.pop()
        view.source.refresh()  # a favourite or a status may have changed meanwhile
        self.title_text, self.loader, self.asked = view.title, None, view.asked
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
            found = loader()
            groups, error, self._own = as_groups(found), None, found.own if isinstance(found, Folded) else Own()
            source = self._group_source(groups)  # reads the hits' tags: a catalog out of reach fails here too
        except (SoundalikeError, ValueError) as e:
            log.warning("query failed: %s: %s", self.title_text, e, exc_info=True)
            error, self._own = str(e), Own()
            source = self._group_source([])
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, source, error, generation)

    def _group_source(self, groups: list) -> GroupSource:
        old = self.query_one(SampleList).source
        return GroupSource(
            self.library.browse,
            groups,
            self.settings.tag_min_score,
            sort=getattr(old, "sort", "score"),
            expanded=frozenset(getattr(old, "expanded", ())),
        )

    def _show(self, source: GroupSource, error: str | None, generation: int) -> None:
        if generation != self._generation:
            return  # a newer query, or a step back, came since
        self._pending = False
        cursor, top = self._keep_cursor or (0, 0)  # new results: from the best match; more: where it was
        self._keep_cursor = None
        self.query_one(SampleList).restore(source, cursor, top)
        self._shown = self.title_text
        if error:
            self._title(f"{self.title_text} — {error}", style="red")
            self.app.notify(error, title="Search failed", severity="error")
        else:
            self._show_title(self.title_text, source.count)

    def _show_title(self, title: str, count: int) -> None:
        self._shown = title
        source = self._source()
        folded = sum(len(g.members) for g in source.groups)
        steer = self.asked.describe() if self.asked else ""
        parts = [
            fmt.count(len(source.groups) or count, "result"),
            steer,
            f"sorted by {SORTS[source.sort].label}" if source.sort != "score" else "",
            f"{folded} folded" if folded else "",
            self._own.describe(),
        ]
        self._title(f"{title} — {' · '.join(p for p in parts if p)}  (Esc: back)")

    def _title(self, text: str, style: str = "") -> None:
        """The title line, after the trail of the results Esc goes back to."""
        self._title_now = (text, style)
        title = self.query_one("#title", Static)
        width = title.content_region.width or self.app.size.width - 2  # before the first layout
        title.update(Text(breadcrumb([view.title for view in self.outer], text, width), style=style))

    def on_sample_list_highlighted(self, event: SampleList.Highlighted) -> None:
        sample = event.sample
        self.query_one(DetailPane).show(sample, *sample_facts(self.library.browse, sample))
        self.app.cursor_moved(sample)
        lst = self.query_one(SampleList)
        if sample is not None and lst.cursor == lst.source.count - 1:
            self._more()

    def _more(self) -> None:
        """At the last row: read the next page (the engine is asked for more; scores stay in order)."""
        if self.asked is None or self._pending or len(self._source().groups) < self.asked.k:
            return  # not steerable, already loading, or the library has no more
        self.steer(dataclasses.replace(self.asked, k=self.asked.k + self.settings.results), keep_cursor=True)

    # --- steering: the filter keys ask again ---------------------------------------------------
    def _steerable(self) -> ResultsQuery | None:
        """What was asked, when these results can be steered (else a note says they can't)."""
        if self.asked is None:
            self.app.notify("These results can't be narrowed: ask again from the library", timeout=3)
        return self.asked

    def _fresh(self, query: ResultsQuery) -> None:
        self.steer(dataclasses.replace(query, k=self.settings.results))

    def action_cycle(self, what: str) -> None:
        """A library filter key ('duration', 'kind', 'favourites', 'status'), or the results' own
        'scope', 'aspect' and 'collapse'."""
        if asked := self._steerable():
            aspects = results_query.aspects_of(self.library) if what == "aspect" else ()
            if what == "aspect" and not aspects:
                self.app.notify(
                    "The default backend has no aspects to weigh (builtin has timbre, envelope, pitch)", timeout=4
                )
                return
            self._fresh(asked.cycled(what, aspects))

    def set_tag(self, tag: str | None) -> None:
        if asked := self._steerable():
            self._fresh(dataclasses.replace(asked, filters=dataclasses.replace(asked.filters, tag=tag)))

    @property
    def state(self) -> FilterState:
        return self.asked.filters if self.asked else FilterState()

    def filters(self) -> FilterState:
        return self.state

    def action_clear_filters(self) -> None:
        if asked := self._steerable():
            self._close_search()
            self._fresh(dataclasses.replace(asked, filters=FilterState(), scope="everywhere"))

    def action_sort(self) -> None:
        lst, source = self.query_one(SampleList), self._source()
        keep = lst.current
        source.set_sort(next_sort(source.sort))
        lst.restore(source, source.index_of(keep.id) or 0 if keep else 0, 0)
        lst.move_to(lst.cursor)
        self._show_title(self._shown or self.title_text, source.count)

    def action_toggle_group(self) -> None:
        lst = self.query_one(SampleList)
        index = self._source().toggle(lst.cursor)
        if index is None:
            self.app.notify("Nothing folded here: no copies or velocity layers of this sample", timeout=2)
            return
        lst.restore(lst.source, index, int(lst.scroll_offset.y))
        lst.move_to(index)

    # --- the words box ------------------------------------------------------------------------
    def action_search(self) -> None:
        if self._steerable():
            box = self.query_one("#results-search", Input)
            box.add_class("shown")
            box.focus()

    def close_search(self) -> bool:
        """Esc in the words box: drop the words and leave it; False when it was not open."""
        was_open = self._close_search()
        if was_open and self.asked is not None and self.asked.filters.text:
            self._set_words("")
        return was_open

    def _close_search(self) -> bool:
        if not self._ready:
            return False
        box = self.query_one("#results-search", Input)
        was_open = box.has_class("shown")
        if self._search_timer is not None:
            self._search_timer.stop()
        with box.prevent(Input.Changed):
            box.value = ""
        box.remove_class("shown")
        self.query_one(SampleList).focus()
        return was_open

    def action_leave_search(self) -> None:
        """Down in the words box: on to the results, the words kept."""
        if self.query_one("#results-search", Input).has_focus:
            self.query_one(SampleList).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        text = event.value
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE_SECONDS, lambda: self._set_words(text))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._set_words(event.value)
        self.query_one(SampleList).focus()

    def _set_words(self, text: str) -> None:
        if self.asked is not None and text.strip() != self.asked.filters.text:
            self._fresh(
                dataclasses.replace(self.asked, filters=dataclasses.replace(self.asked.filters, text=text.strip()))
            )

    async def action_back(self) -> None:
        """Esc: close the words box, else back to the results these replaced, else to the library."""
        if self.close_search() or self.back():
            return
        await super().action_back()

    def map_scope(self) -> tuple[np.ndarray | None, str]:
        """The results on screen."""
        if not self.hits:
            return super().map_scope()
        return np.array([hit.sample.id for hit in self.hits], np.int64), self.title_text or "results"

    def on_samples_changed(self, message: SamplesChanged) -> None:
        if any(hit.sample.id in message.ids for hit in self.hits):
            self.query_one(SampleList).reload()

    def refresh_sample(self, sample_id: int) -> None:
        self.query_one(SampleList).reload()
