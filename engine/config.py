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
from typing import Any, Literal, get_args, get_origin, get_type_hints

from soundalike.engine import paths
from soundalike.engine.errors import UserError
from soundalike.engine.tags import TAG_CONFIDENCE

log = logging.getLogger(__name__)

AUDIO_EXTENSIONS = (".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".mp3")

# Settings that take one of a few words: a config naming another fails at start-up, listing these.
#: [bridge] query_paths: "library" (the roots and query_folders) or "anywhere".
QueryPaths = Literal["library", "anywhere"]
#: [tui] export_mode: "copy" (a real copy) or "link" (a symbolic link to the library's file).
ExportMode = Literal["copy", "link"]
#: [tui] export_format: "keep" each file's format, or "wav" (other formats become WAV copies).
ExportFormat = Literal["keep", "wav"]


@dataclass(frozen=True)
class EngineSettings:
    data_dir: str = ""
    default_backend: str = "builtin"
    backends: tuple[str, ...] = ("builtin",)
    extensions: tuple[str, ...] = AUDIO_EXTENSIONS
    workers: int = 0
    max_seconds: float = 30.0
    max_file_mb: int = 2048
    trim_db: float = -50.0
    silence_db: float = -80.0
    musical: bool = True  # loop/one-shot, tempo, key and root note at index time
    worker_processes: bool = True  # forked worker processes where safe (engine/pipeline/workers.py)
    tag_confidence: float = TAG_CONFIDENCE  # below it a tag is unsure: shown "tom?", not used by kits or filters

    def resolved_data_dir(self) -> Path:
        return Path(self.data_dir).expanduser() if self.data_dir else paths.data_dir()

    def worker_count(self) -> int:
        return self.workers if self.workers > 0 else max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class IndexSettings:
    default_k: int = 10
    search_threads: int = 1
    # Past this many vectors per backend an approximate index (IVF lists, 8-bit codes, candidates
    # re-scored exactly) is built in the background, saved beside the exact one, and answers
    # unfiltered searches; 0: never.
    approximate_above: int = 20_000
    approximate_lists: int = 0  # IVF lists; 0: 4 x sqrt(vectors)
    approximate_probe: int = 48  # lists searched per query: more is slower and closer to exact
    approximate_rerank: int = 4  # candidates per result re-scored with the exact vectors
    build_approximate: bool = True  # false: search a saved approximate index, never build one


@dataclass(frozen=True)
class StoreSettings:
    """Where the catalog lives: the SQLite file in the data folder, or a studio's shared PostgreSQL
    catalog (docs/studio.md). Each machine keeps its own data folder (indexes, logs) either way."""

    url: str = ""  # empty: catalog.sqlite in the data folder; "postgresql://…": a shared catalog
    user: str = ""  # whose favourites, user tags and collections; empty: the database role
    machine: str = ""  # this machine's name in a shared catalog; empty: the host name
    roots: tuple[str, ...] = ()  # "NAME=LOCAL PATH": where this machine mounts each named root
    index: bool = True  # this machine indexes the share at start (serve, the app); False: a reader
    claim_seconds: float = 60.0  # a claim on a file not extended this long expires (its indexer died)

    def root_paths(self) -> dict[str, str]:
        """name -> this machine's path of each named root in ``roots``."""
        return dict(entry.split("=", 1) for entry in self.roots)

    def problems(self, where: str) -> list[str]:
        found = []
        if self.url and not self.url.startswith(POSTGRES_SCHEMES):
            found.append(
                f"{where}: url must be empty (the SQLite catalog) or start with postgresql://, got {self.url!r}"
            )
        if self.url and _has_password(self.url):
            found.append(f"{where}: url holds a password; put it in ~/.pgpass or $PGPASSWORD instead (docs/studio.md)")
        if self.claim_seconds <= 0:
            found.append(f"{where}: claim_seconds must be above 0, got {self.claim_seconds}")
        for entry in self.roots:
            name, _, path = entry.partition("=")
            if not name.strip() or not path.strip():
                found.append(f'{where}: roots entries are "NAME=LOCAL PATH", got {entry!r}')
            elif ":" in name or "/" in name:
                found.append(f"{where}: a root's name holds no ':' or '/', got {name!r}")
        return found


#: How a catalog given as a URL names a PostgreSQL server.
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def _has_password(url: str) -> bool:
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(url)
    return bool(parts.password) or "password" in parse_qs(parts.query)


@dataclass(frozen=True)
class WatchSettings:
    """How ``soundalike serve`` follows the sample folders (see config.toml's [watch])."""

    debounce_seconds: float = 0.25
    poll_seconds: float = 2.0
    polling_roots: tuple[str, ...] = ()
    network_filesystems: tuple[str, ...] = (
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "afs",
        "9p",
        "fuse.sshfs",
        "fuse.rclone",
        "davfs",
        "fuse.davfs2",
    )
    offline_share: float = 0.5
    offline_min_files: int = 20
    root_check_seconds: float = 2.0
    batch_files: int = 128
    index_save_seconds: float = 30.0


@dataclass(frozen=True)
class BridgeSettings:
    osc_enabled: bool = True
    osc_host: str = "127.0.0.1"
    osc_port: int = 9000
    reply_host: str = ""
    reply_port: int = 0
    allow: tuple[str, ...] = ("127.0.0.1",)
    max_reply_bytes: int = 8192
    max_k: int = 100
    queue_size: int = 20000
    subscribers: tuple[str, ...] = ()
    progress_interval: float = 0.25
    midi_enabled: bool = True
    midi_port: str = ""
    midi_map: tuple[str, ...] = (
        "note:36 similar",
        "note:37 previous",
        "note:38 next",
        "note:39 audition",
        "note:40 random",
        "cc:64 next",
    )
    # Subscriber leases and which files OSC clients may query.
    subscriber_lease: float = 600.0
    query_paths: QueryPaths = "library"  # "library" (roots + query_folders) or "anywhere"
    query_folders: tuple[str, ...] = ()


@dataclass(frozen=True)
class TuiSettings:
    autoplay: bool = False
    results: int = 20
    audio_device: str = ""
    loop_min_seconds: float = 2.5  # only for samples not analysed yet ([engine] musical)
    tag_min_score: float = TAG_CONFIDENCE  # as [engine] tag_confidence: below it a tag is unsure
    # Optional result columns shown by the columns key (tui/widgets/columns.py COLUMNS: rate, bits, channels).
    columns: tuple[str, ...] = ("rate", "bits", "channels")
    # Where the export key puts samples (e.g. your DAW project's samples folder).
    project_folder: str = "~/soundalike-samples"
    # How they get there: "copy" (a real copy) or "link" (a symbolic link to the library's file).
    export_mode: ExportMode = "copy"
    # "keep" each file's format, or "wav": other formats become WAV copies (for samplers that read WAV only).
    export_format: ExportFormat = "keep"
    # Keys, per action (Textual key names); tui/keys.py describes each action.
    key_down: tuple[str, ...] = ("down", "j")
    key_up: tuple[str, ...] = ("up", "k")
    key_page_down: tuple[str, ...] = ("pagedown", "ctrl+d")
    key_page_up: tuple[str, ...] = ("pageup", "ctrl+u")
    key_first: tuple[str, ...] = ("home", "g")
    key_last: tuple[str, ...] = ("end", "G")
    key_play: tuple[str, ...] = ("space", "enter")
    key_autoplay: tuple[str, ...] = ("a",)
    key_similar: tuple[str, ...] = ("s",)
    key_search: tuple[str, ...] = ("slash",)
    key_favourite: tuple[str, ...] = ("f",)
    key_copy: tuple[str, ...] = ("c",)
    key_tag: tuple[str, ...] = ("t",)
    key_duration: tuple[str, ...] = ("d",)
    key_kind: tuple[str, ...] = ("o",)
    key_favourites_only: tuple[str, ...] = ("F",)
    key_status: tuple[str, ...] = ("e",)
    key_fits: tuple[str, ...] = ("n",)
    key_clear: tuple[str, ...] = ("x",)
    key_expand: tuple[str, ...] = ("l", "right")
    key_collapse: tuple[str, ...] = ("z",)
    key_scope: tuple[str, ...] = ("w",)
    key_aspect: tuple[str, ...] = ("A",)
    key_sort: tuple[str, ...] = ("O",)
    key_columns: tuple[str, ...] = ("i",)
    key_mark: tuple[str, ...] = ("m",)
    key_unmark: tuple[str, ...] = ("M",)
    key_user_tag: tuple[str, ...] = ("T",)
    key_collect: tuple[str, ...] = ("C",)
    key_export: tuple[str, ...] = ("y",)
    key_copy_uris: tuple[str, ...] = ("Y",)
    key_bridge: tuple[str, ...] = ("b",)
    key_back: tuple[str, ...] = ("escape",)
    key_help: tuple[str, ...] = ("question_mark",)
    key_quit: tuple[str, ...] = ("q",)
    # explore by ear
    key_kit: tuple[str, ...] = ("K",)
    key_map: tuple[str, ...] = ("p",)
    key_listen: tuple[str, ...] = ("R",)
    key_forget: tuple[str, ...] = ("D",)
    kit_folder: str = "~/soundalike-kits"
    listen_seconds: float = 2.0


@dataclass(frozen=True)
class Settings:
    engine: EngineSettings = field(default_factory=EngineSettings)
    index: IndexSettings = field(default_factory=IndexSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    watch: WatchSettings = field(default_factory=WatchSettings)
    bridge: BridgeSettings = field(default_factory=BridgeSettings)
    tui: TuiSettings = field(default_factory=TuiSettings)
    #: raw ``[backends.<name>]`` tables; each backend turns its own into its typed Options.
    backends: dict[str, dict[str, Any]] = field(default_factory=dict)

    def with_data_dir(self, data_dir: str | os.PathLike) -> Settings:
        engine = dataclasses.replace(self.engine, data_dir=str(data_dir))
        return dataclasses.replace(self, engine=engine)


_SECTIONS = {
    "engine": EngineSettings,
    "index": IndexSettings,
    "store": StoreSettings,
    "watch": WatchSettings,
    "bridge": BridgeSettings,
    "tui": TuiSettings,
}


def load_settings(config_path: str | os.PathLike | None = None) -> Settings:
    """Defaults, overridden by the user config ($SOUNDALIKE_CONFIG or the XDG config file).

    $SOUNDALIKE_DATA_DIR, when set, overrides ``engine.data_dir``; $SOUNDALIKE_STORE_URL ``store.url``.
    """
    if config_path and not Path(config_path).exists():
        raise UserError(f"config file {config_path} does not exist")
    path = Path(config_path) if config_path else paths.user_config_file()
    table = _read_toml(path) if path.exists() else {}
    settings = settings_from_table(table, source=str(path))
    env_dir = os.environ.get("SOUNDALIKE_DATA_DIR")
    settings = settings.with_data_dir(env_dir) if env_dir else settings
    env_url = os.environ.get("SOUNDALIKE_STORE_URL")
    if env_url:
        settings = dataclasses.replace(settings, store=dataclasses.replace(settings.store, url=env_url))
        problems = settings.store.problems("$SOUNDALIKE_STORE_URL")
        if problems:
            raise UserError("; ".join(problems))
    return settings


def settings_from_table(table: dict[str, Any], source: str = "config") -> Settings:
    """Typed settings from a parsed config; a bad one raises one UserError naming every problem."""
    problems: list[str] = []
    unknown = set(table) - set(_SECTIONS) - {"backends"}
    if unknown:
        problems.append(f"{source}: unknown section(s) {sorted(unknown)}; valid: {sorted([*_SECTIONS, 'backends'])}")
    sections = {}
    for name, cls in _SECTIONS.items():
        section, found = _section(cls, table.get(name, {}), f"{source} [{name}]")
        sections[name] = section
        problems.extend(found)
        if isinstance(section, StoreSettings):
            problems.extend(section.problems(f"{source} [{name}]"))
    backends = table.get("backends", {})
    if not isinstance(backends, dict) or not all(isinstance(v, dict) for v in backends.values()):
        problems.append(f"{source}: [backends] must hold one table per backend, e.g. [backends.clap]")
    if problems:
        raise UserError("; ".join(problems))
    return Settings(**sections, backends={name: dict(values) for name, values in backends.items()})


def _section(cls: type, values: dict[str, Any], where: str) -> tuple[Any, list[str]]:
    """The section's settings (None when any value is bad) and every problem found in it."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    choices = _choices(cls)
    problems = []
    unknown = set(values) - set(fields)
    if unknown:
        problems.append(f"{where}: unknown setting(s) {sorted(unknown)}; valid: {sorted(fields)}")
    converted = {}
    for name, value in values.items():
        if name in unknown:
            continue
        default = fields[name].default
        if isinstance(default, tuple):
            if not isinstance(value, list):
                problems.append(f"{where}: {name} must be a list")
                continue
            value = tuple(value)
        elif isinstance(default, bool) != isinstance(value, bool) or (
            isinstance(default, (int, float, str)) and not isinstance(value, (type(default), int))
        ):
            problems.append(f"{where}: {name} must be {type(default).__name__}, got {value!r}")
            continue
        elif name in choices and value not in choices[name]:
            problems.append(f"{where}: {name} must be one of {', '.join(map(str, choices[name]))}, got {value!r}")
            continue
        converted[name] = type(default)(value) if isinstance(default, float) else value
    return (None if problems else cls(**converted)), problems


def _choices(cls: type) -> dict[str, tuple[Any, ...]]:
    """name -> the values a ``Literal`` setting of ``cls`` takes."""
    return {name: get_args(hint) for name, hint in get_type_hints(cls).items() if get_origin(hint) is Literal}


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise UserError(f"cannot read config {path}: {e}") from e
