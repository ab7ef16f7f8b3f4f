"""Which backends are usable here, and getting the model files of those that are not.

Availability is judged without loading any model: the Python packages a backend needs, and for
hub models whether a local copy (``model_path``) or a cached download exists. ``check=True``
loads each usable backend once, which runs its self-check and reports its dimension and device.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
from dataclasses import dataclass
from pathlib import Path

from soundalike.engine.config import Settings
from soundalike.engine.embedders.registry import BACKENDS, Registry, create_embedder
from soundalike.engine.errors import BackendUnavailable, UserError

log = logging.getLogger(__name__)

NEURAL_PACKAGES = ("torch", "transformers")


@dataclass(frozen=True)
class BackendStatus:
    name: str
    usable: bool
    detail: str  # why not, or where the model comes from
    good_for: str
    licence: str
    size: str
    sample_rate: int
    enabled: bool
    dim: int | None = None
    device: str | None = None


def backend_statuses(settings: Settings, check: bool = False, backends: Registry = BACKENDS) -> list[BackendStatus]:
    statuses = []
    for name, cls in backends.items():
        options = _options(cls, settings.backends.get(name, {}))
        usable, detail = availability(cls, options)
        status = BackendStatus(
            name,
            usable,
            detail,
            cls.info.good_for,
            cls.info.licence,
            cls.info.size,
            cls.sample_rate,
            name in settings.engine.backends,
        )
        if check and usable:
            status = _loaded_status(status, settings)
        statuses.append(status)
    return statuses


def _options(cls, table: dict):
    options_cls = getattr(cls, "Options", None)
    return options_cls(**table) if options_cls is not None else None


def availability(cls, options) -> tuple[bool, str]:
    missing = [p for p in _packages(cls) if importlib.util.find_spec(p) is None]
    if missing:
        return False, f"needs {', '.join(missing)}: {cls.info.needs or 'see the README'}"
    model = getattr(options, "model", None)
    if not model:
        return True, "ships with its package"
    local = getattr(options, "model_path", "")
    if local:
        return (
            (True, f"local copy {local}")
            if Path(local).expanduser().is_dir()
            else (False, f"model_path {local} is not a folder")
        )
    if _cached(model):
        return True, f"{model} (downloaded)"
    return False, f"{model} not downloaded: soundalike models fetch {cls.name}, or set model_path"


def _packages(cls) -> tuple[str, ...]:
    module = cls.__module__.rsplit(".", 1)[-1]
    if module == "builtin":
        return ()
    return NEURAL_PACKAGES + (("aisfx",) if module == "aisfx" else ())


def _cached(model: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    return isinstance(try_to_load_from_cache(model, "config.json"), str)


def _loaded_status(status: BackendStatus, settings: Settings) -> BackendStatus:
    try:
        embedder = create_embedder(status.name, settings.backends.get(status.name))
    except UserError as e:
        return dataclasses.replace(status, usable=False, detail=str(e))
    device = getattr(embedder, "device", None)
    return dataclasses.replace(status, dim=embedder.dim, device=str(device) if device is not None else "cpu")


def fetch(name: str, settings: Settings, backends: Registry = BACKENDS) -> str:
    """Download a backend's model into the Hugging Face cache (with a progress bar); returns where."""
    cls = backends.get(name)
    if cls is None:
        raise UserError(f"unknown backend {name!r}; valid backends: {', '.join(sorted(backends))}")
    options = _options(cls, settings.backends.get(name, {}))
    model = getattr(options, "model", None)
    if not model:
        raise UserError(f"{name} has no model to download: {availability(cls, options)[1]}")
    try:
        from huggingface_hub import snapshot_download
    except ImportError as e:
        raise BackendUnavailable(f"fetching models needs huggingface_hub: {cls.info.needs}") from e
    from soundalike.engine.embedders.torch_support import hub_reachable, offline_mode

    if offline_mode() or not hub_reachable():
        raise UserError(
            f"cannot download {model}: the Hugging Face hub is not reachable (offline?). Copy the "
            f"model folder from another machine and set model_path under [backends.{name}] in config.toml"
        )
    try:
        return snapshot_download(model)
    except Exception as e:  # the hub client raises many kinds; all mean "could not download"
        log.debug("fetch failed", exc_info=True)
        raise UserError(
            f"could not download {model} ({type(e).__name__}): no network? Copy the model folder "
            f"from another machine and set model_path under [backends.{name}] in config.toml"
        ) from e
