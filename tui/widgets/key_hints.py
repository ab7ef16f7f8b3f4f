"""The bottom line of key hints, from the configured keys (a plain Static: cheap to show)."""
from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from soundalike.engine.config import TuiSettings
from soundalike.tui.keys import ACTIONS, keys_for, pretty


def hints(settings: TuiSettings) -> Text:
    text = Text()
    for action in ACTIONS:
        if action.footer:
            text.append(f" {pretty(keys_for(settings, action.name)[0])} ", style="bold reverse")
            text.append(f" {action.footer} ")
    return text


class KeyHints(Static):
    DEFAULT_CSS = "KeyHints { height: 1; background: $panel-darken-1; color: $text-muted; }"

    def __init__(self, settings: TuiSettings, **kwargs):
        super().__init__(hints(settings), **kwargs)
