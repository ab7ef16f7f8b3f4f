"""The built-in embedder on drum sounds synthesised here with numpy."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.signal
import soxr

from soundalike.engine.embedders.base import Embedder
from soundalike.engine.embedders.builtin import TAG_NAMES, BuiltinEmbedder
from soundalike.engine.errors import BackendUnavailable
from soundalike.engine.tools import demo

SR = BuiltinEmbedder.sample_rate


def _t(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SR)) / SR


def kick(f_end: float = 50.0, decay: float = 0.35, seed: int = 0) -> np.ndarray:
    t = _t(0.6)
    freq = f_end + 4 * f_end * np.exp(-t / 0.03)
    click = np.random.default_rng(seed).standard_normal(len(t)) * np.exp(-t / 0.002) * 0.2
    return (np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / (decay / 6.9)) + click).astype(np.float32)


def hat(decay: float = 0.05, seed: int = 1) -> np.ndarray:
    t = _t(0.2)
    noise = np.random.default_rng(seed).standard_normal(len(t))
    high = np.diff(np.diff(noise, prepend=0), prepend=0)  # crude second-order high-pass
    return (high * np.exp(-t / (decay / 6.9)) / 4).astype(np.float32)


def snare(seed: int = 2) -> np.ndarray:
    t = _t(0.4)
    tone = np.sin(2 * np.pi * 190 * t) * np.exp(-t / 0.02)
    noise = np.random.default_rng(seed).standard_normal(len(t)) * np.exp(-t / 0.05)
    return (0.6 * tone + 0.4 * noise).astype(np.float32)


def cowbell(f0: float = 540.0, decay: float = 0.35) -> np.ndarray:
    """Two detuned square waves through a band-pass, the 808 recipe."""
    t = _t(0.6)
    tone = np.sign(np.sin(2 * np.pi * f0 * t)) + np.sign(np.sin(2 * np.pi * f0 * 1.48 * t))
    sos = scipy.signal.butter(2, [0.8 * f0 / (SR / 2), min(5 * f0, 9000) / (SR / 2)], btype="band", output="sos")
    return (scipy.signal.sosfilt(sos, tone) * np.exp(-6.9 * t / decay) * 0.3).astype(np.float32)


def bongo(f0: float = 380.0, decay: float = 0.15, seed: int = 1) -> np.ndarray:
    """A tuned skin (slight pitch drop) with a short band-limited slap."""
    t = _t(0.5)
    body = np.sin(2 * np.pi * np.cumsum(f0 * (1 + 0.15 * np.exp(-t / 0.02))) / SR) * np.exp(-6.9 * t / decay)
    sos = scipy.signal.butter(2, [800 / (SR / 2), 3000 / (SR / 2)], btype="band", output="sos")
    slap = scipy.signal.sosfilt(sos, np.random.default_rng(seed).standard_normal(len(t))) * np.exp(-t / 0.008)
    return (0.6 * body + 0.5 * slap).astype(np.float32)


@pytest.fixture(scope="module")
def embedder() -> BuiltinEmbedder:
    return BuiltinEmbedder()


def test_is_an_embedder_with_documented_attributes(embedder):
    assert isinstance(embedder, Embedder)
    assert embedder.name == "builtin"
    assert embedder.sample_rate == 22050
    assert {"overall", "timbre", "envelope", "pitch"} <= set(embedder.aspects)
    assert max(s.stop for s in embedder.aspects.values()) == embedder.dim
    assert set(embedder.default_weights) <= set(embedder.aspects)


def test_shapes_norms_and_dtype(embedder):
    vectors = embedder.embed([kick(), snare(), hat()])
    assert vectors.shape == (3, embedder.dim)
    assert vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_aspect_slices_are_unit_norm_and_scaled(embedder):
    vectors = embedder.embed([kick(), hat()])
    scale = 1 / np.sqrt(len(embedder.aspects))
    for part in embedder.aspects.values():
        np.testing.assert_allclose(np.linalg.norm(vectors[:, part], axis=1), scale, atol=1e-5)


def test_deterministic_across_calls_and_instances(embedder):
    batch = [kick(), snare(), hat()]
    first = embedder.embed(batch)
    np.testing.assert_array_equal(first, embedder.embed(batch))
    np.testing.assert_array_equal(first, BuiltinEmbedder().embed(batch))
    np.testing.assert_allclose(first[1], embedder.embed([snare()])[0], atol=1e-6)


@pytest.mark.parametrize(
    "clip",
    [
        np.zeros(SR, np.float32),
        np.full(SR // 2, 1e-9, np.float32),
        np.zeros(0, np.float32),
        kick()[: int(0.005 * SR)],
        np.ones(3, np.float32),
        np.full(SR, 0.999, np.float32),
    ],
    ids=["silence", "near-silence", "empty", "5ms", "3-samples", "dc"],
)
def test_edge_cases_give_finite_unit_vectors(embedder, clip):
    analysis = embedder.analyse([clip])
    assert np.isfinite(analysis.vectors).all()
    np.testing.assert_allclose(np.linalg.norm(analysis.vectors, axis=1), 1.0, atol=1e-5)
    assert np.isfinite(list(analysis.tags[0].values())).all()


def test_long_loop_is_cheap_and_close_to_its_first_hit(embedder):
    loop = np.tile(np.concatenate([kick(), np.zeros(SR // 2, np.float32)]), 60)  # ~66 s
    vectors = embedder.embed([loop, kick()])
    assert np.isfinite(vectors).all()
    assert float(vectors[0] @ vectors[1]) > 0.8


def test_kick_is_closer_to_another_kick_than_to_a_hat(embedder):
    a, b, h, s = embedder.embed([kick(50.0, 0.35, seed=0), kick(60.0, 0.5, seed=3), hat(), snare()])
    query = embedder.query_vector(a)
    assert query @ b > query @ h
    assert query @ b > query @ s


def test_tags_name_what_was_synthesised(embedder):
    tags = embedder.analyse([kick(), hat()]).tags
    for item in tags:
        assert set(item) == set(TAG_NAMES)
        assert sum(item.values()) == pytest.approx(1.0, abs=1e-4)
    assert max(tags[0], key=tags[0].get) == "kick"
    assert tags[1]["closed hat"] + tags[1]["open hat"] + tags[1]["shaker"] > 0.5


def test_bells_and_hand_drums_have_their_own_tags(embedder):
    assert {"bell", "hand drum"} <= set(TAG_NAMES)
    assert "percussion" not in TAG_NAMES
    bells = embedder.analyse([cowbell(), cowbell(800.0, 0.25)]).tags
    hands = embedder.analyse([bongo(), bongo(300.0, 0.2, seed=4)]).tags
    assert [max(tags, key=tags.get) for tags in bells] == ["bell", "bell"]
    assert [max(tags, key=tags.get) for tags in hands] == ["hand drum", "hand drum"]


def test_aspect_weights_change_the_query(embedder):
    vector = embedder.embed([snare()])[0]
    pitch_only = embedder.query_vector(vector, {"pitch": 1.0})
    assert np.linalg.norm(pitch_only) == pytest.approx(1.0, abs=1e-5)
    outside = np.ones(embedder.dim, bool)
    outside[embedder.aspects["pitch"]] = False
    assert not pitch_only[outside].any()


def test_empty_batch(embedder):
    assert embedder.embed([]).shape == (0, embedder.dim)


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(BackendUnavailable, match="train_builtin"):
        BuiltinEmbedder(BuiltinEmbedder.Options(model_path=str(tmp_path / "nope.npz")))


def test_find_similar_treats_open_and_closed_hats_as_one_kind(embedder):
    model = embedder.model
    classes = list(model.classes)

    def posterior(**mass):
        probs = np.zeros((1, len(classes)), np.float32)
        for name, p in mass.items():
            probs[0, classes.index(name)] = p
        return probs

    hidden = np.zeros((1, 8), np.float32)
    unsure_open_hat = model.overall(hidden, posterior(open_hat=0.6, cymbal=0.4))
    closed_hat = model.overall(hidden, posterior(closed_hat=1.0))
    cymbal = model.overall(hidden, posterior(cymbal=1.0))
    assert unsure_open_hat[0] @ closed_hat[0] > unsure_open_hat[0] @ cymbal[0]
    tags = embedder._tags(posterior(open_hat=0.6, cymbal=0.4)[0], openness=1.0)
    assert tags["open hat"] == pytest.approx(0.6) and tags["closed hat"] == 0.0


def test_signature_changes_with_the_model(embedder, tmp_path):
    from soundalike.engine.embedders.builtin import MODEL_FILE

    with np.load(MODEL_FILE) as data:
        arrays = {key: data[key] for key in data.files}
    assert BuiltinEmbedder().signature() == embedder.signature()
    arrays["m0_b0"] = arrays["m0_b0"] + 0.01
    np.savez(tmp_path / "retrained.npz", **arrays)
    retrained = BuiltinEmbedder(BuiltinEmbedder.Options(model_path=str(tmp_path / "retrained.npz")))
    assert retrained.dim == embedder.dim
    assert retrained.signature() != embedder.signature()


def test_hat_tags_split_open_from_closed_by_how_the_sound_rings(embedder):
    # The demo library's 808-style hats: the nets alone called two of these eight closed hats open.
    rng = np.random.default_rng(0)
    closed = [soxr.resample(demo.closed_hat(rng), demo.RATE, SR).astype(np.float32) for _ in range(8)]
    opened = [soxr.resample(demo.open_hat(rng), demo.RATE, SR).astype(np.float32) for _ in range(8)]
    tags = embedder.analyse(closed + opened).tags
    assert [max(t, key=t.get) for t in tags] == ["closed hat"] * 8 + ["open hat"] * 8
    for item in tags:
        assert sum(item.values()) == pytest.approx(1.0, abs=1e-4)


def test_hat_split_moves_only_hat_mass(embedder):
    classes = list(embedder.model.classes)
    probs = np.zeros(len(classes), np.float32)
    probs[classes.index("open_hat")], probs[classes.index("closed_hat")], probs[classes.index("cymbal")] = 0.5, 0.1, 0.4
    choked = embedder._tags(probs, openness=0.0)
    assert choked["cymbal"] == pytest.approx(0.4)
    assert choked["open hat"] + choked["closed hat"] == pytest.approx(0.6)
    # half the nets' split (5/6 open), half the decay's (closed): 0.6 * 5/12 open
    assert choked["open hat"] == pytest.approx(0.25)


def test_the_demo_cymbals_are_tagged_cymbal_not_open_hat(embedder):
    # 808-style cymbals ring 560-910 ms: the nets alone called 4 of these 12 "open hat".
    cymbals = [soxr.resample(demo.render("cymbal", seed), demo.RATE, SR).astype(np.float32) for seed in range(12)]
    opened = [soxr.resample(demo.render("open hat", seed), demo.RATE, SR).astype(np.float32) for seed in range(12)]
    tags = embedder.analyse(cymbals + opened).tags
    assert [max(t, key=t.get) for t in tags] == ["cymbal"] * 12 + ["open hat"] * 12


def test_only_open_hat_mass_moves_to_cymbal_when_it_rings_long(embedder):
    classes = list(embedder.model.classes)
    probs = np.zeros(len(classes), np.float32)
    probs[classes.index("open_hat")], probs[classes.index("cymbal")], probs[classes.index("kick")] = 0.6, 0.3, 0.1
    ringing = embedder._tags(probs, openness=1.0, ringing=0.75)
    assert ringing["open hat"] == pytest.approx(0.6 * 0.25) and ringing["cymbal"] == pytest.approx(0.3 + 0.6 * 0.75)
    assert ringing["kick"] == pytest.approx(0.1) and sum(ringing.values()) == pytest.approx(1.0)
