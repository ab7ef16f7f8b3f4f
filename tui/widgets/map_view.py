"""The drum map widget: half-block cells from :mod:`soundalike.tui.widgets.map_render`, a cursor that snaps to samples.

The cursor is a free position on the map; the selected sample is the one nearest to it within
the view, so arrow keys glide across empty space and the selection jumps to whatever is closest.
The rasterised map is cached per view and size; moving the cursor only redraws its two marks.
Its keys are its own: arrows (or hjkl) move, ``+``/``-`` zoom around the cursor, ``0`` shows the
whole map, Enter chooses the selected sample (the map screen finds what sounds like it).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from soundalike.engine.tools.drum_map import MapPoints
from soundalike.tui.widgets.map_render import View, map_position, pixel_of, raster

EMPTY = Style(bgcolor="grey7")
CURSOR_STYLE = Style(color="white", bold=True)
ZOOM_STEP = 2.0
PAN_SHARE = 0.25  # of the view, when the cursor walks off its edge


@dataclass(frozen=True)
class Cursor:
    x: float
    y: float


class MapView(Widget, can_focus=True):
    DEFAULT_CSS = "MapView { height: 1fr; width: 1fr; }"
    BINDINGS = [
        Binding("up,k", "move(0,-1)", "up", show=False),
        Binding("down,j", "move(0,1)", "down", show=False),
        Binding("left,h", "move(-1,0)", "left", show=False),
        Binding("right,l", "move(1,0)", "right", show=False),
        Binding("plus,equals_sign", "zoom(2)", "zoom in"),
        Binding("minus", "zoom(0.5)", "zoom out"),
        Binding("0", "zoom(0)", "whole map"),
        Binding("enter", "choose", "similar"),
    ]

    class Selected(Message):
        def __init__(self, index: int | None, by_user: bool) -> None:
            super().__init__()
            self.index, self.by_user = index, by_user  # by_user False: new points, not a move

    class Chosen(Message):
        """Enter on the selected sample."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.points: MapPoints | None = None
        self.view = View()
        self.cursor = Cursor(0.5, 0.5)
        self.selected: int | None = None
        self._rows: list[list[Segment]] = []
        self._rows_key: tuple | None = None
        self._styles: dict[tuple, Style] = {}

    # --- state ------------------------------------------------------------------------------
    def set_points(self, points: MapPoints, keep_view: bool = False) -> None:
        self.points = points
        if not keep_view:
            self.view = View()
            self.cursor = Cursor(0.5, 0.5)
        self._rows_key = None
        self._select(by_user=False)
        self.refresh()

    # --- keys -------------------------------------------------------------------------------
    def action_move(self, dx: int, dy: int) -> None:
        self.move(dx, dy)

    def action_zoom(self, factor: float) -> None:
        self.zoom(factor)

    def action_choose(self) -> None:
        if self.selected is not None:
            self.post_message(self.Chosen())

    def move(self, dx_cells: int, dy_cells: int) -> None:
        """Move the cursor by cells (dy down is positive), panning when it leaves the view."""
        width, height = self._pixels()
        view = self.view
        step_x = (view.x1 - view.x0) / max(width, 1)
        step_y = (view.y1 - view.y0) / max(height, 1) * 2  # a text row is two pixels
        x, y = self.cursor.x + dx_cells * step_x, self.cursor.y - dy_cells * step_y
        if not view.contains(x, y):
            pan_x = np.sign(dx_cells) * PAN_SHARE * (view.x1 - view.x0) if not view.x0 <= x <= view.x1 else 0.0
            pan_y = -np.sign(dy_cells) * PAN_SHARE * (view.y1 - view.y0) if not view.y0 <= y <= view.y1 else 0.0
            self.view = view.panned(float(pan_x), float(pan_y))
        self.cursor = Cursor(x, y)
        self._select()
        self.refresh()

    def zoom(self, factor: float) -> None:
        self.view = self.view.zoomed(factor, self.cursor.x, self.cursor.y) if factor else View()
        if not factor:
            self.cursor = Cursor(0.5, 0.5)
        self._select()
        self.refresh()

    def point_at_cell(self, col: int, row: int) -> None:
        width, height = self._pixels()
        x, y = map_position(self.view, col, row * 2 + 0.5, width, height)
        self.cursor = Cursor(x, y)
        self._select()
        self.refresh()

    def _select(self, by_user: bool = True) -> None:
        index = self.points.nearest(self.cursor.x, self.cursor.y, self.view.box) if self.points else None
        if index != self.selected or (by_user is False and self.points is not None):
            self.selected = index
            self.post_message(self.Selected(index, by_user))

    # --- drawing ----------------------------------------------------------------------------
    def _pixels(self) -> tuple[int, int]:
        return max(self.size.width, 1), max(self.size.height, 1) * 2

    def _base_rows(self) -> list[list[Segment]]:
        width, height = self._pixels()
        key = (self.view, width, height, id(self.points))
        if key != self._rows_key:
            self._rows = self._draw(width, height)
            self._rows_key = key
        return self._rows

    def _draw(self, width: int, height: int) -> list[list[Segment]]:
        if self.points is None:
            return [[Segment(" " * width, EMPTY)] for _ in range(height // 2)]
        rgb, filled = raster(self.points, self.view, width, height)
        rows = []
        for text_row in range(height // 2):
            top, bottom = 2 * text_row, 2 * text_row + 1
            rows.append(
                [self._cell(rgb[top, c], filled[top, c], rgb[bottom, c], filled[bottom, c]) for c in range(width)]
            )
        return rows

    def _cell(self, top, top_on, bottom, bottom_on) -> Segment:
        key = (tuple(top) if top_on else None, tuple(bottom) if bottom_on else None)
        style = self._styles.get(key)
        if style is None:
            fg = Color.from_rgb(*key[0]) if key[0] else None
            bg = Color.from_rgb(*key[1]) if key[1] else Color.parse("grey7")
            style = self._styles[key] = Style(color=fg, bgcolor=bg)
        return Segment("▀" if key[0] else " ", style)

    def render_line(self, y: int) -> Strip:
        rows = self._base_rows()
        if y >= len(rows):
            return Strip.blank(self.size.width)
        segments = rows[y]
        marks = self._marks()
        if y in marks:
            segments = list(segments)
            for col, char in marks[y]:
                if 0 <= col < len(segments):
                    segments[col] = Segment(char, (segments[col].style or Style()) + CURSOR_STYLE)
        return Strip(segments)

    def _marks(self) -> dict[int, list[tuple[int, str]]]:
        """Text row -> (column, character): the cursor (+) and the selected sample (●)."""
        width, height = self._pixels()
        marks: dict[int, list[tuple[int, str]]] = {}
        col, row = pixel_of(self.view, self.cursor.x, self.cursor.y, width, height)
        marks.setdefault(int(row) // 2, []).append((int(col), "+"))
        if self.points is not None and self.selected is not None:  # drawn last: it wins a shared cell
            x, y = self.points.xy[self.selected]
            col, row = pixel_of(self.view, x, y, width, height)
            marks.setdefault(int(row) // 2, []).append((int(col), "●"))
        return marks

    def on_click(self, event: events.Click) -> None:
        self.point_at_cell(event.x, event.y)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.point_at_cell(event.x, event.y)
        self.zoom(ZOOM_STEP)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.zoom(1 / ZOOM_STEP)
