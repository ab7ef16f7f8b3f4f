"""The ``soundalike`` command: argument parsing and the one place fatal errors are reported."""

from __future__ import annotations

import argparse
import difflib
import importlib
import logging
import os
import signal
import sys
from collections.abc import Sequence

from soundalike import __version__, logs
from soundalike.engine.config import Settings, load_settings
from soundalike.engine.errors import FileError, QueryError, UserError
from soundalike.engine.store.errors import StoreError

log = logging.getLogger(__name__)


#: Modules that each add their subcommands (``add_parsers(commands)``) with a ``handler`` default.
COMMAND_MODULES = (
    "soundalike.commands.library",
    "soundalike.commands.pipeline",
    "soundalike.commands.eval",
    "soundalike.commands.models",
    "soundalike.commands.osc",
    "soundalike.commands.tui",
    "soundalike.commands.serve",
    "soundalike.commands.repair",
    "soundalike.commands.kit",
    "soundalike.commands.listen",
    "soundalike.commands.map",
)


#: Commands whose own module builds their parser alone, so a one-off ``similar`` loads neither the
#: app nor the other commands (the library itself loads only when the running engine cannot answer).
LIGHT_COMMANDS = {"similar": "soundalike.commands.library"}


def build_parser(modules: Sequence[str] = COMMAND_MODULES) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soundalike", description="Find samples that sound alike.")
    parser.add_argument("--version", action="version", version=f"soundalike {__version__}")
    parser.add_argument(
        "--data-dir", help="library folder (default: $SOUNDALIKE_DATA_DIR or ~/.local/share/soundalike)"
    )
    parser.add_argument(
        "--config", help="user config file (default: $SOUNDALIKE_CONFIG or ~/.config/soundalike/config.toml)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show informational messages")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in modules:
        importlib.import_module(module).add_parsers(commands)
    return parser


def modules_for(argv: list[str]) -> Sequence[str]:
    """The command modules that parse ``argv``: one for a light command, else all of them."""
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        i += 2 if argv[i] in _VALUE_OPTIONS else 1
    module = LIGHT_COMMANDS.get(argv[i]) if i < len(argv) else None
    return (module,) if module else COMMAND_MODULES


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(modules_for(argv))
    args = parser.parse_args(default_to_tui(argv, parser))
    if args.command is None:
        parser.print_help()
        return 0
    previous = _interrupt_on_sigterm()
    try:
        settings = _settings(args)
        logs.configure(settings.engine.resolved_data_dir() / "logs", args.verbose)
        code = args.handler(args, settings)
        sys.stdout.flush()  # here, so a reader that went away (`| head`) is met below, not at exit
        return code
    except BrokenPipeError:
        _silence_stdout()
        return 141  # as a command killed by SIGPIPE
    except (UserError, QueryError) as e:
        log.debug("fatal", exc_info=True)
        print(f"soundalike: {e}", file=sys.stderr)
        return 2
    except FileError as e:
        print(f"soundalike: {e}", file=sys.stderr)
        return 1
    except StoreError as e:  # a database error the store does not name otherwise: one line, not a traceback
        log.debug("store error", exc_info=True)
        print(f"soundalike: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nsoundalike: interrupted; what was indexed is kept, run the command again to resume", file=sys.stderr)
        return 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """The reader of our output has gone (``soundalike similar … | head``): send what is left to
    /dev/null, so the interpreter's final flush does not print a BrokenPipeError."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (captured output)
        pass


def _interrupt_on_sigterm():
    """SIGTERM stops a command as Ctrl-C does (the batch in flight is committed or dropped whole,
    and the "kept" message is printed); returns the handler it replaced (None off the main thread)."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        return None


#: Global options that take a value (skipped when looking for the command name).
_VALUE_OPTIONS = ("--data-dir", "--config")


def default_to_tui(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """``soundalike [FOLDER...]``: with no command, or a first argument that is not one, run ``tui``."""
    commands = next(a.choices for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    i = 0
    while i < len(argv) and argv[i].startswith("-"):
        if argv[i] in ("-h", "--help", "--version"):
            return argv
        i += 2 if argv[i] in _VALUE_OPTIONS else 1
    if i < len(argv) and argv[i] in commands:
        return argv
    if i < len(argv) and not os.path.isdir(os.path.expanduser(argv[i])):
        guess = difflib.get_close_matches(argv[i], list(commands), n=1, cutoff=0.7)
        if guess:
            parser.error(
                f"{argv[i]!r} is not a command or a folder; did you mean '{guess[0]}'? "
                f"(soundalike --help lists the commands)"
            )
    return [*argv[:i], "tui", *argv[i:]]


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    return settings.with_data_dir(args.data_dir) if args.data_dir else settings
