"""Shared plumbing: loading messages, install hints, chunking and pooling, the self-check."""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import fields, is_dataclass

import numpy as np
import pytest

pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from soundalike.engine.embedders import torch_support  # noqa: E402
from soundalike.engine.embedders.clap import ClapEmbedder  # noqa: E402
from soundalike.engine.embedders.neural import NEURAL_BACKENDS  # noqa: E402
from soundalike.engine.embedders.speech import WavLMEmbedder  # noqa: E402
from soundalike.engine.errors import BackendUnavailable, EmbedError  # noqa: E402

pytestmark = pytest.mark.neural
MISSING = "soundalike-tests/no-such-model"


def test_offline_missing_model_names_model_path(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.monotonic()
    with pytest.raises(BackendUnavailable) as caught:
        ClapEmbedder(ClapEmbedder.Options(model=MISSING, device="cpu"))
    message = str(caught.value)
    assert MISSING in message and "model_path" in message and "[backends.clap]" in message
    assert "HF_HUB_OFFLINE" in message
    assert time.monotonic() - started < 5


def test_unreachable_hub_fails_fast_with_clear_message(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(torch_support, "offline_mode", lambda: False)
    monkeypatch.setattr(torch_support, "hub_reachable", lambda timeout=0: False)
    with pytest.raises(BackendUnavailable, match="cannot be reached.*model_path"):
        torch_support.load_pretrained(transformers.AutoConfig.from_pretrained, MISSING, "wavlm")


def test_model_path_that_is_not_a_directory(tmp_path):
    with pytest.raises(BackendUnavailable, match="model_path"):
        WavLMEmbedder(WavLMEmbedder.Options(model_path=str(tmp_path / "nowhere"), device="cpu"))


def test_missing_dependency_gives_install_hint(monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(BackendUnavailable, match=r"pip install 'soundalike\[neural\]'") as caught:
        WavLMEmbedder(WavLMEmbedder.Options(device="cpu"))
    assert isinstance(caught.value.__cause__, ImportError)


def test_importing_the_backends_does_not_import_torch():
    code = "import sys, soundalike.engine.embedders.neural; sys.exit('torch' in sys.modules or 'transformers' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_every_backend_declares_the_interface():
    assert len({cls.name for cls in NEURAL_BACKENDS}) == len(NEURAL_BACKENDS)
    for cls in NEURAL_BACKENDS:
        assert cls.sample_rate > 0 and cls.info.licence and cls.info.needs
        assert is_dataclass(cls.Options) and cls.Options.__dataclass_params__.frozen
        assert all(f.default is not f.default_factory for f in fields(cls.Options))
        cls.Options()  # every field has a default


def test_mert_licence_says_non_commercial():
    mert = next(cls for cls in NEURAL_BACKENDS if cls.name == "mert")
    assert "CC BY-NC 4.0" in mert.info.licence and "non-commercial" in mert.info.licence


def test_windows_are_fixed_and_pooling_is_weighted():
    clips = [np.arange(25, dtype=np.float32), np.ones(3, dtype=np.float32)]
    windows, owners = torch_support.chunk_batch(clips, 10)
    assert [w.size for w in windows] == [10, 10, 5, 3] and owners.tolist() == [0, 0, 0, 1]
    vectors = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float32)
    pooled = torch_support.pool_windows(vectors, owners, np.array([10, 10, 5, 3]), 2)
    np.testing.assert_allclose(pooled, [[0.970143, 0.242536], [0, 1]], atol=1e-5)


def test_empty_clip_is_a_per_file_error():
    with pytest.raises(EmbedError, match="empty"):
        torch_support.check_batch([np.zeros(0, dtype=np.float32)], "clap")


@pytest.mark.parametrize(
    "output, problem",
    [(np.zeros((2, 4)), "unit-norm"), (np.full((2, 4), np.nan), "NaN"), (np.ones((2, 3)), "shape")],
)
def test_self_check_rejects_bad_output(output, problem):
    with pytest.raises(BackendUnavailable, match=problem):
        torch_support.self_check(lambda clips: output, 4, 16_000, "wavlm")


def test_unavailable_device_is_refused():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(BackendUnavailable, match="not available"):
        torch_support.select_device("cuda", "clap")
    assert torch_support.select_device("auto", "clap").type in {"cpu", "mps"}
