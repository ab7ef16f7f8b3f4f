"""Help: what the app is for, in three lines, and every key (as configured)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from soundalike.engine.config import TuiSettings
from soundalike.tui.keys import help_rows, keys_for, pretty

INTRO = (
    "Browse your folders on the left (Tab moves between folders and the list), hear each sample "
    "with {play}, press {similar} on one you like for the most similar sounds across the whole "
    "library, and {search} to search. Keys can be changed in config.toml [tui]."
)


def intro(settings: TuiSettings) -> str:
    first = {name: pretty(keys_for(settings, name)[0]) for name in ("play", "similar", "search")}
    return INTRO.format(**first)


def help_table(settings: TuiSettings) -> Table:
    table = Table(box=None, show_header=False, padding=(0, 1), expand=True)
    table.add_column(style="bold cyan", no_wrap=True, width=7)
    table.add_column(style="bold", no_wrap=True, width=16)
    table.add_column(ratio=1)
    last = None
    for group, keys, what in help_rows(settings):
        table.add_row(group if group != last else "", keys, what)
        last = group
    table.add_row("", "Tab", "move between the folder tree and the list")
    table.add_row("", "Enter", "(in the tree) show that folder")
    return table


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 96; height: 90%; border: thick $accent;
                                  background: $surface; padding: 0 1; }
    """
    BINDINGS = [Binding("escape,question_mark,q", "dismiss", "close", id="help_close")]

    def __init__(self, settings: TuiSettings, **kwargs):
        super().__init__(**kwargs)
        self.settings = settings
        self.rows = help_rows(settings)

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "soundalike — keys (Esc closes)"
            yield Static(Text(intro(self.settings)))
            yield Static(help_table(self.settings))

    def on_mount(self) -> None:
        scroll = self.query_one(VerticalScroll)
        scroll.focus()
        self.watch(scroll, "scroll_y", lambda _: self._scroll_hint(), init=False)
        self.call_after_refresh(self._scroll_hint)

    def on_resize(self) -> None:
        self.call_after_refresh(self._scroll_hint)

    def _scroll_hint(self) -> None:
        """Say that there is more below (or above) when the keys do not fit: ↓/PgDn scrolls."""
        scroll = self.query_one(VerticalScroll)
        below, above = scroll.scroll_y < scroll.max_scroll_y, scroll.scroll_y > 0
        hint = {
            (True, False): "↓ more below (↓ PgDn scroll)",
            (True, True): "↑↓ more (↓ PgDn ↑ PgUp scroll)",
            (False, True): "↑ more above (↑ PgUp scroll)",
        }.get((below, above), "")
        scroll.border_subtitle = hint
