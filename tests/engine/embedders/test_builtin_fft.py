"""The built-in features' FFTs (engine/embedders/fft.py) are scipy.fft's, bit for bit, without its import."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import scipy.fft

from soundalike.engine.embedders import fft


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rfft_and_irfft_equal_scipy_bit_for_bit(dtype):
    rng = np.random.default_rng(5)
    frames = rng.normal(0, 1, (37, 1024)).astype(dtype)
    assert fft._pocketfft() is not None  # the direct load works here, so the fast path is what is compared
    assert np.array_equal(fft.rfft(frames, axis=1), scipy.fft.rfft(frames, axis=1))
    assert np.array_equal(fft.rfft(frames.T, axis=0), scipy.fft.rfft(frames.T, axis=0))
    seg = frames[0, :700]
    for n in (512, 2048):  # cut and zero-padded
        spec = fft.rfft(seg, n)
        assert np.array_equal(spec, scipy.fft.rfft(seg, n))
        power = spec.real**2 + spec.imag**2
        assert np.array_equal(fft.irfft(power, n), scipy.fft.irfft(power, n))
        assert np.array_equal(fft.irfft(spec, n), scipy.fft.irfft(spec, n))
    assert fft.rfft(np.arange(8)).dtype == scipy.fft.rfft(np.arange(8)).dtype == np.complex128


def test_features_need_no_scipy_fft_import(tmp_path):
    code = (
        "import sys, numpy as np; from soundalike.engine.embedders.builtin import BuiltinEmbedder; "
        "v = BuiltinEmbedder().embed([np.sin(np.arange(22050, dtype=np.float32) * 0.3)]); "
        "assert np.isfinite(v).all(); print(sorted(m for m in sys.modules if m.startswith('scipy')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['scipy.fft._pocketfft.pypocketfft']"


def test_scipy_fft_serves_when_the_direct_load_fails(monkeypatch):
    frames = np.random.default_rng(6).normal(0, 1, (5, 256)).astype(np.float32)
    monkeypatch.setattr(fft, "_pocketfft", lambda: None)
    assert np.array_equal(fft.rfft(frames, axis=1), scipy.fft.rfft(frames, axis=1))
    assert np.array_equal(fft.irfft(frames[:, :129], 256), scipy.fft.irfft(frames[:, :129], 256))
