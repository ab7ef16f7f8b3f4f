"""``soundalike forget FOLDER``: a library folder leaves the library; its files stay on disk.

Its samples' rows go (vectors, tags, musical facts, index entries). When the folder holds the
user's own marks (favourites, user tags, collection items) the command asks first, or needs --yes
where nobody can answer (a script, a pipe).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from soundalike.engine.errors import UserError

if TYPE_CHECKING:
    from soundalike.engine.library.facade import Library


def add_parser(commands, with_library) -> None:
    forget = commands.add_parser("forget", help="remove a folder from the library (its files stay on disk)")
    forget.add_argument("folder", help="a folder the library watches (soundalike stats lists them)")
    forget.add_argument(
        "--yes",
        "-y",
        action="store_true",
        help="do not ask, even when the folder holds favourites, your tags or collection items",
    )
    forget.set_defaults(handler=with_library(cmd_forget, existing=True))


def cmd_forget(args: argparse.Namespace, library: Library) -> int:
    root = library.root_named(args.folder)
    use = library.browse.folder_use(root)
    if use.has_user_data and not args.yes and not confirmed(f"{root} holds {use.describe()}; forget it anyway?"):
        print("nothing forgotten")
        return 1
    count = library.forget_folder(root)
    print(f"forgot {root}: {count} samples left the library (no file on disk was touched)")
    return 0


def confirmed(question: str) -> bool:
    """Ask on the terminal; where nobody can answer, a UserError saying to pass --yes."""
    if not sys.stdin.isatty():
        raise UserError(f"{question.rstrip('?')}: pass --yes to forget it (no terminal to ask on)")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
