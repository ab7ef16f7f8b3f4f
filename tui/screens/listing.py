"""What the library browser and the results share: a list of samples, its marks, and its filter keys.

The keys for keeping and getting sounds out (marks, your tags, collections, export, file URIs)
act on the marked samples of the list, or on the one under the cursor; the writes run on a
worker (:mod:`soundalike.tui.writes`). The tag picker and the optional columns are the same on
both; each screen binds its other filter keys itself (the browser narrows its listing, the
results ask again).
"""

from __future__ import annotations

import logging
import os

from soundalike.engine import paths
from soundalike.engine.config import TuiSettings
from soundalike.engine.library.browse import SampleRow
from soundalike.tui.clipboard import copy_with_tool
from soundalike.tui.export import export_files, uri_list
from soundalike.tui.filters import FilterState
from soundalike.tui.keys import bindings
from soundalike.tui.screens.base import AppScreen
from soundalike.tui.screens.prompt import Prompt
from soundalike.tui.screens.tag_picker import TagPicker
from soundalike.tui.widgets.columns import COLUMNS
from soundalike.tui.widgets.sample_list import SampleList

log = logging.getLogger(__name__)


class ListingScreen(AppScreen):
    BINDINGS = bindings("mark", "unmark", "user_tag", "collect", "export", "copy_uris", "tag", "columns")

    # --- what each listing screen says ---------------------------------------------------------
    def filters(self) -> FilterState:
        """The filters the listing shows now."""
        raise NotImplementedError

    def set_tag(self, tag: str | None) -> None:
        """Narrow the listing to ``tag`` (None: any tag)."""
        raise NotImplementedError

    def show_header(self) -> None:
        """The column header, for the list's width and columns."""
        raise NotImplementedError

    # --- the list -----------------------------------------------------------------------------
    def current_sample(self) -> SampleRow | None:
        return self.query_one(SampleList).current

    def selection(self) -> list[SampleRow]:
        """The marked samples, else the one under the cursor."""
        return self.query_one(SampleList).selection()

    def action_toggle_columns(self) -> None:
        """Show or hide the optional columns ([tui] columns: rate, bit depth, channels)."""
        lst = self.query_one(SampleList)
        settings = self.app.settings.tui
        lst.extra = () if lst.extra else tuple(c for c in (settings.columns or COLUMNS) if c in COLUMNS)
        self.show_header()
        lst.refresh()

    def action_filter_tag(self) -> None:
        tags = self.app.library.browse.tag_counts(self.app.settings.tui.tag_min_score)
        if not tags:
            self.app.notify("No tags yet: the enabled backends give none, or nothing is indexed", timeout=4)
            return
        self.app.push_screen(TagPicker(tags, self.filters().tag), self.set_tag)

    # --- keeping ------------------------------------------------------------------------------
    def action_mark(self) -> None:
        self.query_one(SampleList).toggle_mark()

    def action_unmark(self) -> None:
        lst = self.query_one(SampleList)
        if lst.marked:
            count = len(lst.marked)
            lst.marked.clear()
            lst.refresh()
            self.app.notify(f"Unmarked {count}", timeout=2)

    def action_user_tag(self) -> None:
        chosen = self.selection()
        if not chosen:
            return
        known = [tag for tag, _ in self.app.library.browse.user_tags()]
        what = f"{len(chosen)} samples" if len(chosen) > 1 else os.path.basename(chosen[0].path)
        self.app.push_screen(
            Prompt(f"your tag for {what}", "a tag; -tag removes it", known),
            lambda text: self._apply_user_tag(chosen, text),
        )

    def action_collect(self) -> None:
        chosen = self.selection()
        if not chosen:
            return
        known = [name for name, _ in self.app.library.browse.collections()]
        self.app.push_screen(
            Prompt(f"add {len(chosen)} to the collection", "collection name (new or existing)", known),
            lambda text: self._apply_collect(chosen, text),
        )

    def action_export(self) -> None:
        chosen = self.selection()
        if not chosen:
            return
        settings = self.app.settings.tui
        folder = settings.project_folder or TuiSettings.project_folder
        try:
            report = export_files([row.path for row in chosen], folder, settings.export_mode, settings.export_format)
        except (ValueError, OSError) as e:
            self.app.notify(
                f"Can't export into {folder}: {e} ([tui] project_folder in {paths.user_config_file()})",
                severity="warning",
                timeout=8,
            )
            return
        where = (
            ""
            if folder != TuiSettings.project_folder
            else f" (to change it: [tui] project_folder in {paths.user_config_file()})"
        )
        self.app.notify(
            report.summary(folder, settings.export_mode) + where,
            severity="warning" if report.failed else "information",
            timeout=6,
        )

    def action_copy_uris(self) -> None:
        chosen = self.selection()
        if not chosen:
            return
        text = uri_list([row.path for row in chosen])
        self.app.copy_to_clipboard(text)
        how = "" if copy_with_tool(text, "text/uri-list") else " (through the terminal, as text)"
        self.app.notify(
            f"Copied {len(chosen)} file URI{'' if len(chosen) == 1 else 's'}{how}: paste into a "
            "file manager or a DAW's browser",
            timeout=4,
        )

    def _apply_user_tag(self, chosen: list[SampleRow], text: str | None) -> None:
        if not text:
            return
        remove, library, ids = text.startswith("-"), self.app.library, [row.id for row in chosen]

        def write() -> str:
            return library.tag_samples(ids, text.lstrip("-"), remove=remove)

        def done(tag: str) -> None:
            self.app.notify(
                f"{'Removed' if remove else 'Tagged'} {tag!r} {'from' if remove else 'on'} "
                f"{len(chosen)} sample{'' if len(chosen) == 1 else 's'}",
                timeout=3,
            )
            self._after_change()

        self.app.writes.submit(f"{'untag' if remove else 'tag'} {_count(chosen)}", write, done)

    def _apply_collect(self, chosen: list[SampleRow], name: str | None) -> None:
        if not name:
            return
        library, ids, asked = self.app.library, [row.id for row in chosen], name

        def write() -> str:
            return library.add_to_collection(asked, ids)

        def done(collection: str) -> None:
            self.app.notify(f"Added {len(chosen)} to {collection!r} (under collections in the tree)", timeout=3)
            self._after_change()

        self.app.writes.submit(f"add {_count(chosen)} to {asked!r}", write, done)

    def _after_change(self) -> None:
        """Your tags and collections changed: the list shows them, the tree lists the collections."""
        self.refresh_sample(0)
        self.app.load_folders()


def _count(chosen: list[SampleRow]) -> str:
    return os.path.basename(chosen[0].path) if len(chosen) == 1 else f"{len(chosen)} samples"
