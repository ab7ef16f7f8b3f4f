"""The bottom line of key hints, from the configured keys or a screen's own (a plain Static: cheap to show)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Static

from soundalike.engine.config import TuiSettings
from soundalike.tui.keys import ACTIONS, keys_for, pretty


def hint_text(pairs: Iterable[tuple[str, str]]) -> Text:
    """`` key  what it does `` for each (key, label), the key in reverse video."""
    text = Text()
    for key, label in pairs:
        text.append(f" {key} ", style="bold reverse")
        text.append(f" {label} ")
    return text


def hints(settings: TuiSettings) -> Text:
    return hint_text((pretty(keys_for(settings, action.name)[0]), action.footer) for action in ACTIONS if action.footer)


class KeyHints(Static):
    """The app's keys (``settings``), or a screen's own (``pairs`` of key and label)."""

    DEFAULT_CSS = "KeyHints { height: 1; background: $panel-darken-1; color: $text-muted; }"

    def __init__(self, settings: TuiSettings | None = None, pairs: Iterable[tuple[str, str]] = (), **kwargs):
        super().__init__(hints(settings) if settings is not None else hint_text(pairs), **kwargs)
