"""Typed settings, built once at start-up from config.toml files and passed into constructors.

The defaults live here; the repository's ``config.toml`` documents every one of them, and a test
keeps the two in step. A user config only lists what it changes.
"""
from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import paths
from engine.errors import UserError

log = logging.getLogger(__name__)

AUDIO_EXTENSIONS = (".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".mp3")


@dataclass(frozen=True)
class EngineSettings:
    data_dir: str = ""
    default_backend: str = "builtin"
    backends: tuple[str, ...] = ("builtin",)
    extensions: tuple[str, ...] = AUDIO_EXTENSIONS
    workers: int = 0
    max_seconds: float = 30.0
    max_file_mb: int = 2048
    trim_db: float = -60.0
    silence_db: float = -80.0

    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else paths.data_dir()

    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class IndexSettings:
    default_k: int = 10
    search_threads: int = 1


@dataclass(frozen=True)
class BridgeSettings:
    osc_host: str = "127.0.0.1"
    osc_port: int = 9000
    reply_host: str = ""
    reply_port: int = 0
    allow: tuple[str, ...] = ("127.0.0.1",)


@dataclass(frozen=True)
class TuiSettings:
    autoplay: bool = False
    results: int = 20


@dataclass(frozen=True)
class Settings:
    engine: EngineSettings = field(default_factory=EngineSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    bridge: BridgeSettings = field(default_factory=BridgeSettings)
    tui: TuiSettings = field(default_factory=TuiSettings)
    #: raw ``[backends.<name>]`` tables; each backend turns its own into its typed Options.
    backends: dict[str, dict[str, Any]] = field(default_factory=dict)

    def with_data_dir(self, data_dir: str | os.PathLike) -> Settings:
        engine = dataclasses.replace(self.engine, data_dir=str(data_dir))
        return dataclasses.replace(self, engine=engine)


_SECTIONS = {"engine": EngineSettings, "index": IndexSettings, "bridge": BridgeSettings, "tui": TuiSettings}


def load_settings(config_path: str | os.PathLike | None = None) -> Settings:
    """Defaults, overridden by the user config ($SOUNDALIKE_CONFIG or the XDG config file).

    $SOUNDALIKE_DATA_DIR, when set, overrides ``engine.data_dir``.
    """
    if config_path and not Path(config_path).exists():
        raise UserError(f"config file {config_path} does not exist")
    path = Path(config_path) if config_path else paths.user_config_file()
    table = _read_toml(path) if path.exists() else {}
    settings = settings_from_table(table, source=str(path))
    env_dir = os.environ.get("SOUNDALIKE_DATA_DIR")
    return settings.with_data_dir(env_dir) if env_dir else settings


def settings_from_table(table: dict[str, Any], source: str = "config") -> Settings:
    unknown = set(table) - set(_SECTIONS) - {"backends"}
    if unknown:
        raise UserError(f"{source}: unknown section(s) {sorted(unknown)}; valid: {sorted([*_SECTIONS, 'backends'])}")
    sections = {name: _section(cls, table.get(name, {}), f"{source} [{name}]") for name, cls in _SECTIONS.items()}
    backends = table.get("backends", {})
    if not isinstance(backends, dict) or not all(isinstance(v, dict) for v in backends.values()):
        raise UserError(f"{source}: [backends] must hold one table per backend, e.g. [backends.clap]")
    return Settings(**sections, backends={name: dict(values) for name, values in backends.items()})


def _section(cls: type, values: dict[str, Any], where: str):
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(values) - set(fields)
    if unknown:
        raise UserError(f"{where}: unknown setting(s) {sorted(unknown)}; valid: {sorted(fields)}")
    converted = {}
    for name, value in values.items():
        default = fields[name].default
        if isinstance(default, tuple):
            if not isinstance(value, list):
                raise UserError(f"{where}: {name} must be a list")
            value = tuple(value)
        elif isinstance(default, bool) != isinstance(value, bool) or (
            isinstance(default, (int, float, str)) and not isinstance(value, (type(default), int))
        ):
            raise UserError(f"{where}: {name} must be {type(default).__name__}, got {value!r}")
        converted[name] = type(default)(value) if isinstance(default, float) else value
    return cls(**converted)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise UserError(f"cannot read config {path}: {e}") from e
