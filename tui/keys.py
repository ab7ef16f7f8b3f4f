"""The key map: every action the app offers, its help text, and its keys from ``[tui]`` settings.

Bindings carry an id (the action's name); the app applies the configured keys through Textual's
keymap, so the help screen, the footer and the config file always agree.
"""
from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

from soundalike.engine.config import TuiSettings


@dataclass(frozen=True)
class KeyAction:
    name: str  # binding id; the setting is ``key_<name>``
    action: str  # Textual action string
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
    KeyAction("play", "app.play", "play the sample (any other key stops it)", "Listen", "play"),
    KeyAction("autoplay", "app.toggle_autoplay", "auto-play when the cursor moves", "Listen"),
    KeyAction("similar", "app.similar", "the most similar samples in the whole library", "Find", "similar"),
    KeyAction("search", "app.search", "search by name/tag as you type; Enter: text query", "Find", "search"),
    KeyAction("favourite", "app.favourite", "mark / unmark as favourite", "Keep", "fav"),
    KeyAction("copy", "app.copy_path", "copy the path to the clipboard", "Keep", "copy"),
    KeyAction("mark", "app.mark", "mark / unmark for the keys below (multi-select), then move down", "Keep"),
    KeyAction("unmark", "app.unmark", "unmark every sample", "Keep"),
    KeyAction("user_tag", "app.user_tag", "add your own tag to the marked samples; -tag removes it", "Keep"),
    KeyAction("collect", "app.collect", "add the marked samples to a collection (the tree lists them)", "Keep"),
    KeyAction("export", "app.export", "copy (or link) the samples into [tui] project_folder", "Keep"),
    KeyAction("copy_uris", "app.copy_uris", "copy the samples as a file URI list (paste into a file manager)",
              "Keep"),
    KeyAction("tag", "app.filter_tag", "filter by tag (yours too)", "Filter"),
    KeyAction("duration", "app.cycle('duration')", "duration: any, short, medium, long", "Filter"),
    KeyAction("kind", "app.cycle('kind')", "all, one-shots, loops", "Filter"),
    KeyAction("favourites_only", "app.cycle('favourites')", "favourites only", "Filter"),
    KeyAction("status", "app.cycle('status')", "status: all, ok, failed, missing, offline", "Filter"),
    KeyAction("fits", "app.fit_musically", "only samples that fit this one: its tempo and compatible keys "
              "(a loop), its root (a one-shot)", "Filter"),
    KeyAction("clear", "app.clear_filters", "clear every filter", "Filter"),
    KeyAction("expand", "app.toggle_group", "open / close the copies and velocity layers folded into a row",
              "Results"),
    KeyAction("collapse", "app.cycle('collapse')", "fold copies and layers into one row, or list each file",
              "Results"),
    KeyAction("scope", "app.cycle('scope')", "from: everywhere, other packs, other folders, the same pack, the browsed folder",
              "Results"),
    KeyAction("aspect", "app.cycle('aspect')", "alike in: overall, then each aspect (timbre, envelope, pitch)",
              "Results"),
    KeyAction("sort", "app.sort", "sort: the library by name, BPM, key; results by score, name, length, date added, tag",
              "Results"),
    KeyAction("columns", "app.toggle_columns", "show / hide the rate, bit depth and channels columns", "Filter"),
    KeyAction("kit", "app.kit", "build a drum kit around the sample (←/→ alternatives, L lock, r reroll, w export)",
              "Explore"),
    KeyAction("map", "app.drum_map", "drum map of the library, the filtered folder/tag, or these results",
              "Explore"),
    KeyAction("listen", "app.listen", "record a sound from the input device and find what sounds like it",
              "Explore"),
    KeyAction("bridge", "app.toggle_bridge", "show / hide OSC & MIDI activity", "App"),
    KeyAction("back", "app.back", "stop; leave search, results or help", "App"),
    KeyAction("help", "app.help", "this help", "App", "help"),
    KeyAction("quit", "app.quit", "quit", "App", "quit"),
    KeyAction("forget", "forget_folder", "forget the library folder under the tree's cursor: its samples leave the "
              "library, its files stay on disk (asks first)", "Library"),
)

#: Actions handled by the list widgets (cursor movement); the rest are app-wide.
LIST_ACTIONS = frozenset({"down", "up", "page_down", "page_up", "first", "last"})
#: Actions the browser screen handles itself (its folder tree).
BROWSER_ACTIONS = frozenset({"forget"})


def keys_for(settings: TuiSettings, name: str) -> tuple[str, ...]:
    return tuple(getattr(settings, f"key_{name}"))


def keymap(settings: TuiSettings) -> dict[str, str]:
    """Binding id -> comma-separated keys, for ``App.set_keymap``."""
    return {a.name: ",".join(keys_for(settings, a.name)) for a in ACTIONS}


def bindings(names: frozenset[str] | None = None, exclude: frozenset[str] = frozenset()) -> list[BindingType]:
    """Bindings for the named actions (default keys; the app's keymap applies the configured ones)."""
    defaults = TuiSettings()
    chosen = [a for a in ACTIONS if (names is None or a.name in names) and a.name not in exclude]
    return [Binding(",".join(keys_for(defaults, a.name)), a.action, a.footer or a.help, show=bool(a.footer),
                    id=a.name) for a in chosen]


_PRETTY = {"space": "Space", "enter": "Enter", "escape": "Esc", "slash": "/", "question_mark": "?",
           "pagedown": "PgDn", "pageup": "PgUp", "home": "Home", "end": "End", "up": "↑", "down": "↓",
           "asterisk": "*", "tab": "Tab", "right": "→", "left": "←"}


def pretty(key: str) -> str:
    if key.startswith("ctrl+"):
        return "Ctrl+" + pretty(key[5:])
    return _PRETTY.get(key, key)


def help_rows(settings: TuiSettings) -> list[tuple[str, str, str]]:
    """(group, keys as shown, what it does) for every action, in the order of ACTIONS."""
    return [(a.group, " ".join(pretty(k) for k in keys_for(settings, a.name)), a.help) for a in ACTIONS]
