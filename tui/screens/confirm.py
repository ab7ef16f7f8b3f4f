"""Ask yes or no before something that cannot be undone from the app (forgetting a folder)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static


class Confirm(ModalScreen[bool]):
    DEFAULT_CSS = """
    Confirm { align: center middle; }
    Confirm > Vertical { width: 70; max-width: 95%; height: auto; border: thick $warning; background: $surface;
                         padding: 0 1; }
    Confirm #keys { color: $text-muted; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "yes", id="confirm_yes"),
        Binding("n,escape", "answer(False)", "no", id="confirm_no"),
    ]

    def __init__(self, title: str, question: str, **kwargs):
        super().__init__(**kwargs)
        self.title_text, self.question = title, question

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Static(Text(self.question))
            yield Static("y: yes   n / Esc: no", id="keys")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
