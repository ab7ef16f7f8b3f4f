"""``soundalike models``: what each backend is for, whether it is usable here, how to get it."""

from __future__ import annotations

import argparse
import dataclasses
import json

from soundalike.engine.config import Settings
from soundalike.engine.tools.models import backend_statuses, fetch


def add_parsers(commands) -> None:
    parser = commands.add_parser("models", help="backends: usable here?, good for, licence, size, how to get")
    parser.add_argument("--check", action="store_true", help="load each usable backend (self-check, dimension)")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.set_defaults(handler=cmd_models)
    actions = parser.add_subparsers(dest="models_action", metavar="ACTION")
    get = actions.add_parser("fetch", help="download a backend's model (needs network once)")
    get.add_argument("backend")
    get.set_defaults(handler=cmd_fetch)


def cmd_models(args: argparse.Namespace, settings: Settings) -> int:
    statuses = backend_statuses(settings, check=args.check)
    if args.json:
        print(json.dumps([dataclasses.asdict(s) for s in statuses], indent=1))
        return 0
    for s in statuses:
        mark = "ready  " if s.usable else "missing"
        enabled = " (enabled)" if s.enabled else ""
        extra = f", {s.dim}-d on {s.device}" if s.dim else ""
        print(f"{s.name:<9} {mark} {s.sample_rate / 1000:>5g} kHz{extra}{enabled}")
        print(f"          good for: {s.good_for}")
        print(f"          licence: {s.licence}; size: {s.size}")
        print(f"          {'source' if s.usable else 'to get it'}: {s.detail}")
    print('\nenable backends in config.toml: [engine] backends = ["builtin", "clap"]')
    return 0


def cmd_fetch(args: argparse.Namespace, settings: Settings) -> int:
    where = fetch(args.backend, settings)
    print(f"{args.backend}: model is in {where}")
    return 0
