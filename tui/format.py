"""Text for cells: durations, sizes, levels, and paths squeezed to a width (unicode-aware)."""

from __future__ import annotations

import os

from rich.cells import cell_len  # noqa: F401 (re-exported for tests)

from soundalike.engine.library.browse import SampleRow, readable


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.2f}s" if seconds < 10 else f"{seconds:.1f}s"
    minutes, rest = divmod(int(round(seconds)), 60)
    return f"{minutes}:{rest:02d}"


def count(number: int, noun: str) -> str:
    """ "1 sample", "2 samples", "1,204 samples"."""
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def size(num_bytes: int) -> str:
    value = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _take(text: str, width: int, from_end: bool) -> str:
    """The longest run of characters from one end of ``text`` that fits ``width`` cells."""
    chars = reversed(text) if from_end else iter(text)
    kept, used = [], 0
    for char in chars:
        used += cell_len(char)
        if used > width:
            break
        kept.append(char)
    return "".join(reversed(kept)) if from_end else "".join(kept)


def fit(text: str, width: int, keep: str = "end") -> str:
    """``text`` padded or cut to exactly ``width`` cells; cutting keeps the ``keep`` end ('start',
    'end' or 'middle'), marking the cut with an ellipsis."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length <= width:
        return text + " " * (width - length)
    if keep == "start":
        cut = _take(text, width - 1, from_end=False) + "…"
    elif keep == "middle":
        head = _take(text, (width - 1) // 2, from_end=False)
        cut = head + "…" + _take(text, width - 1 - cell_len(head), from_end=True)
    else:
        cut = "…" + _take(text, width - 1, from_end=True)
    return cut + " " * (width - cell_len(cut))


#: The fewest cells of the pack folder's name kept to show a whole file name ("Pea…").
MIN_HEAD = 4


def fit_path(path: str, width: int) -> str:
    """A relative path padded or cut to ``width`` cells, keeping its first folder (the pack) and
    its file name, and the file's own folder where there is room ("usr/…/GMRockKit/Ride-1.wav"),
    cutting the folder name only as much as the file name needs: "Pack/…/snare_01.wav", "Long Pack Na…/snare_01.wav", down to MIN_HEAD cells of it; a file
    name too long for the rest loses a part near its start ("PearlS…Room-Soft.wav")."""
    head, sep, rest = path.partition(os.sep)
    if cell_len(path) <= width or not sep or width < 12:
        return fit(path, width)
    name = os.path.basename(rest)
    parent = os.path.basename(os.path.dirname(rest))
    with_parent = head + sep + "…" + sep + parent + sep + name  # the kit folder the file sits in, when it fits
    if parent and os.path.dirname(rest) != parent and cell_len(with_parent) <= width:
        return fit(with_parent, width)
    middle = sep + "…" + sep if rest != name else sep
    head_width = max(min(cell_len(head), max(6, width // 4)), width - cell_len(middle) - cell_len(name))
    if head_width + cell_len(middle) + cell_len(name) > width >= MIN_HEAD + cell_len(middle) + cell_len(name):
        head_width = width - cell_len(middle) - cell_len(name)  # the whole file name, with less of the pack
    if cell_len(head) > head_width:
        head = _take(head, head_width - 1, from_end=False) + "…"
    tail = _take(rest if rest == name else name, width - cell_len(head) - cell_len(middle), from_end=True)
    if tail != name:  # the start says what it is, the end (kept longer) which take or layer
        room = width - cell_len(head) - cell_len(middle)
        start = _take(name, (room - 1) // 3, from_end=False)
        tail = start + "…" + _take(name, room - 1 - cell_len(start), from_end=True)
    return fit(head + middle + tail, width)


def display_path(row: SampleRow, base: str | None) -> str:
    """The sample's path relative to ``base`` (the chosen folder) or else to its root, readable
    (a name that is not UTF-8 shows its stray bytes as ``\xff``)."""
    base = base or row.root
    try:
        relative = os.path.relpath(row.path, base)
    except ValueError:
        return readable(row.path)
    return readable(row.path if relative.startswith("..") else relative)


def status_label(row: SampleRow) -> str:
    return "" if row.status == "ok" else row.status


def levels(row: SampleRow) -> str:
    if row.peak_db is None:
        return "–"
    text = f"peak {row.peak_db:.1f} dBFS, rms {row.rms_db:.1f} dBFS"
    if row.clipped:
        text += ", clipped"
    if row.silent:
        text += ", silent"
    return text
