"""The status bar: library size, indexing progress, backends, bridge and audio state."""

from __future__ import annotations

from dataclasses import dataclass, replace

from rich.text import Text
from textual.widgets import Static

from soundalike.bridge.events import BridgeState
from soundalike.engine.events import Progress

BAR_WIDTH = 12


def progress_bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = int(width * done / total) if total else width
    return "█" * filled + "░" * (width - filled)


def transport_detail(text: str, name: str) -> str:
    """A transport's state without its own name in front ("MIDI unavailable: …" -> "unavailable: …")."""
    return text.removeprefix(name).lstrip(": ") if text.startswith(name) else text


def short_state(text: str, name: str) -> str:
    """One word or two for the status bar; the whole sentence is in the bridge panel (``b``)."""
    detail = transport_detail(text, name).lower()
    if not detail or detail.startswith(("off", "not started", "stopped")):
        return "off"
    if detail.startswith("listening on "):
        return "on :" + detail.rsplit(":", 1)[-1]
    if "not found" in detail:
        return "no port"
    if detail.startswith(("virtual input", "input", "on", "open")):
        return "on"
    if detail.startswith("unavailable"):
        return "unavailable"
    return "error" if detail.startswith("error") else detail.split(":")[0].split("(")[0].strip()[:12]


@dataclass(frozen=True)
class StatusState:
    counts: dict[str, int]
    backends: tuple[str, ...] = ()
    progress: Progress | None = None
    bridge: BridgeState = BridgeState()
    audio: str = "starting"
    autoplay: bool = False
    playing: str = ""

    def line(self) -> Text:
        text = Text()
        total = sum(self.counts.values())
        text.append(f"{total:,} sample{'' if total == 1 else 's'}", style="bold")
        for status in ("failed", "missing", "offline"):
            if self.counts.get(status):
                text.append(f" · {self.counts[status]:,} {status}", style="red" if status == "failed" else "yellow")
        if self.progress and self.progress.done < self.progress.total:
            text.append(
                f"  indexing {progress_bar(self.progress.done, self.progress.total)} "
                f"{self.progress.done:,}/{self.progress.total:,}",
                style="cyan",
            )
        text.append(f"  │ {'+'.join(self.backends)}")
        text.append(f" │ OSC {short_state(self.bridge.osc, 'OSC')} · MIDI {short_state(self.bridge.midi, 'MIDI')}")
        audio = f"♪ {self.playing}" if self.playing else f"audio {self.audio}"
        text.append(f" │ {audio}{' · autoplay' if self.autoplay else ''}")
        return text


class StatusBar(Static):
    DEFAULT_CSS = "StatusBar { height: 1; background: $panel; color: $text; padding: 0 1; }"

    def __init__(self, state: StatusState, **kwargs):
        super().__init__(state.line(), **kwargs)
        self.state = state

    def set(self, **changes) -> None:
        self.show_state(replace(self.state, **changes))

    def show_state(self, new: StatusState) -> None:
        if new != self.state:
            self.state = new
            self.update(new.line())
