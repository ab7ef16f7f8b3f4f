"""The ``soundalike`` command: argument parsing and the one place fatal errors are reported."""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from engine.config import Settings, load_settings
from engine.errors import FileError, UserError
from soundalike import __version__, logs

log = logging.getLogger(__name__)


#: Modules that each add their subcommands (``add_parsers(commands)``) with a ``handler`` default.
COMMAND_MODULES = ("soundalike.commands", "soundalike.pipeline_cmds", "soundalike.eval_cmd")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soundalike", description="Find samples that sound alike.")
    parser.add_argument("--version", action="version", version=f"soundalike {__version__}")
    parser.add_argument("--data-dir", help="library folder (default: $SOUNDALIKE_DATA_DIR or ~/.local/share/soundalike)")
    parser.add_argument("--config", help="user config file (default: $SOUNDALIKE_CONFIG or ~/.config/soundalike/config.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show informational messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        importlib.import_module(module).add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = _settings(args)
        logs.configure(settings.engine.resolved_data_dir() / "logs", args.verbose)
        return args.handler(args, settings)
    except UserError as e:
        log.debug("fatal", exc_info=True)
        print(f"soundalike: {e}", file=sys.stderr)
        return 2
    except FileError as e:
        print(f"soundalike: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nsoundalike: interrupted; what was indexed is kept, run the command again to resume",
              file=sys.stderr)
        return 130


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    return settings.with_data_dir(args.data_dir) if args.data_dir else settings
