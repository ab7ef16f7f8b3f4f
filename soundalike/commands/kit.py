"""``soundalike kit SEED``: a drum kit around one sound, shown, changed and exported."""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path

from soundalike.commands.library import with_library
from soundalike.commands.query_args import add_scope_options, left_out
from soundalike.engine.errors import UserError
from soundalike.engine.kits.builder import DEFAULT_ALTERNATIVES, Kit
from soundalike.engine.kits.export import FORMATS, export_kit
from soundalike.engine.kits.export.readback import problems, read_hydrogen, read_sfz
from soundalike.engine.library.browse import Filters
from soundalike.engine.library.facade import Library
from soundalike.engine.library.query import KitQuery
from soundalike.engine.weights import parse_weights


def add_parsers(commands) -> None:
    kit = commands.add_parser("kit", help="build a drum kit around a sound: one sample per slot, alike in character")
    kit.add_argument("seed", help="an audio file (in the library or not)")
    kit.add_argument("--alternatives", type=int, default=DEFAULT_ALTERNATIVES, help="alternatives kept per slot")
    kit.add_argument(
        "--choose",
        action="append",
        default=[],
        metavar="SLOT=N",
        help="use a slot's Nth alternative, e.g. --choose snare=2 (repeatable)",
    )
    kit.add_argument(
        "--lock", action="append", default=[], metavar="SLOT", help="keep this slot's pick when rerolling (repeatable)"
    )
    kit.add_argument("--reroll", type=int, metavar="SEED", help="random alternatives (reproducible with this number)")
    kit.add_argument("--backend", help="backend (default: the configured default)")
    kit.add_argument("--aspect", help="what 'alike' means: aspect weights (default: timbre=1,envelope=0.5)")
    kit.add_argument("--under", help="only samples under this folder")
    kit.add_argument("--not-under", metavar="FOLDER", help="no samples from under this folder")
    add_scope_options(kit)
    kit.add_argument("--export", metavar="DIR", help="write the kit under DIR")
    kit.add_argument("--format", choices=tuple(FORMATS), default="folder", help="export format (default: folder)")
    kit.add_argument("--json", action="store_true", help="print the kit as JSON")
    kit.set_defaults(handler=with_library(cmd_kit))


def cmd_kit(args: argparse.Namespace, library: Library) -> int:
    filters = Filters(under=os.path.abspath(args.under)) if args.under else None
    try:
        kit = library.kit(
            KitQuery(
                args.seed,
                args.backend,
                args.alternatives,
                parse_weights(args.aspect),
                filters,
                not_under=left_out(args, library, args.seed),
            )
        )
        for slot in args.lock:
            kit.toggle_lock(slot)
        if args.reroll is not None:
            kit.reroll(random.Random(args.reroll))
        for choice in args.choose:
            slot, _, number = choice.partition("=")
            kit.choose(slot, int(number) - 1)
    except ValueError as e:
        raise UserError(str(e)) from e
    written = export_checked(kit, args.export, args.format) if args.export else None
    if args.json:
        print(json.dumps({**kit.as_json(), "export": str(written) if written else None}, indent=1))
    else:
        print_kit(kit)
        if written:
            print(f"wrote {written}")
    return 0


def export_checked(kit: Kit, folder: str, fmt: str) -> Path:
    """Export, then read the result back; a problem found is fatal (the export is not to be trusted)."""
    try:
        written = export_kit(kit, folder, fmt)
    except ValueError as e:
        raise UserError(str(e)) from e
    found = []
    if fmt == "sfz":
        found = problems(read_sfz(written), (1, 127))
    elif fmt == "hydrogen":
        found = problems(read_hydrogen(written), (0, 1))
    if found:
        raise UserError(f"the export in {written.parent} failed its check: {found[0]}")
    return written


def print_kit(kit: Kit) -> None:
    print(f"kit around {kit.seed}  ({kit.backend}; alike in character, right kind by tag)")
    for choice in kit.slots:
        pick = choice.pick
        if pick is None:
            print(
                f"  {choice.slot.name:<11} {choice.slot.note:3d}  (unfilled: nothing surely tagged {'/'.join(choice.slot.tags)})"
            )
            continue
        lock = " locked" if choice.locked else ""
        print(
            f"  {choice.slot.name:<11} {choice.slot.note:3d}  {pick.score:6.3f}  "
            f"[{choice.index + 1}/{len(choice.choices)}{lock}]  {pick.path}"
        )
    if kit.empty_slots():
        print(f"unfilled: {', '.join(kit.empty_slots())} (an empty slot beats a wrong one)")
