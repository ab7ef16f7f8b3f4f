"""A kit as an SFZ instrument: ``kit.sfz`` plus ``samples/``, on the General MIDI drum map.

Each slot is a ``<group>`` on its GM note; where the pick has velocity siblings in its folder
(``Kick-Soft.wav``, ``Kick-Hard.wav``...) each becomes a region with its share of the velocity
range, softest lowest. Samples play through (``loop_mode=one_shot``), and the open hat is choked
by the closed hat (``group``/``off_by``), as on a drum machine.
"""

from __future__ import annotations

from pathlib import Path

from soundalike.engine.kits.builder import Kit
from soundalike.engine.kits.export.common import numbered_picks, safe_name, slot_file_name, velocity_layers
from soundalike.engine.kits.export.safe_folder import SafeFolder

SAMPLES = "samples"
CHOKE = {"closed hat": "group=1", "open hat": "group=2 off_by=1"}


def velocity_range(low: float, high: float) -> tuple[int, int]:
    """0..1 shares as SFZ lovel/hivel (1..127, adjoining, covering the whole range)."""
    return (1 if low <= 0 else int(round(low * 127)) + 1), int(round(high * 127))


def export(kit: Kit, folder: SafeFolder) -> Path:
    with folder.subfolder(SAMPLES) as samples:
        lines = _write(kit, samples)
    return folder.write_text("kit.sfz", "\n".join(lines) + "\n")


def _write(kit: Kit, samples: SafeFolder) -> list[str]:
    lines = [
        f"// soundalike kit around {Path(kit.seed).name} ({kit.backend}), General MIDI drum notes",
        "<control>",
        f"default_path={SAMPLES}/",
        "",
        "<global>",
        "loop_mode=one_shot",
        "ampeg_release=0.05",
    ]
    for number, slot, source in numbered_picks(kit):
        layers = velocity_layers(source)
        lines += ["", f"// {number:02d} {slot.name}", f"<group> key={slot.note} {CHOKE.get(slot.name, '')}".rstrip()]
        for layer_number, layer in enumerate(layers, 1):
            name = slot_file_name(number, slot, layer.path)
            if len(layers) > 1:
                name = f"{number:02d}-{safe_name(slot.name)}-v{layer_number}-{safe_name(Path(layer.path).name)}"
            samples.copy_from(layer.path, name)
            low, high = velocity_range(layer.low, layer.high)
            lines.append(f"<region> sample={name} lovel={low} hivel={high}")
    return lines
