"""The drum map screen: the library (or a folder, tag or result set) as a 2D map of sounds.

Arrow keys (or hjkl, or a click) move a cursor that snaps the selection to the nearest sample,
which auditions as it changes (auto-play or not: listening is what the map is for); Enter finds similar sounds, ``t`` narrows
the map to a tag, ``+``/``-`` zoom around the cursor and ``0`` shows the whole map again (the
moving, zooming and Enter are the map widget's own keys, :class:`~soundalike.tui.widgets.map_view.MapView`).
New samples appear where they belong as they are indexed (the projection is stored, not refitted).
"""

from __future__ import annotations

import logging

import numpy as np
from rich.cells import cell_len
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from soundalike.engine.errors import SoundalikeError
from soundalike.engine.library.browse import Filters, SampleRow
from soundalike.engine.tools.drum_map import DrumMap, MapPoints
from soundalike.tui.live import SamplesChanged
from soundalike.tui.screens.base import AppScreen
from soundalike.tui.screens.tag_picker import TagPicker
from soundalike.tui.widgets.detail import DetailPane
from soundalike.tui.widgets.key_hints import KeyHints
from soundalike.tui.widgets.map_render import legend
from soundalike.tui.widgets.map_view import MapView
from soundalike.tui.widgets.status_bar import StatusBar

log = logging.getLogger(__name__)

RELOAD_SECONDS = 1.0
#: The map's own keys, on the bottom line.
KEYS = (("←↑↓→", "move"), ("Enter", "similar"), ("t", "tag"), ("+/-", "zoom"), ("0", "whole map"), ("Esc", "back"))
LEGEND_GAP = "   "


def legend_text(items: list[tuple[str, int, tuple[int, int, int]]], width: int) -> Text:
    """ "■ kick 12   ■ snare 9 ..." over as many lines as ``width`` needs; an entry is never split."""
    text, used = Text(), 0
    for kind, count, rgb in items:
        entry = f"{kind} {count}"
        size = 2 + cell_len(entry)
        if used and used + len(LEGEND_GAP) + size > width:
            text.append("\n")
            used = 0
        elif used:
            text.append(LEGEND_GAP)
            used += len(LEGEND_GAP)
        text.append("■ ", style=f"rgb({rgb[0]},{rgb[1]},{rgb[2]})")
        text.append(entry)
        used += size
    return text


class MapScreen(AppScreen):
    DEFAULT_CSS = """
    MapScreen #map-title { height: 1; background: $boost; padding: 0 1; text-style: bold; }
    MapScreen #map-legend { height: auto; padding: 0 1; }
    MapScreen DetailPane { height: 7; }
    """
    BINDINGS = [Binding("t", "tag", "tag")]

    def __init__(self, library, ids: np.ndarray | None = None, title: str = "library", **kwargs):
        super().__init__(**kwargs)
        self.library, self.scope_ids, self.scope_title = library, ids, title
        self.tag: str | None = None
        self.points: MapPoints | None = None
        self.drum_map = DrumMap(library)
        self._stale = self._loading = False

    def compose(self) -> ComposeResult:
        yield Static(f"map of {self.scope_title} — placing samples…", id="map-title")
        yield MapView(id="map")
        yield Static("", id="map-legend")
        yield DetailPane(self.app.clips, id="detail")
        yield StatusBar(self.app.status_state)
        yield KeyHints(pairs=KEYS)

    def on_mount(self) -> None:
        self.query_one(MapView).focus()
        self.load()
        self.set_interval(RELOAD_SECONDS, self._reload_if_stale)

    @work(thread=True, exclusive=True, group="map")
    def load(self, keep_view: bool = False) -> None:
        self._loading = True
        try:
            points = self.drum_map.points(self._ids())
        except (SoundalikeError, ValueError) as e:
            log.warning("map failed: %s", e, exc_info=True)
            self.app.call_from_thread(self.app.notify, f"Couldn't draw the map: {e}", severity="error")
            return
        finally:
            self._loading = False
        self.app.call_from_thread(self._show, points, keep_view)

    def _reload_if_stale(self) -> None:
        """New or changed samples: placed at most every RELOAD_SECONDS (a burst of files is one reload)."""
        if self._stale and not self._loading:
            self._stale = False
            self.load(keep_view=True)

    def _ids(self) -> np.ndarray | None:
        ids = self.scope_ids
        if self.tag:
            tagged = np.array(self.library.browse.ids_matching(Filters(tag=self.tag)), np.int64)
            ids = tagged if ids is None else np.intersect1d(ids, tagged)
        return ids

    def _show(self, points: MapPoints, keep_view: bool) -> None:
        self.points = points
        self.query_one(MapView).set_points(points, keep_view)
        scope = self.scope_title + (f", tag {self.tag}" if self.tag else "")
        shown = f"{len(points):,} samples" + (f" (a sample of {points.of:,})" if points.of > len(points) else "")
        self.query_one("#map-title", Static).update(f"map of {scope} — {shown}")
        self._legend()

    def on_resize(self) -> None:
        self._legend()

    def _legend(self) -> None:
        box = self.query_one("#map-legend", Static)
        if self.points is not None:
            box.update(legend_text(legend(self.points), (box.content_region.width or self.app.size.width - 2)))

    # --- keys -------------------------------------------------------------------------------
    def on_map_view_chosen(self, event: MapView.Chosen) -> None:
        self.action_similar()

    def action_drum_map(self) -> None:
        """Already the map."""

    def action_tag(self) -> None:
        tags = self.library.browse.tag_counts(self.app.settings.tui.tag_min_score)
        if tags:
            self.app.push_screen(TagPicker(tags, self.tag), self.set_tag)

    def set_tag(self, tag: str | None) -> None:
        self.tag = tag
        self.load()

    # --- what every screen answers ------------------------------------------------------------
    def current_sample(self) -> SampleRow | None:
        view = self.query_one(MapView)
        if self.points is None or view.selected is None:
            return None
        return self.library.browse.sample(int(self.points.ids[view.selected]))

    def on_map_view_selected(self, event: MapView.Selected) -> None:
        sample = self.current_sample()
        self.query_one(DetailPane).show(sample, self.library.browse.tags(sample.id) if sample else {})
        if event.by_user:
            self.app.audition(sample)  # the map auditions as the cursor moves, auto-play or not

    def refresh_sample(self, sample_id: int) -> None:
        """A favourite changed (``f``): show the sample's detail again."""
        sample = self.current_sample()
        if sample is not None and sample.id == sample_id:
            self.query_one(DetailPane).show(sample, self.library.browse.tags(sample.id))

    def on_samples_changed(self, message: SamplesChanged) -> None:
        self._stale = True  # new samples land in place; the view and cursor stay
