"""The kit screen: a drum kit built around a sound, one row per slot, to audition, change and export.

Up/down choose a slot (the pick auditions when auto-play is on; Space plays it), left/right cycle
the slot's alternatives, ``l`` locks it, ``r`` rerolls every unlocked slot, ``w`` writes the kit
to the ``kit_folder`` of ``[tui]`` as a folder of copies, an SFZ and a Hydrogen drumkit.
"""

from __future__ import annotations

import logging
import random
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from soundalike.engine.errors import SoundalikeError
from soundalike.engine.kits.builder import Kit
from soundalike.engine.kits.export import FORMATS, export_kit
from soundalike.engine.library.browse import SampleRow
from soundalike.engine.library.query import KitQuery
from soundalike.tui.screens.base import AppScreen
from soundalike.tui.widgets.detail import DetailPane
from soundalike.tui.widgets.key_hints import KeyHints
from soundalike.tui.widgets.status_bar import StatusBar

log = logging.getLogger(__name__)

COLUMNS = ("slot", "note", "sample", "alike", "choice", "")
#: The kit screen's own keys, on the bottom line.
KEYS = (("←/→", "alternatives"), ("L", "lock"), ("r", "reroll"), ("w", "export"), ("Esc", "back"))


class KitScreen(AppScreen):
    DEFAULT_CSS = """
    KitScreen #kit-title { height: 1; background: $boost; padding: 0 1; text-style: bold; }
    KitScreen DataTable { height: 1fr; }
    KitScreen DetailPane { height: 7; }
    """
    BINDINGS = [
        Binding("left,h", "cycle(-1)", "previous"),
        Binding("right,l", "cycle(1)", "next"),
        Binding("L,x", "lock", "lock"),
        Binding("r", "reroll", "reroll"),
        Binding("w", "export", "export"),
        Binding("j", "row(1)", "next slot", show=False),
        Binding("k", "row(-1)", "previous slot", show=False),
    ]

    def __init__(self, library, seed: SampleRow, **kwargs):
        super().__init__(**kwargs)
        self.library, self.seed = library, seed
        self.kit: Kit | None = None
        self.rng = random.Random()

    def compose(self) -> ComposeResult:
        yield Static(f"kit around {Path(self.seed.path).name} — building…", id="kit-title")
        table: DataTable[str | Text] = DataTable(id="kit", cursor_type="row", zebra_stripes=True)
        table.add_columns(*COLUMNS)
        yield table
        yield DetailPane(self.app.clips, id="detail")
        yield StatusBar(self.app.status_state)
        yield KeyHints(pairs=KEYS)

    def on_mount(self) -> None:
        self.query_one(DataTable).focus()
        self.build()

    @work(thread=True, exclusive=True, group="kit")
    def build(self) -> None:
        try:
            kit = self.library.kit(KitQuery(self.seed.id))
        except (SoundalikeError, ValueError) as e:
            log.warning("kit failed: %s", e, exc_info=True)
            self.app.call_from_thread(self.app.notify, f"Couldn't build a kit: {e}", severity="error")
            return
        self.app.call_from_thread(self._show, kit)

    def _show(self, kit: Kit) -> None:
        self.kit = kit
        empty = kit.empty_slots()
        note = f"; unfilled (nothing surely tagged): {', '.join(empty)}" if empty else ""
        self.query_one("#kit-title", Static).update(
            f"kit around {Path(self.seed.path).name} — {len(kit.picks())} slots{note}"
        )
        self._fill()

    def _fill(self) -> None:
        if self.kit is None:
            return
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for choice in self.kit.slots:
            pick = choice.pick
            table.add_row(
                choice.slot.name,
                str(choice.slot.note),
                Path(pick.path).name if pick else "—",
                f"{pick.score:.2f}" if pick else "",
                f"{choice.index + 1}/{len(choice.choices)}" if pick else "",
                Text("locked", style="bold") if choice.locked else "",
            )
        table.move_cursor(row=min(row, len(self.kit.slots) - 1))
        self._selected()

    def _slot_name(self) -> str | None:
        if self.kit is None:
            return None
        return self.kit.slots[self.query_one(DataTable).cursor_row].slot.name

    def action_row(self, step: int) -> None:
        table = self.query_one(DataTable)
        table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_cycle(self, step: int) -> None:
        if self.kit is not None and (name := self._slot_name()):
            self.kit.cycle(name, step)
            self._fill()

    def action_lock(self) -> None:
        if self.kit is not None and (name := self._slot_name()):
            self.kit.toggle_lock(name)
            self._fill()

    def action_reroll(self) -> None:
        if self.kit is not None:
            self.kit.reroll(self.rng)
            self._fill()

    def action_export(self) -> None:
        if self.kit is not None:
            self._export(self.kit)

    @work(thread=True, exclusive=True, group="kit-export")
    def _export(self, kit: Kit) -> None:
        folder = Path(self.app.settings.tui.kit_folder).expanduser() / f"kit-{Path(kit.seed).stem}"
        try:
            written = [export_kit(kit, folder / fmt, fmt) for fmt in FORMATS]
        except (SoundalikeError, ValueError) as e:
            self.app.call_from_thread(self.app.notify, f"Couldn't export the kit: {e}", severity="error")
            return
        where = ", ".join(str(path.relative_to(folder)) for path in written)
        self.app.call_from_thread(self.app.notify, f"Kit written to {folder}: {where}", timeout=6)

    def action_kit(self) -> None:
        """Already a kit."""

    # --- what every screen answers ------------------------------------------------------------
    def current_sample(self) -> SampleRow | None:
        if self.kit is None:
            return None
        pick = self.kit.slots[self.query_one(DataTable).cursor_row].pick
        return pick.sample if pick else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._selected()

    def _selected(self) -> None:
        sample = self.current_sample()
        self.query_one(DetailPane).show(sample, self.library.browse.tags(sample.id) if sample else {})
        self.app.cursor_moved(sample)
