"""Real FFTs for the built-in features, without the cost of importing ``scipy.fft``.

``import scipy.fft`` takes ~0.3 s of CPU (it pulls in scipy.special and scipy's array-API layer):
a sixth of indexing 750 one-shots, paid by every ``soundalike index``. The transforms themselves
live in one compiled module, ``scipy.fft._pocketfft.pypocketfft``, that needs none of it; it loads
in under a millisecond. It is loaded here under its own name, so a later ``import scipy.fft``
finds it already loaded and uses the same module, and called exactly as ``scipy.fft.rfft`` and
``irfft`` call it (default norm, one thread): the numbers are the same bit for bit
(tests/engine/embedders/test_builtin_fft.py). If scipy's layout ever changes and the direct load fails,
``scipy.fft`` itself is used: the same numbers, only the import costs again.
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import logging
import sys
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_MODULE = "scipy.fft._pocketfft.pypocketfft"
_NORM_BACKWARD, _NORM_BY_N = 0, 2  # pypocketfft's codes for scipy's norm=None (forward, inverse)


def rfft(x: np.ndarray, n: int | None = None, axis: int = -1) -> np.ndarray:
    """``scipy.fft.rfft(x, n, axis)``."""
    pocketfft = _pocketfft()
    if pocketfft is None:
        import scipy.fft

        return scipy.fft.rfft(x, n, axis)
    x = _floating(x)
    if n is not None:
        x = _fit(x, n, axis)
    return pocketfft.r2c(x, (axis,), True, _NORM_BACKWARD, None, 1)


def irfft(x: np.ndarray, n: int, axis: int = -1) -> np.ndarray:
    """``scipy.fft.irfft(x, n, axis)`` (``n`` is required here)."""
    pocketfft = _pocketfft()
    if pocketfft is None:
        import scipy.fft

        return scipy.fft.irfft(x, n, axis)
    x = _floating(x)
    if np.isrealobj(x):
        x = x + 0.0j
    return pocketfft.c2r(_fit(x, n // 2 + 1, axis), (axis,), n, False, _NORM_BY_N, None, 1)


def _floating(x) -> np.ndarray:
    """As scipy.fft prepares its input: float16 and integers promoted, native byte order, aligned."""
    x = np.asarray(x)
    if x.dtype == np.float16:
        return x.astype(np.float32)
    if x.dtype.kind not in "fc":
        return x.astype(np.float64)
    return np.array(x, dtype=x.dtype.newbyteorder("="), copy=None if x.flags.aligned else True)


def _fit(x: np.ndarray, n: int, axis: int) -> np.ndarray:
    """Cut or zero-pad ``axis`` to ``n`` points, as scipy.fft does."""
    if n < 1:
        raise ValueError(f"invalid number of data points ({n}) specified")
    if x.shape[axis] >= n:
        return x[(slice(None),) * (axis % x.ndim) + (slice(0, n),)]
    shape = list(x.shape)
    shape[axis] = n
    padded = np.zeros(shape, x.dtype)
    padded[(slice(None),) * (axis % x.ndim) + (slice(0, x.shape[axis]),)] = x
    return padded


@functools.cache
def _pocketfft() -> Any | None:
    """scipy's compiled pocketfft module (loaded once), or None when it cannot be found."""
    if _MODULE in sys.modules:
        return sys.modules[_MODULE]
    try:
        spec = importlib.util.find_spec("scipy")  # finds, does not import
        folder = Path(spec.origin).parent / "fft" / "_pocketfft"  # type: ignore[union-attr, arg-type]
        suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
        path = next(p for p in folder.iterdir() if p.name.startswith("pypocketfft.") and p.name.endswith(suffixes))
        loader = importlib.machinery.ExtensionFileLoader(_MODULE, str(path))
        module = importlib.util.module_from_spec(importlib.machinery.ModuleSpec(_MODULE, loader, origin=str(path)))
        loader.exec_module(module)
    except Exception as e:  # another scipy layout: scipy.fft serves, only slower to import
        log.debug("scipy's pocketfft not loadable directly (%s): using scipy.fft", e)
        return None
    sys.modules[_MODULE] = module
    return module
