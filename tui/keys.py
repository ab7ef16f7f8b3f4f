"""The key map: every action the app offers, its help text, and its keys from ``[tui]`` settings.

Each part binds the keys it acts on, with ``BINDINGS = bindings(...)`` naming them here: the app
the app-wide ones (auto-play, listen, help, quit), every screen of its own the sample under the
cursor (:class:`~soundalike.tui.screens.base.AppScreen`), the browser and the results their lists,
marks and filters (:class:`~soundalike.tui.screens.listing.ListingScreen`), the sample list its
cursor. A binding's action runs on the part that binds it. Bindings carry an id (the action's
name); the app applies the configured keys through Textual's keymap to all of them, so the help
screen, the footer and the config file always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

from soundalike.engine.config import TuiSettings


@dataclass(frozen=True)
class KeyAction:
    name: str  # binding id; the setting is ``key_<name>``
    action: str  # Textual action string, run on the part that binds it
    help: str
    group: str
    footer: str = ""  # short label in the footer; empty: not shown there


ACTIONS: tuple[KeyAction, ...] = (
    KeyAction("down", "cursor(1)", "next sample", "Move"),
    KeyAction("up", "cursor(-1)", "previous sample", "Move"),
    KeyAction("page_down", "page(1)", "page down", "Move"),
    KeyAction("page_up", "page(-1)", "page up", "Move"),
    KeyAction("first", "jump(0)", "first sample", "Move"),
    KeyAction("last", "jump(-1)", "last sample", "Move"),
    KeyAction("play", "play", "play the sample (any other key stops it)", "Listen", "play"),
    KeyAction("autoplay", "toggle_autoplay", "auto-play when the cursor moves", "Listen"),
    KeyAction("similar", "similar", "the most similar samples in the whole library", "Find", "similar"),
    KeyAction("search", "search", "search by name/tag as you type; Enter: text query", "Find", "search"),
    KeyAction("favourite", "favourite", "mark / unmark as favourite", "Keep", "fav"),
    KeyAction("copy", "copy_path", "copy the path to the clipboard", "Keep", "copy"),
    KeyAction("mark", "mark", "mark / unmark for the keys below (multi-select), then move down", "Keep"),
    KeyAction("unmark", "unmark", "unmark every sample", "Keep"),
    KeyAction("user_tag", "user_tag", "add your own tag to the marked samples; -tag removes it", "Keep"),
    KeyAction("collect", "collect", "add the marked samples to a collection (the tree lists them)", "Keep"),
    KeyAction("export", "export", "copy (or link) the samples into [tui] project_folder", "Keep"),
    KeyAction("copy_uris", "copy_uris", "copy the samples as a file URI list (paste into a file manager)", "Keep"),
    KeyAction("tag", "filter_tag", "filter by tag (yours too)", "Filter"),
    KeyAction("duration", "cycle('duration')", "duration: any, short, medium, long", "Filter"),
    KeyAction("kind", "cycle('kind')", "all, one-shots, loops", "Filter"),
    KeyAction("favourites_only", "cycle('favourites')", "favourites only", "Filter"),
    KeyAction("status", "cycle('status')", "status: all, ok, failed, missing, offline", "Filter"),
    KeyAction(
        "fits",
        "fit_musically",
        "only samples that fit this one: its tempo and compatible keys (a loop), its root (a one-shot)",
        "Filter",
    ),
    KeyAction("clear", "clear_filters", "clear every filter", "Filter"),
    KeyAction("expand", "toggle_group", "open / close the copies and velocity layers folded into a row", "Results"),
    KeyAction("collapse", "cycle('collapse')", "fold copies and layers into one row, or list each file", "Results"),
    KeyAction(
        "scope",
        "cycle('scope')",
        "from: everywhere, other packs, other folders, the same pack, the browsed folder",
        "Results",
    ),
    KeyAction("aspect", "cycle('aspect')", "alike in: overall, then each aspect (timbre, envelope, pitch)", "Results"),
    KeyAction(
        "sort",
        "sort",
        "sort: the library by name, BPM, key; results by score, name, length, date added, tag",
        "Results",
    ),
    KeyAction("columns", "toggle_columns", "show / hide the rate, bit depth and channels columns", "Filter"),
    KeyAction(
        "kit", "kit", "build a drum kit around the sample (←/→ alternatives, L lock, r reroll, w export)", "Explore"
    ),
    KeyAction("map", "drum_map", "drum map of the library, the filtered folder/tag, or these results", "Explore"),
    KeyAction("listen", "listen", "record a sound from the input device and find what sounds like it", "Explore"),
    KeyAction("bridge", "toggle_bridge", "show / hide OSC & MIDI activity", "App"),
    KeyAction("back", "back", "stop; leave search, results or help", "App"),
    KeyAction("help", "help", "this help", "App", "help"),
    KeyAction("quit", "quit", "quit", "App", "quit"),
    KeyAction(
        "forget",
        "forget_folder",
        "forget the library folder under the tree's cursor: its samples leave the "
        "library, its files stay on disk (asks first)",
        "Library",
    ),
)


def keys_for(settings: TuiSettings, name: str) -> tuple[str, ...]:
    return tuple(getattr(settings, f"key_{name}"))


def keymap(settings: TuiSettings) -> dict[str, str]:
    """Binding id -> comma-separated keys, for ``App.set_keymap``."""
    return {a.name: ",".join(keys_for(settings, a.name)) for a in ACTIONS}


BY_NAME = {a.name: a for a in ACTIONS}


def bindings(*names: str) -> list[BindingType]:
    """Bindings for the named actions, in that order (default keys; the app's keymap applies the
    configured ones). A name not in ACTIONS is a KeyError."""
    defaults = TuiSettings()
    chosen = [BY_NAME[name] for name in names]
    return [
        Binding(",".join(keys_for(defaults, a.name)), a.action, a.footer or a.help, show=bool(a.footer), id=a.name)
        for a in chosen
    ]


_PRETTY = {
    "space": "Space",
    "enter": "Enter",
    "escape": "Esc",
    "slash": "/",
    "question_mark": "?",
    "pagedown": "PgDn",
    "pageup": "PgUp",
    "home": "Home",
    "end": "End",
    "up": "↑",
    "down": "↓",
    "asterisk": "*",
    "tab": "Tab",
    "right": "→",
    "left": "←",
}


def pretty(key: str) -> str:
    if key.startswith("ctrl+"):
        return "Ctrl+" + pretty(key[5:])
    return _PRETTY.get(key, key)


def help_rows(settings: TuiSettings) -> list[tuple[str, str, str]]:
    """(group, keys as shown, what it does) for every action, in the order of ACTIONS."""
    return [(a.group, " ".join(pretty(k) for k in keys_for(settings, a.name)), a.help) for a in ACTIONS]
