"""The app's keys for keeping and getting sounds out: marks, user tags, collections, export.

A mixin of SoundalikeApp (it uses the app's library, settings, screens and notify): each action
works on the marked samples of the list in front, or on the one under the cursor.
"""
from __future__ import annotations

import logging
import os

from engine import user_lists
from engine.catalog import SampleRow
from tui.clipboard import copy_with_tool
from tui.export import export_files, uri_list
from tui.sample_list import SampleList
from tui.screens.prompt import Prompt

log = logging.getLogger(__name__)


class KeepingActions:
    def _list_in_front(self) -> SampleList | None:
        found = self.screen.query(SampleList)
        return found.first() if found else None

    def _selection(self) -> list[SampleRow]:
        lst = self._list_in_front()
        return lst.selection() if lst is not None else []

    def _after_change(self) -> None:
        refresh = getattr(self.screen, "refresh_sample", None)
        if refresh:
            refresh(0)
        self._load_folders()

    def action_mark(self) -> None:
        if (lst := self._list_in_front()) is not None:
            lst.toggle_mark()

    def action_unmark(self) -> None:
        if (lst := self._list_in_front()) is not None and lst.marked:
            count = len(lst.marked)
            lst.marked.clear()
            lst.refresh()
            self.notify(f"Unmarked {count}", timeout=2)

    def action_user_tag(self) -> None:
        chosen = self._selection()
        if not chosen:
            return
        known = [tag for tag, _ in user_lists.user_tags(self.library.catalog)]
        what = f"{len(chosen)} samples" if len(chosen) > 1 else os.path.basename(chosen[0].path)
        self.push_screen(Prompt(f"your tag for {what}", "a tag; -tag removes it", known),
                         lambda text: self._apply_user_tag(chosen, text))

    def _apply_user_tag(self, chosen: list[SampleRow], text: str | None) -> None:
        if not text:
            return
        remove, library, ids = text.startswith("-"), self.library, [row.id for row in chosen]

        def write() -> str:
            with library.lock.hold():
                change = user_lists.remove_user_tag if remove else user_lists.add_user_tag
                return change(library.catalog, ids, text.lstrip("-"))

        def done(tag: str) -> None:
            self.notify(f"{'Removed' if remove else 'Tagged'} {tag!r} {'from' if remove else 'on'} "
                        f"{len(chosen)} sample{'' if len(chosen) == 1 else 's'}", timeout=3)
            self._after_change()
        self.writes.submit(f"{'untag' if remove else 'tag'} {_count(chosen)}", write, done)

    def action_collect(self) -> None:
        chosen = self._selection()
        if not chosen:
            return
        known = [name for name, _ in user_lists.collections(self.library.catalog)]
        self.push_screen(Prompt(f"add {len(chosen)} to the collection", "collection name (new or existing)",
                                known), lambda text: self._apply_collect(chosen, text))

    def _apply_collect(self, chosen: list[SampleRow], name: str | None) -> None:
        if not name:
            return
        library, ids, asked = self.library, [row.id for row in chosen], name

        def write() -> str:
            with library.lock.hold():
                return user_lists.add_to_collection(library.catalog, asked, ids)

        def done(collection: str) -> None:
            self.notify(f"Added {len(chosen)} to {collection!r} (under collections in the tree)", timeout=3)
            self._after_change()
        self.writes.submit(f"add {_count(chosen)} to {asked!r}", write, done)

    def action_export(self) -> None:
        chosen = self._selection()
        if not chosen:
            return
        settings = self.settings.tui
        try:
            report = export_files([row.path for row in chosen], settings.project_folder, settings.export_mode)
        except (ValueError, OSError) as e:
            self.notify(f"Can't export: {e}", severity="warning", timeout=6)
            return
        self.notify(report.summary(settings.project_folder, settings.export_mode),
                    severity="warning" if report.failed else "information", timeout=5)

    def action_copy_uris(self) -> None:
        chosen = self._selection()
        if not chosen:
            return
        text = uri_list([row.path for row in chosen])
        self.copy_to_clipboard(text)
        how = "" if copy_with_tool(text, "text/uri-list") else " (through the terminal, as text)"
        self.notify(f"Copied {len(chosen)} file URI{'' if len(chosen) == 1 else 's'}{how}: paste into a "
                    "file manager or a DAW's browser", timeout=4)


def _count(chosen: list[SampleRow]) -> str:
    return os.path.basename(chosen[0].path) if len(chosen) == 1 else f"{len(chosen)} samples"
