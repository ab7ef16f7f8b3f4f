"""Where soundalike keeps its files, following the XDG base-directory conventions."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable)
    return Path(value) if value else Path.home() / fallback


def data_dir() -> Path:
    """Default library location: $SOUNDALIKE_DATA_DIR, else $XDG_DATA_HOME/soundalike."""
    explicit = os.environ.get("SOUNDALIKE_DATA_DIR")
    return Path(explicit).expanduser() if explicit else _xdg("XDG_DATA_HOME", ".local/share") / "soundalike"


def user_config_file() -> Path:
    """$SOUNDALIKE_CONFIG, else $XDG_CONFIG_HOME/soundalike/config.toml."""
    explicit = os.environ.get("SOUNDALIKE_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    return _xdg("XDG_CONFIG_HOME", ".config") / "soundalike" / "config.toml"


def cache_dir() -> Path:
    """Generated files that can be rebuilt (the demo library)."""
    return _xdg("XDG_CACHE_HOME", ".cache") / "soundalike"
