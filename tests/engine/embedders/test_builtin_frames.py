"""The built-in backend's learned front end: log-mel frames and the numpy conv net, alone and in the model."""

from __future__ import annotations

import numpy as np
import pytest

from soundalike.engine.embedders.builtin import MODEL_FILE, BuiltinEmbedder
from soundalike.engine.embedders.builtin_frames import FRAME_COUNT, PREFIX, FramesNet, MelFrames
from soundalike.engine.errors import BackendUnavailable
from soundalike.engine.tools import demo


def random_net(rng: np.random.Generator, classes: int, channels=(8, 6), mels: int = 64) -> dict[str, np.ndarray]:
    """Arrays as train_frames.export writes them: conv weights (C_out, C_in, k), linear weights (out, in)."""
    arrays = {f"{PREFIX}n_convs": np.array(len(channels))}
    c_in = mels
    for i, c_out in enumerate(channels):
        arrays[f"{PREFIX}conv{i}_W"] = rng.standard_normal((c_out, c_in, 3)).astype(np.float16) * 0.3
        arrays[f"{PREFIX}conv{i}_b"] = rng.standard_normal(c_out).astype(np.float32) * 0.1
        c_in = c_out
    arrays[f"{PREFIX}embed_W"] = rng.standard_normal((5, 2 * c_in)).astype(np.float16)
    arrays[f"{PREFIX}embed_b"] = np.zeros(5, np.float32)
    arrays[f"{PREFIX}head_W"] = rng.standard_normal((classes, 5)).astype(np.float16)
    arrays[f"{PREFIX}head_b"] = np.zeros(classes, np.float32)
    return arrays


def reference_forward(arrays: dict[str, np.ndarray], x: np.ndarray) -> np.ndarray:
    """The same net written as plain loops (conv with zero padding 1, ReLU, max-pool 2, mean + max)."""
    h = x.astype(np.float64)  # (T, C)
    for i in range(int(arrays[f"{PREFIX}n_convs"])):
        weight, bias = arrays[f"{PREFIX}conv{i}_W"].astype(np.float64), arrays[f"{PREFIX}conv{i}_b"]
        padded = np.pad(h, ((1, 1), (0, 0)))
        out = np.zeros((len(h), weight.shape[0]))
        for t in range(len(h)):
            for o in range(weight.shape[0]):
                out[t, o] = (weight[o] * padded[t : t + 3].T).sum() + bias[o]
        out = np.maximum(out, 0.0)
        h = out[: len(out) // 2 * 2].reshape(len(out) // 2, 2, -1).max(axis=1)
    pooled = np.concatenate([h.mean(axis=0), h.max(axis=0)])
    return pooled @ arrays[f"{PREFIX}embed_W"].astype(np.float64).T + arrays[f"{PREFIX}embed_b"]


def test_the_numpy_net_computes_the_convolutions_it_was_trained_with():
    rng = np.random.default_rng(0)
    arrays = random_net(rng, classes=3)
    x = rng.uniform(-1, 1, (2, 16, 64)).astype(np.float32)
    embedding, logits = FramesNet.from_arrays(arrays).forward(x)
    assert embedding.shape == (2, 5) and logits.shape == (2, 3)
    for row, clip in zip(embedding, x):
        np.testing.assert_allclose(row, reference_forward(arrays, clip), rtol=1e-4, atol=1e-4)


def test_a_model_file_without_the_net_has_none():
    assert FramesNet.from_arrays({"mean": np.zeros(3)}) is None


def test_mel_frames_are_level_free_bounded_and_fixed_in_size():
    frames = MelFrames()
    clip = demo.render("snare", 3)[::2].copy()  # 22.05 kHz is near enough for this
    a, b = frames(clip), frames(clip * 0.05)
    assert a.shape == (FRAME_COUNT, 64) and a.dtype == np.float32
    assert a.min() >= -1.0 and a.max() == pytest.approx(1.0)
    np.testing.assert_allclose(a, b, atol=1e-4)
    assert np.isfinite(frames(np.zeros(10, np.float32))).all()
    assert frames(np.ones(200_000, np.float32)).shape == (FRAME_COUNT, 64)  # long clips read only the start


@pytest.fixture(scope="module")
def model_with_frames(tmp_path_factory):
    with np.load(MODEL_FILE) as shipped:
        arrays = {key: shipped[key] for key in shipped.files}
    if "frames_n_convs" not in arrays:  # add a random net to today's model
        arrays.update(random_net(np.random.default_rng(1), classes=len(arrays["classes"]), channels=(16, 16)))
        arrays["frames_classes"] = arrays["classes"]
        arrays["frames_tag_share"] = np.array(0.5)
    path = tmp_path_factory.mktemp("frames") / "model.npz"
    np.savez(path, **arrays)
    return path, arrays


def test_a_model_with_the_net_adds_the_frames_aspect(model_with_frames):
    path, _ = model_with_frames
    embedder = BuiltinEmbedder(BuiltinEmbedder.Options(model_path=str(path)))
    assert "frames" in embedder.aspects and embedder.default_weights["frames"] > 0
    clips = [demo.render(name, 1)[::2].copy() for name in ("kick", "closed hat")]
    analysis = embedder.analyse(clips)
    assert analysis.vectors.shape == (2, embedder.dim)
    np.testing.assert_allclose(
        np.linalg.norm(analysis.vectors[:, embedder.aspects["frames"]], axis=1),
        1.0 / np.sqrt(len(embedder.aspects)),
        rtol=1e-4,
    )
    assert all(sum(tags.values()) == pytest.approx(1.0, abs=1e-4) for tags in analysis.tags)


def test_the_net_counts_in_the_model_signature(model_with_frames, tmp_path):
    path, arrays = model_with_frames
    changed = dict(arrays)
    changed["frames_head_b"] = arrays["frames_head_b"] + 0.5
    np.savez(tmp_path / "changed.npz", **changed)
    a = BuiltinEmbedder(BuiltinEmbedder.Options(model_path=str(path))).signature()
    b = BuiltinEmbedder(BuiltinEmbedder.Options(model_path=str(tmp_path / "changed.npz"))).signature()
    assert a != b


def test_a_net_naming_other_classes_is_refused(model_with_frames, tmp_path):
    _, arrays = model_with_frames
    broken = {**arrays, "frames_classes": np.array(["kick", "snare"])}
    np.savez(tmp_path / "broken.npz", **broken)
    with pytest.raises(BackendUnavailable, match="different classes"):
        BuiltinEmbedder(BuiltinEmbedder.Options(model_path=str(tmp_path / "broken.npz")))
