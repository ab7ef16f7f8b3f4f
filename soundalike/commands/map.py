"""``soundalike map``: the drum map as text or as JSON positions (for Max, Pd or a web page)."""

from __future__ import annotations

import argparse
import json
import os

import numpy as np

from soundalike.commands.library import with_library
from soundalike.engine.library.browse import Filters
from soundalike.engine.library.facade import Library
from soundalike.engine.tools.drum_map import MAX_POINTS, OTHER, DrumMap
from soundalike.tui.widgets.map_render import View, cells

#: One letter per kind on the text map (capitals for the loud drums); "·" for "other".
LETTERS = {
    "kick": "K",
    "snare": "S",
    "clap": "x",
    "closed hat": "h",
    "open hat": "o",
    "tom": "T",
    "cymbal": "C",
    "crash": "C",
    "ride": "R",
    "rim": "r",
    "shaker": "s",
    "percussion": "p",
    "cowbell": "b",
    "bell": "b",
    "hand drum": "d",
    OTHER: "·",
}
#: Symbols for kinds without a letter (a user tag, a clap model's label), one each in turn.
SPARE = "123456789*+#@%&"


def symbols(kinds: tuple[str, ...]) -> dict[str, str]:
    """A symbol per kind on the map: its letter, else the next spare symbol ("?" when they run out)."""
    spare = iter(SPARE)
    return {kind: LETTERS.get(kind) or next(spare, "?") for kind in kinds}


def add_parsers(commands) -> None:
    drum_map = commands.add_parser("map", help="the drum map: where each sample sits (text, or --json positions)")
    drum_map.add_argument("--tag", help="only samples with this tag")
    drum_map.add_argument("--under", help="only samples under this folder")
    drum_map.add_argument("--width", type=int, default=78)
    drum_map.add_argument("--height", type=int, default=24)
    drum_map.add_argument("--refit", action="store_true", help="fit the projection again (the map will move)")
    drum_map.add_argument("--json", action="store_true", help="print [{path, x, y, kind}], x and y in 0..1")
    drum_map.set_defaults(handler=with_library(cmd_map))


def cmd_map(args: argparse.Namespace, library: Library) -> int:
    drum_map = DrumMap(library)
    drum_map.ensure_projection(refit=args.refit)
    filters = Filters(
        tag=args.tag,
        tag_min_score=library.settings.engine.tag_confidence,
        under=os.path.abspath(args.under) if args.under else None,
    )
    ids = None if filters.is_empty() else np.array(library.browse.ids_matching(filters), np.int64)
    points = drum_map.points(ids, limit=None if args.json else MAX_POINTS)
    if args.json:
        rows = library.browse.samples(points.ids.tolist())
        print(
            json.dumps(
                [
                    {
                        "path": rows[int(sid)].path,
                        "x": round(float(x), 5),
                        "y": round(float(y), 5),
                        "kind": points.kinds[k],
                    }
                    for sid, (x, y), k in zip(points.ids, points.xy, points.kind)
                    if int(sid) in rows
                ],
                indent=1,
            )
        )
        return 0
    counts, dominant = cells(points, View(), args.width, args.height)
    symbol = symbols(points.kinds)
    for row in range(args.height):
        print(
            "".join(symbol[points.kinds[dominant[row, col]]] if counts[row, col] else " " for col in range(args.width))
        )
    kinds = ", ".join(f"{symbol[kind]} {kind}" for kind in points.kinds)
    print(f"{len(points)} samples; {kinds}")
    return 0
