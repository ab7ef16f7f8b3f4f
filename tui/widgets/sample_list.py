"""The sample list: a virtual list over a RowSource, drawing only the rows on screen.

No row widgets and no table: ``render_line`` asks the source for row ``scroll_y + y``, so
moving through 100k samples costs a page query now and then. The cursor is a row number; after a
live reload it is put back on the same sample id, at the same line of the screen.
"""

from __future__ import annotations

from typing import Protocol

from rich.segment import Segment
from rich.style import Style
from textual.events import Click
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from soundalike.engine.library.browse import SampleRow
from soundalike.tui import format as fmt
from soundalike.tui.keys import bindings
from soundalike.tui.widgets.columns import COLUMNS

DURATION_WIDTH, STATUS_WIDTH = 7, 8
MUSIC_WIDTH = 12  # "120 Am", "C#2"; shown from MUSIC_MIN_WIDTH cells
MUSIC_MIN_WIDTH = 70


SCORE_WIDTH = 7
#: Below this many cells for the name, a folded row says "+3" rather than "+2 copies, +1 layer".
NAME_MIN_WIDTH = 32


class ListSource(Protocol):
    """What the list reads rows from (soundalike.tui.rows: RowSource, GroupSource). A source may
    also have ``score``, ``marker``, ``note`` and ``musical`` by row, which add to what is drawn."""

    count: int

    def row(self, index: int) -> SampleRow | None: ...

    def tags(self, index: int) -> list[str]: ...

    def index_of(self, sample_id: int) -> int | None: ...

    def refresh(self) -> None: ...


