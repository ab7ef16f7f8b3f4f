"""Pick a tag to filter by (with how many samples carry it), or none."""
from __future__ import annotations

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
    BINDINGS = [Binding("escape", "dismiss_none", "cancel", id="tag_cancel")]

    def __init__(self, tags: list[tuple[str, int]], current: str | None, **kwargs):
        super().__init__(**kwargs)
        self.tags, self.current = tags, current

    def compose(self) -> ComposeResult:
        options = [Option("any tag", id=ANY)]
        options += [Option(f"{tag}  ({count:,})", id=tag) for tag, count in self.tags]
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

    def action_dismiss_none(self) -> None:
        self.dismiss(self.current)
