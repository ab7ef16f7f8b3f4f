"""The ``soundalike`` command: argument parsing and the one place fatal errors are reported."""
from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from engine.config import Settings, load_settings
from engine.errors import FileError, UserError
from soundalike import __version__, logs

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soundalike", description="Find samples that sound alike.")
    parser.add_argument("--version", action="version", version=f"soundalike {__version__}")
    parser.add_argument("--data-dir", help="library folder (default: $SOUNDALIKE_DATA_DIR or ~/.local/share/soundalike)")
    parser.add_argument("--config", help="user config file (default: $SOUNDALIKE_CONFIG or ~/.config/soundalike/config.toml)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show informational messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    index = commands.add_parser("index", help="index the audio files under folders")
    index.add_argument("folders", nargs="*", help="folders to add and scan (default: every known root)")

    similar = commands.add_parser("similar", help="the sounds closest to a file")
    similar.add_argument("file")
    _query_options(similar)

    embed = commands.add_parser("embed", help="write embeddings of listed files to a .npy matrix")
    embed.add_argument("--backend", help="backend (default: the configured default)")
    embed.add_argument("--paths-from", required=True, help="text file, one path per line (TSV: first column)")
    embed.add_argument("--out", required=True, help="output .npy (N x D float32, rows in list order)")

    doctor = commands.add_parser("doctor", help="show what each pipeline step does to a file")
    doctor.add_argument("file")
    doctor.add_argument("--backend", help="backend (default: the configured default)")

    stats = commands.add_parser("stats", help="library size, failures by reason, backends")
    stats.add_argument("--failures", action="store_true", help="list every failed file with its reason")
    stats.add_argument("--json", action="store_true", help="print JSON")

    demo = commands.add_parser("demo", help="index a folder (or a generated demo library) and show matches")
    demo.add_argument("folder", nargs="?", help="sample folder (default: generate a demo library)")
    return parser


def _query_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-k", type=int, default=None, help="how many results (default from config)")
    parser.add_argument("--backend", help="backend (default: the configured default)")
    parser.add_argument("--aspect", help="weight aspects: 'timbre' or 'timbre=1,envelope=0.5'")
    parser.add_argument("--tag", help="only samples with this tag")
    parser.add_argument("--under", help="only samples under this folder")
    parser.add_argument("--json", action="store_true", help="print a JSON list of {path, score, ...}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        settings = _settings(args)
        logs.configure(settings.engine.resolved_data_dir() / "logs", args.verbose)
        from soundalike import commands

        return commands.run(args, settings)
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
