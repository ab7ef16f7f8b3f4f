"""What every screen of the app's own has: the app, typed, and answers to what the app asks of the
screen in front (the sample under the cursor; show a changed sample again).

The app asks through these methods, not by looking for attributes; a screen that has no sample
under a cursor keeps the defaults. ``app`` is declared for the type checker only (Textual's own
property returns it at run time), so a screen's ``self.app.clips`` is checked like any attribute.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from textual.binding import Binding
from textual.screen import Screen

from soundalike.engine.library.browse import SampleRow
from soundalike.tui.widgets.status_bar import StatusBar

if TYPE_CHECKING:
    from textual import getters

    from soundalike.tui.app import SoundalikeApp


class AppScreen(Screen):
    # Down in a search box (which has no use for it) goes on to the list below; where a list or a
    # map has the focus, its own down comes first.
    BINDINGS = [Binding("down", "leave_search", "to the list", show=False)]

    if TYPE_CHECKING:  # Textual's own way to type a node's app (textual.getters.app)
        app = getters.app(SoundalikeApp)

    def current_sample(self) -> SampleRow | None:
        """The sample the keys act on (play, similar, star), if any."""
        return None

    def refresh_sample(self, sample_id: int) -> None:
        """A sample was changed from here (a star, a tag): show it again."""

    def action_leave_search(self) -> None:
        """Down in the screen's search box: on to its list (screens with a search box say how)."""

    def on_screen_resume(self) -> None:
        """Back in front: the status bar catches up with what changed while this screen was away
        (a screen made once and reused, such as the results, misses the updates in between)."""
        for bar in self.query(StatusBar):
            bar.show_state(self.app.status_state)
