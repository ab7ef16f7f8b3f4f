"""A kit as a folder of copies, numbered by slot (``01-kick-Kick-Med.wav``), plus ``kit.txt``."""
from __future__ import annotations

from pathlib import Path

from soundalike.engine.kits.builder import Kit
from soundalike.engine.kits.export.common import copy_sample, numbered_picks, prepare_folder, slot_file_name


def export(kit: Kit, folder: Path) -> Path:
    prepare_folder(folder)
    lines = [f"# kit around {kit.seed} ({kit.backend})", "# file\tslot\tGM note\tsource"]
    for number, slot, source in numbered_picks(kit):
        target = copy_sample(source, folder / slot_file_name(number, slot, source))
        lines.append(f"{target.name}\t{slot.name}\t{slot.note}\t{source}")
    listing = folder / "kit.txt"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing
