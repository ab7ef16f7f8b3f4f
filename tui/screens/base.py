"""What every screen of the app's own has: the sample under a cursor, and the keys that act on it.

The keys (play, similar, star, copy the path, a kit around it, the drum map, back) are this
screen's bindings and actions, so every screen that shows samples (the browser, the results, the
kit, the map) has them; a screen says which sample they act on by answering ``current_sample``,
and what the map shows by answering ``map_scope``. A screen without a sample under a cursor keeps
the defaults. ``app`` is declared for the type checker only (Textual's own property returns it at
run time), so a screen's ``self.app.clips`` is checked like any attribute.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from textual.binding import Binding
from textual.screen import Screen

from soundalike.engine.errors import SoundalikeError
from soundalike.engine.library.browse import LibraryBrowse, SampleRow
from soundalike.tui import results_query
from soundalike.tui.clipboard import copy_with_tool
from soundalike.tui.keys import bindings
from soundalike.tui.results_query import ResultsQuery
from soundalike.tui.widgets.status_bar import StatusBar
from soundalike.tui.writes import toggle_favourite

if TYPE_CHECKING:
    from textual import getters

    from soundalike.engine.musical.analysis import Musical
    from soundalike.tui.app import SoundalikeApp

log = logging.getLogger(__name__)


def sample_facts(browse: LibraryBrowse, sample: SampleRow | None) -> tuple[dict[str, dict[str, float]], Musical | None]:
    """The tags and musical facts the detail pane shows for ``sample``; none while they cannot be
    read (a shared catalog's server out of reach: the list and searches go on meanwhile)."""
    if sample is None:
        return {}, None
    try:
        return browse.tags(sample.id), browse.musical([sample.id]).get(sample.id)
    except SoundalikeError as e:
        log.info("facts of %s not shown: %s", sample.path, e)
        return {}, None


class AppScreen(Screen):
    # Down in a search box (which has no use for it) goes on to the list below; where a list or a
    # map has the focus, its own down comes first.
    BINDINGS = [
        Binding("down", "leave_search", "to the list", show=False),
        *bindings("play", "similar", "favourite", "copy", "kit", "map", "back"),
    ]

    if TYPE_CHECKING:  # Textual's own way to type a node's app (textual.getters.app)
        app = getters.app(SoundalikeApp)

    def current_sample(self) -> SampleRow | None:
        """The sample the keys act on (play, similar, star), if any."""
        return None

    def refresh_sample(self, sample_id: int) -> None:
        """A sample was changed from here (a star, a tag): show it again."""

    def map_scope(self) -> tuple[np.ndarray | None, str]:
        """The sample ids the drum map shows from here, and their name (None: the whole library)."""
        return None, "the library"

    def action_leave_search(self) -> None:
        """Down in the screen's search box: on to its list (screens with a search box say how)."""

    def on_screen_resume(self) -> None:
        """Back in front: the status bar catches up with what changed while this screen was away
        (a screen made once and reused, such as the results, misses the updates in between)."""
        for bar in self.query(StatusBar):
            bar.show_state(self.app.status_state)

    # --- the sample under the cursor ----------------------------------------------------------
    def action_play(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        if sample.status != "ok":
            self.app.notify(
                f"Can't play {Path(sample.path).name}: {sample.status} ({sample.reason})", severity="warning"
            )
            return
        if not self.app.player.available:
            self.app.notify(f"Audition is off: {self.app.player.reason}", severity="warning")
            return
        self.app.audition(sample)

    def action_similar(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        if sample.status != "ok":
            self.app.notify(
                f"{Path(sample.path).name} is not indexed ({sample.status}: {sample.reason})", severity="warning"
            )
            return
        settings, library = self.app.settings.tui, self.app.library
        query = ResultsQuery(
            f"similar to {Path(sample.path).name}", sample=sample, k=settings.results, browsed=self.app.browsed_folder()
        )
        self.app.show_results(query.title, lambda: results_query.run(library, query, settings), query)

    def action_favourite(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        library, sample_id = self.app.library, sample.id
        self.app.writes.submit(
            f"{'unstar' if sample.favourite else 'star'} {Path(sample.path).name}",
            lambda: toggle_favourite(library, sample_id),
            lambda _: self.refresh_sample(sample_id),
        )

    def action_copy_path(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        self.app.copy_to_clipboard(sample.path)
        how = "" if copy_with_tool(sample.path) else " (through the terminal)"
        self.app.notify(f"Copied {sample.path}{how}", timeout=3)

    def action_kit(self) -> None:
        sample = self.current_sample()
        if sample is None:
            return
        if sample.status != "ok":
            self.app.notify(f"{Path(sample.path).name} is not indexed ({sample.status})", severity="warning")
            return
        self.app.show_kit(sample)

    def action_drum_map(self) -> None:
        self.app.show_map(*self.map_scope())

    async def action_back(self) -> None:
        """Esc: leave this screen (screens with a search box or nested views close those first)."""
        if len(self.app.screen_stack) > 1:
            self.app.pop_screen()
