"""The detail pane: waveform, audio facts, tags, status and path of the sample under the cursor."""

from __future__ import annotations

import logging
import os

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static
from textual.worker import get_current_worker

from soundalike.engine.errors import FileError
from soundalike.engine.library.browse import SampleRow, readable
from soundalike.engine.tags import TAG_CONFIDENCE, scored_labels
from soundalike.tui import format as fmt
from soundalike.tui.sound.clips import ClipCache
from soundalike.tui.widgets import waveform

log = logging.getLogger(__name__)

WAVE_HEIGHT = 3


def facts_lines(
    sample: SampleRow,
    tags: dict[str, dict[str, float]],
    width: int,
    musical=None,
    tag_confidence: float = TAG_CONFIDENCE,
) -> Text:
    """Name, path, status, format, levels, musical facts and tags (an unsure one as "tom?"): one line
    each, cut to ``width``."""
    lines: list[tuple[str, str]] = [
        (fmt.fit(("★ " if sample.favourite else "") + readable(os.path.basename(sample.path)), width), "bold"),
        (fmt.fit(readable(sample.path), width, keep="middle"), "dim"),
    ]
    if sample.status != "ok":
        style = "bold red" if sample.status == "failed" else "yellow"
        lines.append((fmt.fit(f"{sample.status}: {sample.reason or 'no reason recorded'}", width, "start"), style))
    if sample.format:
        channels = {1: "mono", 2: "stereo"}.get(sample.channels or 0, f"{sample.channels} ch")
        lines.append(
            (
                fmt.fit(
                    f"{fmt.duration(sample.duration)} · {sample.format} · {sample.sample_rate} Hz · "
                    f"{channels} · {fmt.size(sample.size)} · {fmt.levels(sample)}",
                    width,
                    "start",
                ),
                "",
            )
        )
    if musical is not None:
        lines.append((fmt.fit(musical_line(musical), width, "start"), ""))
    for source, scores in tags.items():
        best = scored_labels(scores, tag_confidence, limit=4, floor=0.05)
        if best:
            lines.append((fmt.fit(f"tags ({source}): " + ", ".join(best), width, "start"), ""))
    text = Text(no_wrap=True, overflow="crop")
    for number, (line, style) in enumerate(lines):
        text.append(("\n" if number else "") + line.rstrip(), style=style)
    return text


def musical_line(facts) -> str:
    """ "loop 92% · 120 BPM (or 60) · key Am (name)", "one-shot · root C#2", "one-shot · chord Am7",
    or why it is unknown."""
    if facts.kind is None:
        reason = next((n for n in facts.notes if n.startswith(("kind unknown", "unknown"))), "")
        return f"kind unknown{': ' + reason.split(': ', 1)[-1] if reason else ''}"
    parts = [f"{facts.kind} {facts.kind_confidence:.0%}"]
    if facts.bpm:
        alternative = f" (or {facts.bpm_alternative:g})" if facts.bpm_alternative else ""
        parts.append(f"{facts.bpm:g} BPM{alternative}" + (" (name)" if facts.bpm_source == "name" else ""))
    if facts.chord:
        parts.append(f"chord {facts.chord}" + (" (name)" if facts.key_source == "name" else ""))
    elif facts.key is not None:
        parts.append(f"key {facts.key_name}" + (" (name)" if facts.key_source == "name" else ""))
    if facts.root is not None and not facts.chord:
        parts.append(f"root {facts.root_name}" + (" (name)" if facts.root_source == "name" else ""))
    return " · ".join(parts)


class DetailPane(Vertical):
    DEFAULT_CSS = """
    DetailPane { height: 9; border-top: solid $primary; padding: 0 1; }
    DetailPane #wave { height: 3; color: $accent; }
    DetailPane #facts { height: 5; }
    """

    def __init__(self, clips: ClipCache, **kwargs):
        super().__init__(**kwargs)
        self.clips = clips
        self._shown: tuple[int, float] | None = None
        self._last: tuple | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="wave")
        yield Static("", id="facts")

    def show(self, sample: SampleRow | None, tags: dict[str, dict[str, float]], musical=None) -> None:
        facts = self.query_one("#facts", Static)
        self._last = (sample, tags, musical)
        if sample is None:
            facts.update(Text("no samples here: change the filters (x clears them) or add a folder", style="dim"))
            self.query_one("#wave", Static).update("")
            self._shown = None
            return
        facts.update(facts_lines(sample, tags, self._width(), musical))
        key = (sample.id, sample.mtime)
        if key != self._shown:
            self._shown = key
            self.query_one("#wave", Static).update("")
            if sample.status == "ok":
                self._load_wave(sample, self._width())

    def _width(self) -> int:
        return max(10, (self.size.width or self.app.size.width) - 2)

    def on_resize(self) -> None:
        if self._last is not None:
            self._shown = None
            self.show(*self._last)

    @work(thread=True, exclusive=True, group="waveform")
    def _load_wave(self, sample: SampleRow, width: int) -> None:
        try:
            lines = waveform.render(self.clips.get(sample).samples, width, WAVE_HEIGHT)
        except FileError as e:
            log.info("no waveform for %s: %s", sample.path, e)
            lines = [f"(no waveform: {e})"]
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._set_wave, sample.id, "\n".join(lines))

    def _set_wave(self, sample_id: int, text: str) -> None:
        if self._shown and self._shown[0] == sample_id:
            self.query_one("#wave", Static).update(Text(text))
