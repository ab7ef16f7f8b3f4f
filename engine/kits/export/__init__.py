"""Writing a kit out: a folder of copies, an SFZ instrument, a Hydrogen drumkit.

Each format is one module with ``export(kit, folder) -> Path`` (the main file written). Sample
files are copied next to what refers to them, so an export is self-contained and can be moved.
Every file is written through :class:`SafeFolder`, never through a link found in the folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from soundalike.engine.errors import QueryError
from soundalike.engine.kits.builder import Kit
from soundalike.engine.kits.export import folder, hydrogen, sfz
from soundalike.engine.kits.export.safe_folder import SafeFolder

Exporter = Callable[[Kit, SafeFolder], Path]
FORMATS: dict[str, Exporter] = {"folder": folder.export, "sfz": sfz.export, "hydrogen": hydrogen.export}


def export_kit(
    kit: Kit, destination: str | Path, fmt: str = "folder", within: Callable[[str], bool] | None = None
) -> Path:
    """Write ``kit`` under ``destination`` in ``fmt``; QueryError for an unknown format, an empty kit, or
    a destination whose real place ``within`` refuses (the bridge's allowed folders)."""
    exporter = FORMATS.get(fmt)
    if exporter is None:
        raise QueryError(f"unknown kit format {fmt!r}; formats: {', '.join(FORMATS)}")
    if not kit.picks():
        raise QueryError("the kit is empty: no sample in the library is tagged with a kit slot's kind")
    with SafeFolder.open(Path(destination).expanduser(), within) as folder:
        return exporter(kit, folder)
