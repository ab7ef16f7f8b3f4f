"""CLI pieces for musical facts: the --kind/--bpm/--key/--root filters and `soundalike musical FILE`."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from soundalike.engine.errors import UserError
from soundalike.engine.musical.filters import KINDS, describe, parse_bpm_range, parse_keys, parse_roots

if TYPE_CHECKING:  # heavy: imported by the handlers that need them (a one-off `similar` starts fast)
    from soundalike.engine.library.facade import Library
    from soundalike.engine.musical.analysis import Musical


def add_musical_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--kind", choices=KINDS, help="only loops or only one-shots (as analysed)")
    parser.add_argument("--bpm", help="only loops at this tempo: 120 (within 4%%) or 118-124; half/double counts")
    parser.add_argument("--key", help="only loops in this key: Am, F#m, C (several: Am,C)")
    parser.add_argument(
        "--compatible", action="store_true", help="with --key: also the relative key and the keys a fifth up and down"
    )
    parser.add_argument("--root", help="only tonal one-shots with this root note: C#, Eb (octave ignored)")


def musical_filter_fields(args: argparse.Namespace) -> dict:
    """Filters fields from the musical options (UserError naming the bad value)."""
    if args.compatible and not args.key:
        raise UserError("--compatible needs --key (e.g. --key Am --compatible)")
    try:
        return {
            "kind": args.kind,
            "bpm": parse_bpm_range(args.bpm) if args.bpm else None,
            "keys": parse_keys(args.key, args.compatible) if args.key else (),
            "roots": parse_roots(args.root) if args.root else (),
        }
    except ValueError as e:
        raise UserError(f"--{str(e).split(' ', 1)[0]} {str(e).split(' ', 1)[1]}") from e


def add_parser(commands, with_library) -> None:
    musical = commands.add_parser("musical", help="loop or one-shot, tempo, key and root note of a file")
    musical.add_argument("file")
    musical.add_argument("--json", action="store_true", help="print JSON")
    musical.set_defaults(handler=with_library(cmd_musical))


def cmd_musical(args: argparse.Namespace, library: Library) -> int:
    facts = library.analyse_musical(args.file)
    if args.json:
        print(json.dumps(facts_json(facts), indent=1))
        return 0
    print(describe(facts) or "unknown")
    for note in facts.notes:
        print(f"  {note}")
    return 0


def facts_json(facts: Musical | None) -> dict:
    """The JSON fields of musical facts (None for what is unknown)."""
    if facts is None:
        return {"kind": None, "bpm": None, "key": None, "root": None, "chord": None}
    return {
        "kind": facts.kind,
        "kind_confidence": facts.kind_confidence,
        "bpm": facts.bpm,
        "bpm_alternative": facts.bpm_alternative,
        "bpm_confidence": facts.bpm_confidence,
        "bpm_source": facts.bpm_source,
        "key": facts.key_name,
        "key_confidence": facts.key_confidence,
        "key_source": facts.key_source,
        "root": facts.root_name,
        "root_confidence": facts.root_confidence,
        "root_source": facts.root_source,
        "chord": facts.chord,
        "notes": list(facts.notes),
    }
