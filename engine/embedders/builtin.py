"""The offline built-in backend: hand-made drum features plus a small learned metric, numpy only.

Features come from :mod:`builtin_features`. A small ensemble of MLP classifiers trained on
rendered General MIDI drum kits, synthetic kits and the dev set (``training/train_builtin.py``)
turns them into the ``overall`` block (square roots of the mean class posterior next to each
net's unit-norm last hidden layer) and into tags. The ``timbre``, ``envelope`` and ``pitch``
blocks are unsupervised views of the same features, so a query can ask for "same decay" or "same pitch" instead of "same kind of drum".
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import numpy as np

from soundalike.engine.embedders.base import Analysis, BackendInfo, Embedder, Tags, unit_rows
from soundalike.engine.embedders.builtin_features import (
    DECAY_LEVELS_DB,
    ENV_TIMES_MS,
    SAMPLE_RATE,
    WINDOW_SECONDS,
    FeatureExtractor,
    block_slices,
)
from soundalike.engine.embedders.builtin_frames import FramesNet, MelFrames, frames_batch
from soundalike.engine.errors import BackendUnavailable

log = logging.getLogger(__name__)

MODEL_FILE = Path(__file__).with_name("builtin_model.npz")
ASPECT_ORDER = ("overall", "timbre", "envelope", "pitch", "frames")  # "frames": when the model file has them
TAG_NAMES = (
    "kick",
    "snare",
    "clap",
    "closed hat",
    "open hat",
    "tom",
    "cymbal",
    "rim",
    "shaker",
    "bell",
    "hand drum",
    "other",
)
# Fine training classes -> user-facing tags.
CLASS_TO_TAG = {
    "kick": "kick",
    "snare": "snare",
    "clap": "clap",
    "closed_hat": "closed hat",
    "open_hat": "open hat",
    "tom": "tom",
    "cymbal": "cymbal",
    "rim": "rim",
    "shaker": "shaker",
    "bell": "bell",
    "hand": "hand drum",
    "other": "other",
}
# The learned block leads; timbre, pitch and a little envelope order sounds within a class and,
# when the nets are unsure, still pull same-kind sounds ahead. A query's score is the weighted sum
# of per-aspect cosines. Chosen on the pooled leave-one-source-out evaluation (training/pooled_eval.py,
# 2026-12-02: better than 0.3 / 0.1 / 0.04 for both the old and the new recipe, most on the small
# classes); 0.3 / 0.1 / 0.04 from 2026-12-01, 0.09 / 0.04 / 0 before.
DEFAULT_WEIGHTS = {"overall": 1.0, "timbre": 0.3, "pitch": 0.2, "envelope": 0.1}
# With the learned front end (a model file holding the frames net, as shipped since 2026-12-05) "similar"
# ranks by it alone: on sources no model trained on it beat the weights above on top-1 by 0.05 and matched
# them on P@10, and blends with them were no better (training/heldout_eval.py, BENCHMARKS.md).
FRAMES_WEIGHTS = {"frames": 1.0}
# Fine classes that "find similar" treats as one kind (the tags keep them apart).
RETRIEVAL_CLASS = {"closed_hat": "hihat", "open_hat": "hihat"}
# Open or closed hat, for the tags: half the nets' say, half how fast the sound falls 12 dB (a closed
# hat is choked). 90 ms separates rendered open and closed hats best; on the dev kits the blend named
# 30 of 32 hats right (left out of training in turn), the nets alone 29 (training/README.md).
OPEN_HAT_DECAY_MS = 90.0
OPEN_HAT_WIDTH = 0.25  # octaves of decay time from "surely closed" to "surely open"
# An "open hat" still ringing this long after its peak (to fall 12 dB) is a cymbal: none of the 48
# rendered open hats took over 364 ms, while the demo library's 808-style cymbals take 560-910 ms and
# the nets called 4 of those 12 "open hat". The open-hat mass moves to "cymbal" by this logistic.
CYMBAL_DECAY_MS = 500.0
CYMBAL_WIDTH = 0.15  # octaves
PITCH_BINS = np.linspace(np.log2(30.0), np.log2(8000.0), 33)
PITCH_WIDTH = 0.25  # octaves: neighbouring notes overlap, an octave apart barely does


@dataclass(frozen=True, eq=False)
class BuiltinModel:
    """Learned parameters, read from the shipped ``.npz`` (arrays only, no pickles)."""

    mean: np.ndarray
    scale: np.ndarray
    nets: tuple[tuple[tuple[np.ndarray, np.ndarray], ...], ...]  # ensemble of MLPs: layers of (W, b)
    classes: tuple[str, ...]
    timbre_basis: np.ndarray
    temperature: float
    hidden_weight: float
    frames: FramesNet | None = None  # the learned front end over log-mel frames (builtin_frames), if shipped
    frames_tag_share: float = 0.0  # its class head's share of the tag posterior

    @classmethod
    def load(cls, path: Path) -> BuiltinModel:
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError) as exc:
            raise BackendUnavailable(
                f"built-in model {path} is unreadable ({exc}); reinstall soundalike or run training/train_builtin.py"
            ) from exc
        return cls.from_arrays(arrays)

    def digest(self) -> str:
        """Short hash of every learned number: a retrained model has another."""
        sha = hashlib.sha1()
        for array in (
            self.mean,
            self.scale,
            self.timbre_basis,
            *(a for net in self.nets for layer in net for a in layer),
        ):
            sha.update(np.ascontiguousarray(array).tobytes())
        if self.frames is not None:
            for array in self.frames.arrays():
                sha.update(np.ascontiguousarray(array).tobytes())
            sha.update(repr(self.frames_tag_share).encode())
        sha.update(
            repr(
                (
                    self.classes,
                    self.temperature,
                    self.hidden_weight,
                    RETRIEVAL_CLASS,
                    OPEN_HAT_DECAY_MS,
                    OPEN_HAT_WIDTH,
                    CLASS_TO_TAG,
                    CYMBAL_DECAY_MS,
                    CYMBAL_WIDTH,
                )
            ).encode()
        )
        return sha.hexdigest()[:10]

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> BuiltinModel:
        n_layers = int(arrays["n_layers"])
        nets = tuple(
            tuple(
                (arrays[f"m{k}_W{i}"].astype(np.float32), arrays[f"m{k}_b{i}"].astype(np.float32))
                for i in range(n_layers)
            )
            for k in range(int(arrays["n_models"]))
        )
        classes = tuple(str(c) for c in arrays["classes"])
        frames = FramesNet.from_arrays(arrays)
        if frames is not None and tuple(str(c) for c in arrays["frames_classes"]) != classes:
            raise BackendUnavailable(
                "built-in model: the frames net and the MLPs name different classes; run training/train_frames.py again"
            )
        return cls(
            mean=arrays["mean"].astype(np.float32),
            scale=arrays["scale"].astype(np.float32),
            nets=nets,
            classes=classes,
            timbre_basis=arrays["timbre_basis"].astype(np.float32),
            temperature=float(arrays["temperature"]),
            hidden_weight=float(arrays["hidden_weight"]),
            frames=frames,
            frames_tag_share=float(arrays.get("frames_tag_share", 0.0)),
        )

    def standardise(self, features: np.ndarray) -> np.ndarray:
        return np.clip((features - self.mean) / self.scale, -8.0, 8.0).astype(np.float32)

    def forward(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Last hidden layers (unit-norm per net, side by side) and mean class probabilities."""
        hiddens, probs = [], []
        for layers in self.nets:
            h = z
            for weight, bias in layers[:-1]:
                h = np.maximum(h @ weight + bias, 0.0)
            weight, bias = layers[-1]
            logits = (h @ weight + bias) / self.temperature
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            hiddens.append(unit_rows(h))
            probs.append(p / p.sum(axis=1, keepdims=True))
        return np.concatenate(hiddens, axis=1), np.mean(probs, axis=0)

    @cached_property
    def merge(self) -> np.ndarray:
        """(fine classes, retrieval classes) 0/1 matrix: open and closed hats are one kind of drum."""
        kinds = sorted({RETRIEVAL_CLASS.get(c, c) for c in self.classes})
        return np.array([[RETRIEVAL_CLASS.get(c, c) == k for k in kinds] for c in self.classes], dtype=np.float32)

    def overall(self, hidden: np.ndarray, probs: np.ndarray) -> np.ndarray:
        # sqrt of a distribution has unit norm: the cosine of two is their Bhattacharyya coefficient.
        # Hats are merged here, after the tags have used them apart: an open hat that is unsure
        # between "open hat" and "cymbal" should still find closed hats before cymbals.
        posterior = np.sqrt(probs @ self.merge)
        return unit_rows(np.concatenate([posterior, self.hidden_weight * unit_rows(hidden)], axis=1))

    def aspects(self, features: np.ndarray, frames: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """Each aspect's unit rows (``frames`` too when this model has the net and ``frames`` are given),
        and the class posterior the tags read (``_probs``)."""
        z = self.standardise(features)
        hidden, probs = self.forward(z)
        blocks = block_slices()
        out = {
            "overall": self.overall(hidden, probs),
            "timbre": unit_rows(z[:, blocks["timbre"]] @ self.timbre_basis),
            "envelope": unit_rows(z[:, blocks["envelope"]]),
            "pitch": pitch_code(features[:, blocks["pitch"]]),
        }
        if self.frames is not None and frames is not None:
            embedding, logits = self.frames.forward(frames)
            out["frames"] = unit_rows(embedding)
            logits -= logits.max(axis=1, keepdims=True)
            head = np.exp(logits)
            probs = (1.0 - self.frames_tag_share) * probs + self.frames_tag_share * head / head.sum(
                axis=1, keepdims=True
            )
        out["_probs"] = probs
        return out


def rings_longer(features: np.ndarray, ms: float, width: float) -> np.ndarray:
    """Per row, 0..1: how surely the sound takes longer than ``ms`` to fall 12 dB after its peak."""
    envelope = features[:, block_slices()["envelope"]]
    log_ms = envelope[:, len(ENV_TIMES_MS) + DECAY_LEVELS_DB.index(12)]  # log2(1 + ms), as extracted
    return 1.0 / (1.0 + np.exp(-(log_ms - np.log2(1.0 + ms)) / width))


def hat_openness(features: np.ndarray) -> np.ndarray:
    """Per row, 0..1: how open a hat this would be, judged by the time to fall 12 dB after the peak."""
    return rings_longer(features, OPEN_HAT_DECAY_MS, OPEN_HAT_WIDTH)


def pitch_code(pitch: np.ndarray) -> np.ndarray:
    """Soft one-hot over log frequency of the low and the overall spectral peak, by prominence."""
    rows = []
    for freq_col, prom_col in ((2, 3), (0, 1)):
        octave = np.log2(np.maximum(2.0 ** pitch[:, freq_col] - 20.0, 1.0))
        bumps = np.exp(-0.5 * ((octave[:, None] - PITCH_BINS[None, :]) / PITCH_WIDTH) ** 2)
        weight = np.clip(pitch[:, prom_col], 0.1, 6.0)[:, None]
        rows.append(bumps * weight)
    return unit_rows(np.concatenate(rows, axis=1) + 1e-6)


class BuiltinEmbedder(Embedder):
    """Offline drum one-shot embedder: features + small numpy MLP."""

    name: ClassVar[str] = "builtin"
    sample_rate: ClassVar[int] = SAMPLE_RATE
    info: ClassVar[BackendInfo] = BackendInfo(
        good_for="drum one-shots and short samples; works offline", licence="MIT (trained by training/train_builtin.py)"
    )
    window_seconds: float = WINDOW_SECONDS
    reads_seconds: float | None = WINDOW_SECONDS  # the features crop to the first 2 s
    batch_size: int = 64
    process_safe: ClassVar[bool] = True

    @dataclass(frozen=True)
    class Options:
        model_path: str = ""  # empty: the model shipped next to this module

    def __init__(self, options: BuiltinEmbedder.Options | None = None):
        self.options = options or BuiltinEmbedder.Options()
        self.model = BuiltinModel.load(Path(self.options.model_path) if self.options.model_path else MODEL_FILE)
        self.features = FeatureExtractor(SAMPLE_RATE)
        self.frames = MelFrames(SAMPLE_RATE) if self.model.frames is not None else None
        self.aspects = self._layout()
        self.dim = max(part.stop for part in self.aspects.values())
        self.default_weights = dict(FRAMES_WEIGHTS if "frames" in self.aspects else DEFAULT_WEIGHTS)

    def signature(self) -> str:
        # Stored vectors must be re-made when the model or the way vectors are built changes,
        # even if their width does not. Hashed once: every query checks it.
        cached = self.__dict__.get("_signature")
        if cached is None:
            cached = self.__dict__["_signature"] = f"{super().signature()}/{self.model.digest()}"
        return cached

    def _layout(self) -> dict[str, slice]:
        # The frames net is not run to learn its width: one clip through it at start-up cost up to
        # ~40 ms of CPU, as OpenBLAS's threads woke for its products.
        widths = {
            name: part.shape[1]
            for name, part in self.model.aspects(np.zeros((1, len(self.model.mean)), dtype=np.float32)).items()
        }
        if self.model.frames is not None:
            widths["frames"] = self.model.frames.embed[0].shape[1]
        start, layout = 0, {}
        for name in (name for name in ASPECT_ORDER if name in widths):
            width = widths[name]
            layout[name] = slice(start, start + width)
            start += width
        return layout

    def prepare_for_fork(self) -> None:
        self.analyse([np.zeros(SAMPLE_RATE // 10, dtype=np.float32)])  # loads the FFT, fills caches

    def embed(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        return self.analyse(batch).vectors

    def analyse(self, batch: Sequence[np.ndarray]) -> Analysis:
        if not len(batch):
            return Analysis(vectors=np.zeros((0, self.dim), dtype=np.float32), tags=[])
        features = np.stack([self.features(clip) for clip in batch])
        return self.analyse_features(features, frames_batch(batch, self.frames) if self.frames is not None else None)

    def analyse_features(self, features: np.ndarray, frames: np.ndarray | None = None) -> Analysis:
        """Vectors and tags from precomputed feature rows and log-mel frames (training shares the maths)."""
        if self.frames is not None and frames is None:
            raise ValueError("this built-in model has a frames net: pass the clips' log-mel frames too")
        parts = self.model.aspects(features, frames)
        scale = 1.0 / np.sqrt(len(self.aspects))
        vectors = np.concatenate([parts[name] * scale for name in self.aspects], axis=1)
        openness = hat_openness(features)
        ringing = rings_longer(features, CYMBAL_DECAY_MS, CYMBAL_WIDTH)
        return Analysis(
            vectors=unit_rows(vectors),
            tags=[self._tags(row, float(o), float(r)) for row, o, r in zip(parts["_probs"], openness, ringing)],
        )

    def _tags(self, probs: np.ndarray, openness: float, ringing: float = 0.0) -> Tags:
        tags = dict.fromkeys(TAG_NAMES, 0.0)
        for cls, p in zip(self.model.classes, probs):
            tags[CLASS_TO_TAG[cls]] += float(p)
        hats = tags["closed hat"] + tags["open hat"]
        if hats > 0:
            open_share = 0.5 * tags["open hat"] / hats + 0.5 * openness
            tags["open hat"], tags["closed hat"] = hats * open_share, hats * (1.0 - open_share)
        moved = tags["open hat"] * ringing  # rings too long for a hat: a cymbal
        tags["open hat"], tags["cymbal"] = tags["open hat"] - moved, tags["cymbal"] + moved
        return tags
