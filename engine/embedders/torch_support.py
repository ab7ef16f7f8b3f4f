"""Shared plumbing for the neural backends: lazy imports, devices, model loading, self-checks,
and fixed-window chunking.

Nothing here imports torch or transformers at module import time, so the registry can list the
neural backends on a machine without them.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

import numpy as np

from soundalike.engine.embedders.base import unit_rows
from soundalike.engine.errors import BackendUnavailable, EmbedError

log = logging.getLogger(__name__)

#: How to add the neural extras: the project's own script (into its .venv), or pip in your own environment.
INSTALL_HINT = (
    "run scripts/setup.sh neural in the soundalike folder (it installs into .venv; "
    "in your own environment: pip install 'soundalike[neural]')"
)
PROBE_TIMEOUT_S = 3.0
T = TypeVar("T")
S = TypeVar("S", bound=Sequence[Any] | np.ndarray)  # a list or an array: a slice keeps the type


def require(module: str, backend: str) -> Any:
    """Import ``module`` or raise :class:`BackendUnavailable` with the install hint."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = module.split(".")[0]
        raise BackendUnavailable(f"backend '{backend}' needs the Python package '{package}': {INSTALL_HINT}") from e


def select_device(preference: str, backend: str) -> Any:
    """A torch.device: ``auto`` picks cuda, then mps, then cpu; any other value is used as given."""
    torch = require("torch", backend)
    if preference != "auto":
        try:
            device = torch.device(preference)
        except RuntimeError as e:
            raise BackendUnavailable(f"backend '{backend}': device '{preference}' is not valid ({e})") from e
        mps = getattr(torch.backends, "mps", None)
        usable = {"cuda": torch.cuda.is_available(), "mps": mps is not None and mps.is_available()}
        if not usable.get(device.type, True):
            raise BackendUnavailable(
                f"backend '{backend}': device '{preference}' is not available here; use device = \"auto\" or \"cpu\""
            )
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def offline_mode() -> bool:
    """True when the user asked the Hugging Face libraries not to touch the network.

    The environment is read on every call (huggingface_hub only reads it at import).
    """
    truthy = {"1", "true", "yes", "on"}
    if any(os.environ.get(var, "").strip().lower() in truthy for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")):
        return True
    try:
        from huggingface_hub import constants
    except ImportError:
        return False
    return bool(constants.HF_HUB_OFFLINE)


def hub_reachable(timeout: float = PROBE_TIMEOUT_S) -> bool:
    """A quick TCP probe of the hub, so an unreachable hub fails in seconds rather than after retries.

    Behind a proxy a direct probe proves nothing, so it is skipped and the download is attempted.
    """
    if any(os.environ.get(var) for var in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")):
        return True
    try:
        from huggingface_hub import constants

        endpoint = constants.ENDPOINT
    except ImportError:
        endpoint = "https://huggingface.co"
    url = urlparse(endpoint)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def model_source(model: str, model_path: str) -> str:
    """``model_path`` (a local copy) wins over ``model`` (a hub name)."""
    return str(Path(model_path).expanduser()) if model_path else model


def _missing_model_message(backend: str, source: str, reason: str) -> str:
    return (
        f"backend '{backend}' could not load model '{source}': {reason}. "
        f"Download it once with network access (it is then cached), or set "
        f'model_path = "/path/to/local/copy" under [backends.{backend}] in config.toml.'
    )


def load_pretrained(loader: Callable[..., T], source: str, backend: str, **kwargs: Any) -> T:
    """Call ``loader(source, ...)`` (a ``from_pretrained``): local files first, then the hub if allowed.

    Raises :class:`BackendUnavailable` with a message naming the model and ``model_path``.
    """
    local = Path(source)
    if local.is_absolute() or source.startswith((".", "~")) or local.exists():
        if not local.is_dir():
            raise BackendUnavailable(_missing_model_message(backend, source, "model_path is not a directory"))
        return _call_loader(loader, source, backend, local_files_only=True, **kwargs)
    try:
        return loader(source, local_files_only=True, **kwargs)
    except (OSError, ValueError) as cached_error:
        log.debug("%s: %s not in the local cache: %s", backend, source, cached_error)
    if offline_mode():
        reason = "it is not in the local cache and HF_HUB_OFFLINE=1 forbids downloading"
        raise BackendUnavailable(_missing_model_message(backend, source, reason))
    if not hub_reachable():
        reason = "it is not in the local cache and the Hugging Face hub cannot be reached"
        raise BackendUnavailable(_missing_model_message(backend, source, reason))
    log.info("%s: downloading %s", backend, source)
    return _call_loader(loader, source, backend, **kwargs)


def _call_loader(loader: Callable[..., T], source: str, backend: str, **kwargs: Any) -> T:
    try:
        return loader(source, **kwargs)
    except (OSError, ValueError) as e:
        raise BackendUnavailable(_missing_model_message(backend, source, str(e).splitlines()[0])) from e


def probe_clip(sample_rate: int, seconds: float = 0.5, seed: int = 0) -> np.ndarray:
    """A short, deterministic percussive clip: a decaying sine plus a little noise."""
    t = np.arange(int(sample_rate * seconds), dtype=np.float32) / sample_rate
    noise = np.random.default_rng(seed).standard_normal(t.size).astype(np.float32)
    clip = np.sin(2 * np.pi * 180.0 * t) + 0.1 * noise
    return (0.8 * clip * np.exp(-8.0 * t)).astype(np.float32)


def self_check(embed: Callable[[list[np.ndarray]], np.ndarray], dim: int, sample_rate: int, backend: str) -> None:
    """Embed two generated clips; raise :class:`BackendUnavailable` unless the output is sane."""
    clips = [probe_clip(sample_rate, 0.5, seed=0), probe_clip(sample_rate, 1.2, seed=1)]
    vectors = np.asarray(embed(clips))
    problem = ""
    if vectors.shape != (2, dim):
        problem = f"expected shape (2, {dim}), got {vectors.shape}"
    elif not np.all(np.isfinite(vectors)):
        problem = "output contains NaN or infinity"
    elif not np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3):
        problem = "output rows are not unit-norm"
    if problem:
        raise BackendUnavailable(f"backend '{backend}' failed its load-time self-check: {problem}")


def check_batch(batch: Sequence[np.ndarray], backend: str) -> list[np.ndarray]:
    """Mono float32 copies of the clips; :class:`EmbedError` for an empty or non-finite one."""
    clips = []
    for index, clip in enumerate(batch):
        clip = np.asarray(clip, dtype=np.float32).reshape(-1)
        if clip.size == 0:
            raise EmbedError(f"{backend}: clip {index} is empty")
        if not np.all(np.isfinite(clip)):
            raise EmbedError(f"{backend}: clip {index} contains NaN or infinity")
        clips.append(clip)
    return clips


def batches(items: S, size: int) -> Iterator[S]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), max(1, size)):
        yield cast(S, items[start : start + size])