def column_widths(width: int, scored: bool = False, extra: tuple[str, ...] = ()) -> tuple[int, int, int, int]:
    """(name, duration, tags, status) widths for a list ``width`` cells wide (2 go to the star,
    ``SCORE_WIDTH`` to the score when ``scored``, the BPM/key column its width when there is room, and
    each of the ``extra`` COLUMNS its width)."""
    width -= SCORE_WIDTH if scored else 0
    width -= music_width(width) + sum(COLUMNS[name].width for name in extra)
    tags = 0 if width < 50 else min(24, max(10, width // 5))
    status = STATUS_WIDTH if width >= 40 else 0
    name = max(8, width - 2 - DURATION_WIDTH - tags - status)
    return name, DURATION_WIDTH, tags, status


def music_width(width: int) -> int:
    """Cells of the BPM/key column in a list ``width`` cells wide (0: too narrow to show it)."""
    return MUSIC_WIDTH if width >= MUSIC_MIN_WIDTH else 0


def music_cell(facts) -> str:
    """ "120 Am", "96", "Am", "Am7" (a chord), "C#2" or "" (nothing known)."""
    if facts is None:
        return ""
    bpm = f"{facts.bpm:.0f}" if facts.bpm else ""
    tone = facts.chord or facts.key_name or facts.root_name or ""
    return f"{bpm} {tone}".strip()


def header_text(width: int, scored: bool = False, extra: tuple[str, ...] = ()) -> str:
    name, dur, tags, status = column_widths(width, scored, extra)
    score = fmt.fit("score", SCORE_WIDTH) if scored else ""
    music = fmt.fit("bpm key", music_width(width - (SCORE_WIDTH if scored else 0)))
    columns = "".join(fmt.fit(COLUMNS[c].header, COLUMNS[c].width) for c in extra)
    return (
        score
        + "  "
        + fmt.fit("name", name)
        + fmt.fit("length", dur)
        + music
        + columns
        + fmt.fit("tags", tags)
        + fmt.fit("status", status)
    )


class SampleList(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    SampleList { height: 1fr; }
    SampleList > .sample-list--cursor { background: $accent 40%; }
    SampleList:focus > .sample-list--cursor { background: $accent; color: $text; }
    SampleList > .sample-list--failed { color: $error; }
    SampleList > .sample-list--gone { color: $text-muted; }
    SampleList > .sample-list--favourite { color: $warning; }
    SampleList > .sample-list--marked { background: $secondary 35%; text-style: bold; }
    """
    COMPONENT_CLASSES = {
        "sample-list--cursor",
        "sample-list--failed",
        "sample-list--gone",
        "sample-list--favourite",
        "sample-list--marked",
    }
    BINDINGS = bindings("down", "up", "page_down", "page_up", "first", "last")

    class Highlighted(Message):
        """The sample under the cursor changed (None: the list is empty)."""

        def __init__(self, sample: SampleRow | None, tags: list[str]):
            super().__init__()
            self.sample, self.tags = sample, tags

    def __init__(self, source: ListSource, base_folder: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.source = source
        self.base_folder = base_folder
        self.cursor = 0
        self.extra: tuple[str, ...] = ()  # optional COLUMNS shown (rate, bits, channels, ...)
        self.marked: dict[int, SampleRow] = {}  # multi-select: sample id -> its row when marked

    # --- reading ------------------------------------------------------------------------------
    @property
    def current(self) -> SampleRow | None:
        return self.source.row(self.cursor)

    def on_mount(self) -> None:
        self._sync_size()
        self._announce()

    def on_resize(self) -> None:
        self._sync_size()

    def _sync_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self.source.count)

    def lengthen(self) -> None:
        """The source was counted after it was shown: its length is known now."""
        self._sync_size()
        self.refresh()

    # --- moving -------------------------------------------------------------------------------
    def move_to(self, index: int, announce: bool = True) -> None:
        index = max(0, min(index, self.source.count - 1))
        self.cursor = index
        top, height = int(self.scroll_offset.y), max(1, self.scrollable_content_region.height)
        if index < top:
            self.scroll_to(y=index, animate=False, immediate=True)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False, immediate=True)
        self.refresh()
        if announce:
            self._announce()

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, where: int) -> None:
        self.move_to(self.source.count - 1 if where < 0 else where)

    def toggle_mark(self) -> None:
        """Mark or unmark the sample under the cursor, then move down (mark a run with repeats)."""
        row = self.current
        if row is None:
            return
        if self.marked.pop(row.id, None) is None:
            self.marked[row.id] = row
        self.move_to(self.cursor + 1)
        self.refresh()

    def selection(self) -> list[SampleRow]:
        """The marked samples, or else the one under the cursor."""
        if self.marked:
            return list(self.marked.values())
        return [self.current] if self.current is not None else []

    def on_click(self, event: Click) -> None:
        self.move_to(int(self.scroll_offset.y) + event.y)

    def announce(self) -> None:
        """Tell the screen about the sample under the cursor again (it changed in place)."""
        self._announce()

    def _announce(self) -> None:
        self.post_message(self.Highlighted(self.current, self.source.tags(self.cursor)))

    # --- reloading ----------------------------------------------------------------------------
    def reload(self, source: ListSource | None = None, base_folder: str | None = None) -> None:
        """Re-read the listing here (or show a new one), keeping the cursor on the same sample."""
        keep = self.current
        if source is None:
            self.source.refresh()
            source, base_folder = self.source, self.base_folder
        index = source.index_of(keep.id) if keep is not None else None
        self.show_source(source, base_folder, index)

    def show_source(self, source: ListSource, base_folder: str | None, index: int | None, reset: bool = False) -> None:
        """Show a listing read elsewhere; ``index``: where the sample under the cursor now is (None:
        it is not listed, so the cursor keeps its row number, or goes to the top of a new listing).
        ``reset``: a new filter or search, so the cursor goes to the first match, at the top."""
        keep = self.current
        line = self.cursor - int(self.scroll_offset.y)
        new_listing = reset or (source is not self.source and base_folder != self.base_folder)
        self.source, self.base_folder = source, base_folder
        self._sync_size()
        if new_listing:
            index = None
        target = index if index is not None else (0 if new_listing else self.cursor)
        self.cursor = max(0, min(target, self.source.count - 1))
        top = self.cursor - max(0, line) if index is not None else (0 if new_listing else int(self.scroll_offset.y))
        self.scroll_to(y=max(0, top), animate=False, immediate=True)
        self.refresh()
        now = self.current
        if reset or keep is None or now is None or now != keep:
            self._announce()

    def restore(self, source: ListSource, cursor: int, top: int) -> None:
        """Show a listing seen before as it was left: the cursor on row ``cursor``, row ``top`` at the top."""
        self.source = source
        self._sync_size()
        self.cursor = max(0, min(cursor, self.source.count - 1))
        self.scroll_to(y=max(0, top), animate=False, immediate=True)
        self.refresh()
        self._announce()

    # --- drawing ------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = int(self.scroll_offset.y) + y
        row = self.source.row(index)
        if row is None:
            return Strip.blank(width, self.rich_style)
        style = self._row_style(row, index == self.cursor)
        return Strip(self._cells(row, self.source.tags(index), width, style, index), width)

    def _row_style(self, row: SampleRow, is_cursor: bool) -> Style:
        style = self.rich_style
        if row.status == "failed":
            style += self.get_component_rich_style("sample-list--failed")
        elif row.status != "ok":
            style += self.get_component_rich_style("sample-list--gone")
        if row.id in self.marked:
            style += self.get_component_rich_style("sample-list--marked")
        if is_cursor:
            style += self.get_component_rich_style("sample-list--cursor")
        return style

    def _cells(self, row: SampleRow, tags: list[str], width: int, style: Style, index: int) -> list[Segment]:
        score = getattr(self.source, "score", None)
        name_w, dur_w, tags_w, status_w = column_widths(width, score is not None, self.extra)
        lead = [Segment(f"{score(index):6.3f} ", style)] if score is not None else []
        width -= SCORE_WIDTH if score is not None else 0
        favourite = style + self.get_component_rich_style("sample-list--favourite")
        star = Segment(("★" if row.favourite else " ") + ("•" if row.id in self.marked else " "), favourite)
        marker = self.source.marker(index) if hasattr(self.source, "marker") else ""
        noted = getattr(self.source, "note", None)
        note = noted(index) if noted else ""
        if noted and note and name_w - len(marker) - len(note) < NAME_MIN_WIDTH:  # "+3" says it in less room
            note = noted(index, short=True)
        note = f" {note}" if note and name_w > 3 * len(note) else ""
        path = fmt.fit_path(fmt.display_path(row, self.base_folder), name_w - 1 - len(marker) - len(note))
        extra = "".join(fmt.fit(COLUMNS[c].text(row), COLUMNS[c].width) for c in self.extra)
        musical = getattr(self.source, "musical", None)
        music = fmt.fit(music_cell(musical(index) if musical else None), music_width(width))
        text = (
            marker
            + path
            + note
            + " "
            + fmt.fit(fmt.duration(row.duration), dur_w)
            + music
            + extra
            + fmt.fit(", ".join(tags), tags_w, keep="start")
            + fmt.fit(fmt.status_label(row), status_w)
        )
        return [*lead, star, Segment(fmt.fit(text, width - 2), style)]
