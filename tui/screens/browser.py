"""The library browser: folder tree, filter bar, search box, the sample list and its detail.

Its keys are its own: the filters narrow the listing, ``/`` opens the search box (Enter there asks
for a text query, shown as results), the tree's folder can be forgotten, the bridge panel shown.
The keys that only steer results say so here. The list's marks and the sample under the cursor
have the keys every listing has (:class:`~soundalike.tui.screens.listing.ListingScreen`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time

import numpy as np
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Input, Static, Tree
from textual.worker import get_current_worker

from soundalike.engine.errors import SoundalikeError, UserError
from soundalike.engine.library.facade import Library
from soundalike.tui import format as fmt
from soundalike.tui import results_query
from soundalike.tui.filters import FilterState, musical_match
from soundalike.tui.keys import bindings, keys_for, pretty
from soundalike.tui.live import BridgeNews, SamplesChanged
from soundalike.tui.results_query import ResultsQuery
from soundalike.tui.rows import RowSource
from soundalike.tui.screens.base import sample_facts
from soundalike.tui.screens.confirm import Confirm
from soundalike.tui.screens.listing import ListingScreen
from soundalike.tui.widgets.bridge_panel import BridgePanel
from soundalike.tui.widgets.detail import DetailPane
from soundalike.tui.widgets.folder_tree import COLLECTIONS, FolderTree, place_of
from soundalike.tui.widgets.key_hints import KeyHints
from soundalike.tui.widgets.sample_list import SampleList, header_text
from soundalike.tui.widgets.status_bar import StatusBar

log = logging.getLogger(__name__)

SEARCH_DEBOUNCE_SECONDS = 0.15
#: A listing shown is counted (every match read: at a million samples, up to seconds of CPU) only
#: once it has stayed this long, so that typing a search does not count each prefix.
COUNT_AFTER_SECONDS = 0.3
#: Cycles that only the results have.
RESULTS_ONLY = frozenset({"scope", "aspect", "collapse"})


class BrowserScreen(ListingScreen):
    BINDINGS = bindings(
        "search",
        "duration",
        "kind",
        "favourites_only",
        "status",
        "fits",
        "clear",
        "sort",
        "expand",
        "collapse",
        "scope",
        "aspect",
        "bridge",
        "forget",
    )
    DEFAULT_CSS = """
    BrowserScreen #filter-bar { height: 1; background: $boost; padding: 0 1; }
    BrowserScreen #list-header { height: 1; color: $text-muted; text-style: bold; }
    BrowserScreen #search { display: none; height: 1; border: none; padding: 0 1; background: $boost; }
    BrowserScreen #search.shown { display: block; }
    """

    def __init__(self, library: Library, **kwargs):
        super().__init__(**kwargs)
        self.library = library
        self.state = FilterState()
        self._search_timer: Timer | None = None
        self._reset_pending = False
        self._told_no_text_search = False

    @property
    def settings(self):
        return self.app.settings.tui

    def compose(self) -> ComposeResult:
        source = RowSource(self.library.browse, self.state.query(self.settings))
        with Horizontal():
            yield FolderTree(id="folders")
            with Vertical():
                yield Static("", id="filter-bar")
                yield Input(
                    placeholder="search: name, tag or words like “tight 808 snare” — Enter for a text query",
                    id="search",
                )
                yield Static("", id="list-header")
                yield SampleList(source, id="samples")
        yield DetailPane(self.app.clips, id="detail")
        yield BridgePanel(id="bridge")
        yield StatusBar(self.app.status_state)
        yield KeyHints(self.settings)

    def on_mount(self) -> None:
        self.query_one(SampleList).focus()
        self._update_filter_bar()

    def on_resize(self) -> None:
        self.show_header()

    def show_header(self) -> None:
        lst = self.query_one(SampleList)
        width = lst.scrollable_content_region.width
        self.query_one("#list-header", Static).update(Text(header_text(width, extra=lst.extra)))

    # --- what every screen answers ------------------------------------------------------------
    def map_scope(self) -> tuple[np.ndarray | None, str]:
        """The filtered listing, or the whole library when no filter is on."""
        query = self.state.query(self.settings)
        if query.is_empty():
            return super().map_scope()
        ids = self.library.browse.matching_ids(query)
        return np.array(ids, np.int64), self.state.describe() or "filtered samples"

    def on_samples_changed(self, message: SamplesChanged) -> None:
        if not self._update_in_place(message.ids):
            self.requery()

    def _update_in_place(self, ids) -> bool:
        """Rows on screen changed where they are (a star, a file indexed again): those rows are
        read again, not the listing (which at a million samples takes longer than a keystroke)."""
        lst = self.query_one(SampleList)
        if not ids or not isinstance(lst.source, RowSource) or not lst.source.update_rows(ids):
            return False
        lst.refresh()
        if lst.current is not None and lst.current.id in ids:
            lst.announce()
        return True

    def on_bridge_news(self, message: BridgeNews) -> None:
        if message.activity:
            self.query_one(BridgePanel).add(list(message.activity))
        if message.state:
            self.query_one(BridgePanel).set_state(message.state)

    def refresh_sample(self, sample_id: int) -> None:
        """A star changed: that one row is read again (the listing, its count and the cursor stay);
        anything else (0: your tags, collections) reads the listing again."""
        if not (sample_id and self._update_in_place({sample_id})):
            self.requery()

    # --- filters ------------------------------------------------------------------------------
    def filters(self) -> FilterState:
        return self.state

    def set_filters(self, state: FilterState, keep: bool = False) -> None:
        """A new filter puts the cursor on the first match; ``keep`` (clearing filters, leaving the
        search) keeps it on the sample it was on, which the wider listing still holds."""
        if state != self.state:
            self.state = state
            self.requery(reset=not keep)

    def requery(self, reset: bool = False) -> None:
        """Count and read the listing on a worker thread (100k rows take longer than a keystroke).

        ``reset``: the filters changed, so the cursor goes to the first match; otherwise (a live
        update, a favourite) it stays on the same sample."""
        self._update_filter_bar(pending=True)
        reset = self._reset_pending = self._reset_pending or reset  # a live update must not undo it
        current = None if reset else self.query_one(SampleList).current
        self._read_listing(self.state, current.id if current else None, reset)

    @work(thread=True, exclusive=True, group="listing")
    def _read_listing(self, state: FilterState, keep_id: int | None, reset: bool) -> None:
        """The rows on screen first, shown at once; then the count (every match read), which sets
        the list's length. Uncounted, the list is as long as what has been read."""
        source = RowSource(self.library.browse, state.query(self.settings), count=False)
        index = source.index_of(keep_id) if keep_id is not None else None
        source.row(index or 0)  # the first page on screen, read here too
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._show_listing, state, source, index, reset)
        if not source.counted:
            time.sleep(COUNT_AFTER_SECONDS)  # typing on: a newer listing cancels this one before it counts
            if get_current_worker().is_cancelled:
                return
            count = self.library.browse.count(source.query)
            if not get_current_worker().is_cancelled:
                self.app.call_from_thread(self._counted, source, count)

    def _show_listing(self, state: FilterState, source: RowSource, index: int | None, reset: bool) -> None:
        if state != self.state:
            return  # a newer filter is on its way
        self._reset_pending = False
        self.query_one(SampleList).show_source(source, state.folder, index, reset=reset)
        self._update_filter_bar()

    def _counted(self, source: RowSource, count: int) -> None:
        source.set_count(count)
        lst = self.query_one(SampleList)
        if lst.source is source:
            lst.lengthen()
            self._update_filter_bar()

    def _update_filter_bar(self, pending: bool = False) -> None:
        source = self.query_one(SampleList).source
        counted = getattr(source, "counted", True)
        count = "… samples" if pending or not counted else fmt.count(source.count, "sample")
        described = self.state.describe()
        line = f"{self.state.folder_label()} · {count}" + (f" · {described}" if described else "")
        self.query_one("#filter-bar", Static).update(Text(line))  # search text is not markup

    def action_cycle(self, what: str) -> None:
        if what in RESULTS_ONLY:
            self.app.notify(f"That key steers results: press {self._first_key('similar')} on a sample first", timeout=3)
            return
        self.set_filters(self.state.cycled(what))

    def action_sort(self) -> None:
        self.action_cycle("sort")

    def action_toggle_group(self) -> None:
        self.app.notify(f"That key works in results: press {self._first_key('similar')} on a sample first", timeout=3)

    def _first_key(self, name: str) -> str:
        return pretty(keys_for(self.settings, name)[0])

    def action_fit_musically(self) -> None:
        """Toggle "only samples that fit the one under the cursor" (tempo and key, or root)."""
        if self.state.fits is not None:
            self.set_filters(dataclasses.replace(self.state, fits=None))
            return
        sample = self.current_sample()
        match = musical_match(self.library.browse.musical([sample.id]).get(sample.id)) if sample else None
        if match is None:
            self.app.notify("This sample has no tempo, key or root note to match", timeout=3)
            return
        self.set_filters(dataclasses.replace(self.state, fits=match))

    def action_clear_filters(self) -> None:
        self._close_search(clear=True)
        self._cancel_search_timer()
        self.set_filters(self.state.cleared(), keep=True)

    def set_tag(self, tag: str | None) -> None:
        self.set_filters(dataclasses.replace(self.state, tag=tag))

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        if event.node.data == COLLECTIONS:
            return
        self.set_filters(self.state.at(**place_of(event.node.data)))

    def refresh_folders(self, folders: list[str]) -> None:
        roots = self.library.browse.roots()
        offline = {r for r in roots if not os.path.isdir(r)}
        self.query_one(FolderTree).set_folders(roots, folders, offline)
        self.query_one(FolderTree).set_collections(self.library.browse.collections())

    def action_forget_folder(self) -> None:
        """Forget the library folder holding the tree's cursor, once the user says yes."""
        node = self.query_one(FolderTree).cursor_node
        place = node.data if node is not None else None
        roots = self.library.browse.roots()
        root = next(
            (
                r
                for r in roots
                if isinstance(place, str) and place and (place == r or place.startswith(r.rstrip(os.sep) + os.sep))
            ),
            None,
        )
        if root is None:
            self.app.notify("Put the folder tree's cursor on a folder of the library to forget it", timeout=4)
            return
        use = self.library.browse.folder_use(root)
        marks = f"\n\nIt holds {use.describe()}: they go with it." if use.has_user_data else ""
        question = (
            f"Forget {root}?\n\nIts {fmt.count(use.samples, 'sample')} leave the library (search, kits, "
            f"the map); the files stay on disk, and adding the folder again indexes them anew.{marks}"
        )

        def answered(yes: bool | None) -> None:
            if yes:
                self._forget(root)

        self.app.push_screen(Confirm("Forget this folder", question), answered)

    @work(thread=True, exclusive=True, group="forget")
    def _forget(self, root: str) -> None:
        try:
            count = self.app.service.forget_folder(root)
        except SoundalikeError as e:
            self.app.call_from_thread(self.app.notify, f"Couldn't forget {root}: {e}", severity="error")
            return
        self.app.call_from_thread(self.app.notify, f"Forgot {root}: {fmt.count(count, 'sample')} (files untouched)")
        self.app.call_from_thread(self._forgotten)

    def _forgotten(self) -> None:
        self.set_filters(self.state.cleared())
        self.refresh_folders(self.library.browse.folders())

    # --- search box ---------------------------------------------------------------------------
    def action_search(self) -> None:
        search = self.query_one("#search", Input)
        search.add_class("shown")
        search.focus()

    async def action_back(self) -> None:
        """Esc: leave the search box and drop its filter (the library is the first screen: it stays)."""
        if self._close_search(clear=True):
            self._cancel_search_timer()
            self.set_filters(dataclasses.replace(self.state, text=""), keep=True)

    def _close_search(self, clear: bool) -> bool:
        search = self.query_one("#search", Input)
        was_open = search.has_class("shown")
        if clear:
            search.value = ""
        if not search.value:
            search.remove_class("shown")
        self.query_one(SampleList).focus()
        return was_open

    def action_leave_search(self) -> None:
        """Down in the search box: on to the list, the words kept as a filter."""
        if self.query_one("#search", Input).has_focus:
            self._close_search(clear=False)

    def _cancel_search_timer(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None

    def on_input_changed(self, event: Input.Changed) -> None:
        self._cancel_search_timer()
        text = event.value
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE_SECONDS, lambda: self._apply_search(text))

    def _apply_search(self, text: str) -> None:
        self.set_filters(dataclasses.replace(self.state, text=text.strip()))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter: keep the name/tag filter and ask for a text query (results on success)."""
        self._apply_search(event.value)
        self.query_one(SampleList).focus()
        if event.value.strip():
            self._text_search(event.value.strip())

    @work(thread=True, exclusive=True, group="text-search")
    def _text_search(self, text: str) -> None:
        """A text query (needs a text-capable backend); else the name/tag filter stays, with a note."""
        query = ResultsQuery(f"“{text}”", text=text, k=self.settings.results, browsed=self.state.folder)
        try:
            groups = results_query.run(self.library, query, self.settings)
        except UserError as e:
            self.app.call_from_thread(self._text_search_unavailable, str(e))
            return
        except (SoundalikeError, ValueError) as e:
            self.app.call_from_thread(self.app.notify, f"Text search failed: {e}", severity="error")
            return
        self.app.call_from_thread(self._show_text_results, query, groups)

    def _show_text_results(self, query: ResultsQuery, groups) -> None:
        self._close_search(clear=True)
        self._apply_search("")
        self.app.show_results(query.title, lambda: groups, query)

    def _text_search_unavailable(self, why: str) -> None:
        """The whole reason (how to get a text model) the first time; after that, one line."""
        log.info("text search unavailable: %s", why)
        if self._told_no_text_search:
            self.app.notify("No text model: filtered by name and tag.", title="Search", timeout=3)
            return
        self._told_no_text_search = True
        self.app.notify(
            f"{why.rstrip('.')}. Filtering by name and tag instead.", title="Search", severity="warning", timeout=6
        )

    # --- the list -----------------------------------------------------------------------------
    def on_sample_list_highlighted(self, event: SampleList.Highlighted) -> None:
        sample = event.sample
        self.query_one(DetailPane).show(sample, *sample_facts(self.library.browse, sample))
        self.app.cursor_moved(sample)

    def action_toggle_bridge(self) -> None:
        self.query_one(BridgePanel).toggle_class("shown")