def split_windows(audio: np.ndarray, window: int) -> list[np.ndarray]:
    """Cut ``audio`` into consecutive windows of ``window`` samples; the last may be shorter.

    Fixed, non-overlapping windows from sample 0 make the split a pure function of the audio.
    """
    audio = np.asarray(audio, dtype=np.float32).reshape(-1)
    if audio.size == 0:
        return [audio]
    return [audio[start : start + window] for start in range(0, audio.size, window)]


def chunk_batch(batch: Sequence[np.ndarray], window: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Split every clip into windows; returns the windows and, per window, the clip it came from."""
    windows: list[np.ndarray] = []
    owners: list[int] = []
    for index, clip in enumerate(batch):
        parts = split_windows(clip, window)
        windows.extend(parts)
        owners.extend([index] * len(parts))
    return windows, np.asarray(owners, dtype=np.int64)


def pool_windows(vectors: np.ndarray, owners: np.ndarray, weights: np.ndarray, count: int) -> np.ndarray:
    """Weighted mean of each clip's window vectors, renormalised: one unit vector per clip."""
    vectors = np.asarray(vectors, dtype=np.float64)
    pooled = np.zeros((count, vectors.shape[1]), dtype=np.float64)
    np.add.at(pooled, owners, vectors * np.asarray(weights, dtype=np.float64)[:, None])
    return unit_rows(pooled)
