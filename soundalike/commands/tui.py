"""``soundalike tui [FOLDER...]`` (and bare ``soundalike [FOLDER...]``): open the terminal app.

The engine starts in this process, in the background: the app opens at once and fills in as the
folders are indexed. With no folder and an empty library, the generated demo library is opened: a
library of its own (soundalike.engine.tools.demo), so the user's library never holds it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
from collections.abc import Iterator

from soundalike.engine.config import Settings
from soundalike.engine.errors import UserError
from soundalike.engine.events import Notice
from soundalike.engine.library.facade import Library
from soundalike.engine.live.service import EngineService
from soundalike.engine.tools.demo import build_demo_library, demo_folder, demo_settings, forget_old_demo

log = logging.getLogger(__name__)


def add_parsers(commands) -> None:
    tui = commands.add_parser("tui", help="open the terminal app (the default when no command is given)")
    tui.add_argument(
        "folders", nargs="*", help="sample folders to add and watch (default: the library's folders, or a demo library)"
    )
    tui.set_defaults(handler=cmd_tui)


def cmd_tui(args: argparse.Namespace, settings: Settings) -> int:
    for folder in args.folders:
        if not os.path.isdir(os.path.expanduser(folder)):
            raise UserError(f"{folder} is not a folder")
    from soundalike.tui.app import SoundalikeApp  # Textual loads only for this command
    from soundalike.tui.sound.audio import Player

    service = EngineService(settings)
    bridge = None
    try:
        roots = choose_roots(args.folders, service.library)
        if roots is None:  # the demo: a library of its own, so it never mixes with the user's sounds
            service.stop()
            settings = demo_settings(settings)
            service = EngineService(settings)
            roots = open_demo(settings)
        player = Player(settings.tui.audio_device)
        app = SoundalikeApp(service, settings, roots=roots, player=player)
        bridge = start_bridge_for_app(service, settings, player)
        with console_logging_paused():
            app.run()
    finally:
        if bridge is not None:
            bridge.stop()
        service.stop()
    return 0


def start_bridge_for_app(service: EngineService, settings: Settings, player):
    """The DAW bridge in the app's process, auditioning through the app's player.

    A failure (the OSC port is taken, say by a running ``serve``) becomes a notice in the app.
    """
    if not settings.bridge.osc_enabled and not settings.bridge.midi_enabled:
        return None
    from soundalike.bridge import start_bridge

    try:
        return start_bridge(service, settings, auditioner=player)
    except UserError as e:
        log.warning("bridge not started: %s", e)
        service.events.publish(Notice("warning", f"DAW bridge off: {e}"))
        return None


def choose_roots(folders: list[str], library: Library) -> list[str] | None:
    """Folders to start the engine on: those given; none (rescan the known ones); or None: the
    library is empty, open the demo. A real folder arriving drops the demo from an older library
    that still holds it (unless the user marked some of its sounds)."""
    if folders:
        drop_old_demo(library, folders)
        return [os.path.abspath(os.path.expanduser(f)) for f in folders]
    if library.browse.roots():
        return []
    return None


def open_demo(settings: Settings) -> list[str]:
    demo = demo_folder()
    print(
        f"soundalike: no folder given and your library is empty; opening the demo, a library of its own "
        f"in {settings.engine.resolved_data_dir()} (it never mixes with yours: soundalike ~/Samples)"
    )
    build_demo_library(demo)
    return [str(demo)]


def drop_old_demo(library: Library, arriving: list[str]) -> None:
    count = forget_old_demo(library, arriving)
    if count:
        print(f"soundalike: the demo's {count} sounds left your library (the demo is a library of its own now)")


@contextlib.contextmanager
def console_logging_paused() -> Iterator[None]:
    """Detach logging handlers that write to the terminal while the app owns it (the log file stays)."""
    root = logging.getLogger()
    console = [
        h for h in root.handlers if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
    ]
    for handler in console:
        root.removeHandler(handler)
    try:
        yield
    finally:
        for handler in console:
            root.addHandler(handler)
