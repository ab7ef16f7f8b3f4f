"""Odd audio is indexed without numpy warnings on the terminal: a float file at 1e30, a clip that peaks at its very end."""

from __future__ import annotations

import warnings

import numpy as np
import soundfile as sf

from soundalike.engine.embedders.registry import create_embedder
from soundalike.engine.library.facade import Library


def _no_warnings(work) -> None:
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("always")
        work()
    assert not shown, [f"{w.filename}:{w.lineno}: {w.message}" for w in shown]


def test_a_float_file_at_1e30_is_indexed_without_overflow_warnings(make_settings, tmp_path):
    root = tmp_path / "odd"
    root.mkdir()
    rate = 44100
    tone = np.sin(np.arange(rate) / 10).astype(np.float32)  # a held note, one second
    sf.write(root / "huge.wav", tone * np.float32(1e30), rate, subtype="FLOAT")
    settings = make_settings(backends=("builtin",), default="builtin")
    with Library(settings) as library:
        _no_warnings(lambda: library.scan([str(root)]))
        assert library.stats()["samples"] == 1


def test_a_clip_whose_loudest_moment_is_its_last_block_embeds_without_empty_mean_warnings():
    embedder = create_embedder("builtin", None)
    rng = np.random.default_rng(5)
    clip = (0.01 * rng.normal(size=2554)).astype(np.float32)
    clip[2432:2496] = 0.9 * rng.normal(size=64)  # the 39th of 39 level blocks: no analysis frame after it
    _no_warnings(lambda: embedder.analyse([clip]))
    vector = embedder.analyse([clip]).vectors[0]
    assert np.isfinite(vector).all()
