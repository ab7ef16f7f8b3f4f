"""Ask for one line (a tag, a collection name), showing the names already in use."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class Prompt(ModalScreen[str | None]):
    DEFAULT_CSS = """
    Prompt { align: center middle; }
    Prompt > Vertical { width: 64; max-width: 95%; height: auto; border: thick $accent; background: $surface;
                        padding: 0 1; }
    Prompt #known { color: $text-muted; height: auto; max-height: 6; }
    """
    BINDINGS = [Binding("escape", "cancel", "cancel", id="prompt_cancel")]

    def __init__(self, title: str, hint: str, known: list[str], **kwargs):
        super().__init__(**kwargs)
        self.title_text, self.hint, self.known = title, hint, known

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            yield Input(placeholder=self.hint)
            shown = ", ".join(self.known[:30]) + (" …" if len(self.known) > 30 else "")
            yield Static(Text(f"in use: {shown}" if self.known else "none yet"), id="known")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
