"""The app's keys for keeping and getting sounds out: marks, user tags, collections, export.

A mixin of SoundalikeApp; what it uses of the app is :class:`soundalike.tui.host.AppHost`. Each action
works on the marked samples of the list in front, or on the one under the cursor. Writes run on
a worker (:mod:`soundalike.tui.writes`).
"""
from __future__ import annotations

import logging
import os

from soundalike.engine import paths
from soundalike.engine.config import TuiSettings
from soundalike.engine.library.browse import SampleRow
from soundalike.tui.clipboard import copy_with_tool
from soundalike.tui.export import export_files, uri_list
from soundalike.tui.host import AppHost
from soundalike.tui.screens.prompt import Prompt
from soundalike.tui.widgets.sample_list import SampleList

log = logging.getLogger(__name__)


def list_in_front(app: AppHost) -> SampleList | None:
    found = app.screen.query(SampleList)
    return found.first() if found else None


def selection(app: AppHost) -> list[SampleRow]:
    lst = list_in_front(app)
    return lst.selection() if lst is not None else []


def after_change(app: AppHost) -> None:
    app.refresh_sample(0)
    app._load_folders()


class KeepingActions:
    def action_mark(self: AppHost) -> None:
        if (lst := list_in_front(self)) is not None:
            lst.toggle_mark()

    def action_unmark(self: AppHost) -> None:
        if (lst := list_in_front(self)) is not None and lst.marked:
            count = len(lst.marked)
            lst.marked.clear()
            lst.refresh()
            self.notify(f"Unmarked {count}", timeout=2)

    def action_user_tag(self: AppHost) -> None:
        chosen = selection(self)
        if not chosen:
            return
        known = [tag for tag, _ in self.library.browse.user_tags()]
        what = f"{len(chosen)} samples" if len(chosen) > 1 else os.path.basename(chosen[0].path)
        self.push_screen(Prompt(f"your tag for {what}", "a tag; -tag removes it", known),
                         lambda text: apply_user_tag(self, chosen, text))

    def action_collect(self: AppHost) -> None:
        chosen = selection(self)
        if not chosen:
            return
        known = [name for name, _ in self.library.browse.collections()]
        self.push_screen(Prompt(f"add {len(chosen)} to the collection", "collection name (new or existing)",
                                known), lambda text: apply_collect(self, chosen, text))

    def action_export(self: AppHost) -> None:
        chosen = selection(self)
        if not chosen:
            return
        settings = self.settings.tui
        folder = settings.project_folder or TuiSettings.project_folder
        try:
            report = export_files([row.path for row in chosen], folder, settings.export_mode, settings.export_format)
        except (ValueError, OSError) as e:
            self.notify(f"Can't export into {folder}: {e} ([tui] project_folder in {paths.user_config_file()})",
                        severity="warning", timeout=8)
            return
        where = "" if folder != TuiSettings.project_folder else \
            f" (to change it: [tui] project_folder in {paths.user_config_file()})"
        self.notify(report.summary(folder, settings.export_mode) + where,
                    severity="warning" if report.failed else "information", timeout=6)

    def action_copy_uris(self: AppHost) -> None:
        chosen = selection(self)
        if not chosen:
            return
        text = uri_list([row.path for row in chosen])
        self.copy_to_clipboard(text)
        how = "" if copy_with_tool(text, "text/uri-list") else " (through the terminal, as text)"
        self.notify(f"Copied {len(chosen)} file URI{'' if len(chosen) == 1 else 's'}{how}: paste into a "
                    "file manager or a DAW's browser", timeout=4)


def _count(chosen: list[SampleRow]) -> str:
    return os.path.basename(chosen[0].path) if len(chosen) == 1 else f"{len(chosen)} samples"


def apply_user_tag(app: AppHost, chosen: list[SampleRow], text: str | None) -> None:
    if not text:
        return
    remove, library, ids = text.startswith("-"), app.library, [row.id for row in chosen]

    def write() -> str:
        return library.tag_samples(ids, text.lstrip("-"), remove=remove)

    def done(tag: str) -> None:
        app.notify(f"{'Removed' if remove else 'Tagged'} {tag!r} {'from' if remove else 'on'} "
                   f"{len(chosen)} sample{'' if len(chosen) == 1 else 's'}", timeout=3)
        after_change(app)

    app.writes.submit(f"{'untag' if remove else 'tag'} {_count(chosen)}", write, done)


def apply_collect(app: AppHost, chosen: list[SampleRow], name: str | None) -> None:
    if not name:
        return
    library, ids, asked = app.library, [row.id for row in chosen], name

    def write() -> str:
        return library.add_to_collection(asked, ids)

    def done(collection: str) -> None:
        app.notify(f"Added {len(chosen)} to {collection!r} (under collections in the tree)", timeout=3)
        after_change(app)

    app.writes.submit(f"add {_count(chosen)} to {asked!r}", write, done)
