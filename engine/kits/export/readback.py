"""Read exported kits back and check them: every referenced file exists, notes and velocities fit.

Used by the CLI after an export (so a broken export is reported, not shipped) and by the tests.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from soundalike.engine.kits.export.hydrogen import NAMESPACE

_HEADER = re.compile(r"<(\w+)>")
_OPCODE = re.compile(r"(\w+)=(\S+)")


@dataclass(frozen=True)
class Zone:
    """One playable sample: the note it sits on, its file and velocity range (SFZ 1..127 or 0..1)."""

    note: int
    path: Path
    low: float
    high: float


def read_sfz(path: Path) -> list[Zone]:
    """The regions of an SFZ file (opcodes of <global> and <group> inherited, comments skipped)."""
    text = "\n".join(line.split("//", 1)[0] for line in Path(path).read_text(encoding="utf-8").splitlines())
    levels: dict[str, dict[str, str]] = {"control": {}, "global": {}, "group": {}}
    zones, header = [], None
    for token in re.split(r"(<\w+>)", text):
        match = _HEADER.fullmatch(token.strip())
        if match:
            header = match.group(1)
            if header in ("global", "group"):
                levels["group"] = {}
                levels[header] = {}
            continue
        opcodes = dict(_OPCODE.findall(token))
        if header == "region":
            zones.append(_zone({**levels["global"], **levels["group"], **opcodes}, path, levels["control"]))
        elif header in levels:
            levels[header].update(opcodes)
    return zones


def _zone(opcodes: dict[str, str], sfz_path: Path, control: dict[str, str]) -> Zone:
    base = Path(sfz_path).parent / control.get("default_path", "")
    note = int(opcodes.get("key", opcodes.get("pitch_keycenter", -1)))
    return Zone(note, base / opcodes["sample"], float(opcodes.get("lovel", 1)), float(opcodes.get("hivel", 127)))


def read_hydrogen(path: Path) -> list[Zone]:
    """The layers of a Hydrogen ``drumkit.xml``, on their instruments' ``midiOutNote``."""
    ns = {"h": NAMESPACE}
    root = ET.parse(path).getroot()
    zones: list[Zone] = []
    for inst in root.iterfind("h:instrumentList/h:instrument", ns):
        note = int(inst.findtext("h:midiOutNote", "-1", ns))
        zones.extend(
            Zone(
                note,
                Path(path).parent / layer.findtext("h:filename", "", ns),
                float(layer.findtext("h:min", "0", ns)),
                float(layer.findtext("h:max", "1", ns)),
            )
            for layer in inst.iterfind(".//h:layer", ns)
        )
    return zones


def problems(zones: list[Zone], full_range: tuple[float, float]) -> list[str]:
    """What is wrong with an export: missing files, and notes whose layers leave velocity gaps."""
    found = [f"missing file {zone.path}" for zone in zones if not zone.path.is_file()]
    for note in sorted({zone.note for zone in zones}):
        ranges = sorted((z.low, z.high) for z in zones if z.note == note)
        if ranges[0][0] > full_range[0] or ranges[-1][1] < full_range[1]:
            found.append(f"note {note}: velocities {ranges[0][0]}..{ranges[-1][1]} do not cover {full_range}")
    if not zones:
        found.append("no samples in the kit")
    return found
