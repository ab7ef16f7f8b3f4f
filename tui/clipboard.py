"""Copy text to the system clipboard: a local tool when there is one, else the terminal (OSC 52)."""

from __future__ import annotations

import logging
import shutil
import subprocess

log = logging.getLogger(__name__)

_TOOLS = (("wl-copy",), ("xclip", "-selection", "clipboard"), ("xsel", "--clipboard", "--input"), ("pbcopy",))


#: How each tool is told the clipboard's type (text/uri-list lets a file manager paste files).
_TYPE_OPTION = {"wl-copy": ("--type",), "xclip": ("-t",)}


def copy_with_tool(text: str, mime: str = "") -> bool:
    """True when a clipboard tool took the text (as ``mime`` when the tool can say so)."""
    for command in _TOOLS:
        if mime and command[0] in _TYPE_OPTION:
            command = (*command, *_TYPE_OPTION[command[0]], mime)
        if shutil.which(command[0]):
            try:
                subprocess.run(command, input=text.encode(), timeout=2, check=True, capture_output=True)
                return True
            except (OSError, subprocess.SubprocessError) as e:
                log.debug("%s failed: %s", command[0], e)
    return False
