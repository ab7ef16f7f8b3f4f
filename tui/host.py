"""What the app's action mixins (:mod:`soundalike.tui.keeping`, :mod:`soundalike.tui.explore`) use of the app.

The mixins' methods take ``self: AppHost``, so the type checker sees exactly what they rely on
(mypy's way to type a mixin), and ``soundalike.tui.app`` checks that SoundalikeApp provides all of it.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from soundalike.engine.config import Settings
from soundalike.engine.library.browse import SampleRow

if TYPE_CHECKING:
    from textual.screen import Screen

    from soundalike.engine.library.facade import Library
    from soundalike.tui.results_query import ResultsQuery
    from soundalike.tui.writes import LibraryWrites


class AppHost(Protocol):
    library: Library
    settings: Settings
    writes: LibraryWrites

    @property
    def screen(self) -> Screen[Any]: ...

    def notify(self, message: str, *, markup: bool = False, **kwargs: Any) -> None: ...

    def push_screen(self, screen: Any, callback: Any = None) -> Any: ...

    def copy_to_clipboard(self, text: str) -> None: ...

    def call_from_thread(self, callback: Callable[..., Any], *args: Any, **kwargs: Any) -> Any: ...

    def run_worker(self, work: Any, *args: Any, **kwargs: Any) -> Any: ...

    def current_sample(self) -> SampleRow | None: ...

    def refresh_sample(self, sample_id: int) -> None: ...

    def show_results(self, title: str, loader: Callable[[], Any], query: ResultsQuery | None = None) -> None: ...

    def _load_folders(self) -> Any: ...

    def _play(self, sample: SampleRow) -> Any: ...
