"""Pick a tag to filter by (with how many samples carry it), or none."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

ANY = "\0any"


class TagPicker(ModalScreen[str | None]):
    DEFAULT_CSS = """
    TagPicker { align: center middle; }
    TagPicker > OptionList { width: 40; max-height: 80%; border: thick $accent; }
    """
    BINDINGS = [
        Binding("escape", "dismiss_none", "cancel", id="tag_cancel"),
        Binding("j", "move(1)", "down", show=False, id="tag_down"),
        Binding("k", "move(-1)", "up", show=False, id="tag_up"),
    ]

    def __init__(self, tags: list[tuple[str, int]], current: str | None, **kwargs):
        super().__init__(**kwargs)
        self.tags, self.current = tags, current

    def compose(self) -> ComposeResult:
        options = [Option("any tag", id=ANY)]
        options += [Option(Text(f"{tag}  ({count:,})"), id=tag) for tag, count in self.tags]
        picker = OptionList(*options)
        picker.border_title = "filter by tag"
        yield picker

    def on_mount(self) -> None:
        picker = self.query_one(OptionList)
        ids = [ANY, *(t for t, _ in self.tags)]
        picker.highlighted = ids.index(self.current) if self.current in ids else 0
        picker.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(None if event.option.id == ANY else event.option.id)

    def action_move(self, delta: int) -> None:
        picker = self.query_one(OptionList)
        picker.action_cursor_down() if delta > 0 else picker.action_cursor_up()

    def action_dismiss_none(self) -> None:
        self.dismiss(self.current)
