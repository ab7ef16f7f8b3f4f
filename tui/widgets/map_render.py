"""Drawing the drum map: points in a view rasterised to half-block cells, coloured by kind.

Each text cell is two pixels, top and bottom (``▀`` with a foreground and a background colour).
A pixel takes the colour of the kind most of its points have, brighter the more points it holds
(log scale), so 100k overlapping samples still read as regions and densities. Pure numpy: the
widget draws what this returns, and the benchmark times it without a terminal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from soundalike.engine.tools.drum_map import MapPoints

RGB = tuple[int, int, int]
PALETTE: dict[str, RGB] = {
    "kick": (235, 85, 60),
    "snare": (245, 185, 60),
    "clap": (240, 120, 200),
    "closed hat": (90, 205, 245),
    "open hat": (60, 135, 245),
    "tom": (165, 115, 235),
    "cymbal": (120, 230, 180),
    "crash": (120, 230, 180),
    "ride": (70, 190, 150),
    "rim": (215, 215, 120),
    "shaker": (180, 230, 90),
    "percussion": (235, 150, 90),
    "cowbell": (235, 150, 90),
    "bell": (235, 150, 90),
    "hand drum": (205, 135, 85),
    "other": (150, 150, 150),
}
#: Colours for kinds the palette does not name (a user tag, a clap model's label), one each in turn,
#: none of them the grey of "other".
SPARE: tuple[RGB, ...] = (
    (255, 255, 255),
    (250, 90, 120),
    (120, 160, 255),
    (255, 220, 120),
    (150, 255, 210),
    (200, 140, 255),
    (255, 160, 60),
    (100, 220, 90),
)
MIN_SHADE = 0.35


def colours(kinds: tuple[str, ...]) -> list[RGB]:
    """A colour per kind: the palette's, else the next spare one (so two unnamed kinds never share one)."""
    out: list[RGB] = []
    spare = 0
    for name in kinds:
        if name in PALETTE:
            out.append(PALETTE[name])
        else:
            out.append(SPARE[spare % len(SPARE)])
            spare += 1
    return out


@dataclass(frozen=True)
class View:
    """The part of the map on screen, in map units (the fitted cloud spans 0..1)."""

    x0: float = 0.0
    x1: float = 1.0
    y0: float = 0.0
    y1: float = 1.0

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.x0, self.x1, self.y0, self.y1

    def zoomed(self, factor: float, cx: float, cy: float) -> View:
        """``factor`` > 1 zooms in around (cx, cy), which stays where it is on screen."""
        return View(
            cx - (cx - self.x0) / factor,
            cx + (self.x1 - cx) / factor,
            cy - (cy - self.y0) / factor,
            cy + (self.y1 - cy) / factor,
        )

    def panned(self, dx: float, dy: float) -> View:
        return View(self.x0 + dx, self.x1 + dx, self.y0 + dy, self.y1 + dy)

    def contains(self, x: float, y: float) -> bool:
        return self.x0 <= x <= self.x1 and self.y0 <= y <= self.y1


def pixel_of(view: View, x: float | np.ndarray, y: float | np.ndarray, width: int, height: int):
    """Pixel column and row (row 0 at the top: the map's y grows upwards) of map positions."""
    col = np.floor((np.asarray(x) - view.x0) / (view.x1 - view.x0) * width).astype(int)
    row = np.floor((view.y1 - np.asarray(y)) / (view.y1 - view.y0) * height).astype(int)
    return col, row


def map_position(view: View, col: float, row: float, width: int, height: int) -> tuple[float, float]:
    """The map position at the centre of pixel (col, row)."""
    return (view.x0 + (col + 0.5) / width * (view.x1 - view.x0), view.y1 - (row + 0.5) / height * (view.y1 - view.y0))


def cells(points: MapPoints, view: View, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(count, dominant kind index), each (height, width): how many points fall in each pixel and
    the kind most of them have."""
    counts = np.zeros(width * height, np.int64)
    dominant = np.zeros(width * height, np.int64)
    if len(points) and width > 0 and height > 0:
        col, row = pixel_of(view, points.xy[:, 0], points.xy[:, 1], width, height)
        inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
        flat = (row * width + col)[inside]
        counts = np.bincount(flat, minlength=width * height)
        kinds = len(points.kinds)
        per_kind = np.bincount(flat * kinds + points.kind[inside], minlength=width * height * kinds)
        dominant = per_kind.reshape(width * height, kinds).argmax(axis=1)
    return counts.reshape(height, width), dominant.reshape(height, width)


def raster(points: MapPoints, view: View, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(rgb (height, width, 3) uint8, filled (height, width) bool) for ``height`` pixel rows."""
    rgb = np.zeros((height, width, 3), np.uint8)
    counts, dominant = cells(points, view, width, height)
    filled = counts > 0
    if not filled.any():
        return rgb, filled
    palette = np.array(colours(points.kinds), np.float32)
    shade = MIN_SHADE + (1 - MIN_SHADE) * np.log1p(counts) / np.log1p(counts.max())
    rgb[filled] = (palette[dominant[filled]] * shade[filled][:, None]).astype(np.uint8)
    return rgb, filled


def legend(points: MapPoints) -> list[tuple[str, int, RGB]]:
    """(kind, count, colour) of the kinds on the map, most common first."""
    counts = np.bincount(points.kind, minlength=len(points.kinds)) if len(points) else np.zeros(len(points.kinds))
    order = np.argsort(-counts, kind="stable")
    rgb = colours(points.kinds)
    return [(points.kinds[i], int(counts[i]), rgb[i]) for i in order if counts[i]]
