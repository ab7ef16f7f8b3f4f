"""A kit as a folder of copies, numbered by slot (``01-kick-Kick-Med.wav``), plus ``kit.txt``."""

from __future__ import annotations

from pathlib import Path

from soundalike.engine.kits.builder import Kit
from soundalike.engine.kits.export.common import numbered_picks, slot_file_name
from soundalike.engine.kits.export.safe_folder import SafeFolder


def export(kit: Kit, folder: SafeFolder) -> Path:
    lines = [f"# kit around {kit.seed} ({kit.backend})", "# file\tslot\tGM note\tsource"]
    for number, slot, source in numbered_picks(kit):
        target = folder.copy_from(source, slot_file_name(number, slot, source))
        lines.append(f"{target.name}\t{slot.name}\t{slot.note}\t{source}")
    return folder.write_text("kit.txt", "\n".join(lines) + "\n")
