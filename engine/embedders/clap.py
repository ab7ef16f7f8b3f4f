"""CLAP: audio and text in one embedding space (search by words, zero-shot tags).

Determinism
    The checkpoint's feature extractor crops clips longer than 10 s at a random, unseeded offset.
    We never let it: every clip is cut into fixed, consecutive 10 s windows from sample 0, each
    window is padded to exactly 10 s by us, the window vectors are averaged (weighted by how much
    real audio each holds) and renormalised. One file always gives one vector.

Short clips (policy ``short_clip``, default ``"repeat"``)
    HTSAT needs a 10 s input and averages its output tokens over the whole 10 s, so how a 100 ms
    hat is filled to 10 s decides what the vector describes:

    - ``"zero"`` keeps one hit followed by 9.9 s of digital silence (11 of 1001 mel frames carry
      sound). The mean over tokens is then mostly "silence": on a tiny randomly initialised CLAP,
      pairwise cosine distances between seven different 1 s clips were 1e-6 .. 8e-5 zero-padded
      against 8e-5 .. 5e-3 repeat-padded, the same weights spreading clips ~60x more.
    - ``"repeat"`` tiles the clip (whole copies, then zeros, as the checkpoint's extractor does).
      The model hears a 10 Hz roll of the hat rather than one hit, but that is exactly how LAION
      trained CLAP on short clips (its training sets are full of one-shots from Freesound and the
      BBC effects library), so the text side of the space knows what it means.

    We choose ``"repeat"``, and fix its one arbitrary trait first: leading and trailing near-silence
    (below -60 dB of the clip's peak) is trimmed before filling, because otherwise the same hat
    exported with 50 ms of extra tail becomes a 6.7 Hz roll instead of a 10 Hz one (a 112 dB
    difference in the mel input); trimmed, both give bit-identical input. ``"zero"`` (also
    trimmed) remains available.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from soundalike.engine.embedders.base import Analysis, BackendInfo, Embedder, Tags, unit_rows
from soundalike.engine.embedders.torch_support import (
    INSTALL_HINT,
    batches,
    check_batch,
    chunk_batch,
    load_pretrained,
    model_source,
    pool_windows,
    require,
    select_device,
    self_check,
)
from soundalike.engine.errors import BackendUnavailable, UserError

log = logging.getLogger(__name__)

DEFAULT_LABELS = (
    "kick drum",
    "snare drum",
    "hand clap",
    "closed hi-hat",
    "open hi-hat",
    "tom drum",
    "cymbal",
    "rimshot",
    "shaker",
    "percussion",
    "sound effect",
    "vocal",
    "bass",
    "synth",
    "drum loop",
)
#: two captions with nothing in common; a healthy text tower keeps them well apart.
UNRELATED_CAPTIONS = ("a dog barking in the distance", "a church organ playing a slow chord")
COLLAPSE_COSINE = 0.99
SILENCE_DB = -60.0


class ClapEmbedder(Embedder):
    """LAION CLAP through transformers' ``ClapModel``: 48 kHz audio and text in one space."""

    name = "clap"
    sample_rate = 48_000
    info = BackendInfo(
        good_for="searching by words, zero-shot tags, general sounds and effects",
        licence="Apache-2.0 (LAION CLAP)",
        size="~615 MB download",
        needs=INSTALL_HINT,
    )

    @dataclass(frozen=True)
    class Options:
        #: Hugging Face model name, used when ``model_path`` is empty.
        model: str = "laion/clap-htsat-unfused"
        #: a local directory holding the model, its tokenizer and feature extractor.
        model_path: str = ""
        #: "auto" (cuda, then mps, then cpu), or a torch device such as "cpu" or "cuda:1".
        device: str = "auto"
        #: 10 s windows per forward pass.
        batch_size: int = 8
        #: how clips shorter than 10 s are filled: "zero" (silence) or "repeat" (tile the clip).
        short_clip: Literal["zero", "repeat"] = "repeat"
        #: zero-shot tag vocabulary.
        labels: tuple[str, ...] = DEFAULT_LABELS
        #: caption template for each label.
        prompt: str = "the sound of a {label}"

    def __init__(self, options: Options | None = None) -> None:
        self.options = options if options is not None else self.Options()
        if self.options.short_clip not in ("zero", "repeat"):
            raise BackendUnavailable(f"clap: short_clip must be 'zero' or 'repeat', not {self.options.short_clip!r}")
        self._torch = require("torch", self.name)
        transformers = require("transformers", self.name)
        self.device = select_device(self.options.device, self.name)
        source = model_source(self.options.model, self.options.model_path)
        self._model = load_pretrained(transformers.ClapModel.from_pretrained, source, self.name).to(self.device).eval()
        processor = load_pretrained(transformers.ClapProcessor.from_pretrained, source, self.name)
        self._extractor, self._tokenizer = processor.feature_extractor, processor.tokenizer
        self._window = int(self._extractor.nb_max_samples)
        self.window_seconds = self._window / self.sample_rate
        self.batch_size = self.options.batch_size
        self.dim = int(self._model.config.projection_dim)
        self._check_text_tower()
        self_check(self.embed, self.dim, self.sample_rate, self.name)
        labels = list(self.options.labels)
        self._label_vectors = self.embed_text([self.options.prompt.format(label=x) for x in labels]) if labels else None
        self._logit_scale = float(self._model.logit_scale_a.exp().item())
        log.info("clap: loaded %s on %s (dim %d)", source, self.device, self.dim)

    def _check_text_tower(self) -> None:
        a, b = self.embed_text(list(UNRELATED_CAPTIONS))
        cosine = float(a @ b)
        if cosine > COLLAPSE_COSINE:
            raise BackendUnavailable(
                f"clap: the text encoder gives near-identical vectors for unrelated captions "
                f"({UNRELATED_CAPTIONS[0]!r} vs {UNRELATED_CAPTIONS[1]!r}: cosine {cosine:.4f}), so text search and "
                f"tags would be meaningless. Some CLAP checkpoints do this under some transformers releases: "
                f"try another model (e.g. laion/clap-htsat-unfused) or another transformers version."
            )

    def embed(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        clips = [trim_silence(c, SILENCE_DB) for c in check_batch(batch, self.name)]
        windows, owners = chunk_batch(clips, self._window)
        vectors = np.concatenate([self._embed_windows(list(group)) for group in batches(windows, self.batch_size)])
        weights = np.array([w.size for w in windows], dtype=np.float64)
        return pool_windows(vectors, owners, weights, len(clips))

    def _embed_windows(self, windows: list[np.ndarray]) -> np.ndarray:
        filled = [self._fill(w) for w in windows]
        features = self._extractor(filled, sampling_rate=self.sample_rate, return_tensors="pt")
        inputs = {k: v.to(self.device) for k, v in features.items() if k in ("input_features", "is_longer")}
        with self._torch.inference_mode():
            out = self._model.get_audio_features(**inputs).pooler_output
        return unit_rows(out.float().cpu().numpy())

    def _fill(self, window: np.ndarray) -> np.ndarray:
        """Pad one window to exactly 10 s so the extractor neither crops nor pads."""
        missing = self._window - window.size
        if missing <= 0:
            return window
        if self.options.short_clip == "repeat":
            window = np.tile(window, self._window // window.size)
        return np.pad(window, (0, self._window - window.size))

    def embed_text(self, texts: Sequence[str]) -> np.ndarray:
        """(N, dim) unit-norm text vectors in the same space as :meth:`embed`."""
        parts = [self._embed_text_batch(list(group)) for group in batches(list(texts), max(1, self.batch_size))]
        return np.concatenate(parts) if parts else np.zeros((0, self.dim), dtype=np.float32)

    def _embed_text_batch(self, texts: list[str]) -> np.ndarray:
        tokens = self._tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
        inputs = {k: v.to(self.device) for k, v in tokens.items() if k in ("input_ids", "attention_mask")}
        with self._torch.inference_mode():
            out = self._model.get_text_features(**inputs).pooler_output
        return unit_rows(out.float().cpu().numpy())

    def analyse(self, batch: Sequence[np.ndarray]) -> Analysis:
        """Vectors plus zero-shot tags: softmax over the labels, at the model's own temperature."""
        vectors = self.embed(batch)
        if self._label_vectors is None:
            return Analysis(vectors=vectors)
        return Analysis(vectors=vectors, tags=self.tags_for(vectors))

    def tags_for(self, vectors: np.ndarray) -> list[Tags]:
        """Label probabilities for already-computed audio vectors."""
        if self._label_vectors is None:
            raise UserError(f"{self.name}: no labels to score against")
        logits = self._logit_scale * (np.asarray(vectors, dtype=np.float64) @ self._label_vectors.T.astype(np.float64))
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return [{label: float(p) for label, p in zip(self.options.labels, row)} for row in probs]


def trim_silence(clip: np.ndarray, threshold_db: float) -> np.ndarray:
    """Drop leading and trailing samples quieter than ``threshold_db`` below the peak."""
    level = np.abs(clip)
    loud = np.flatnonzero(level >= level.max() * 10.0 ** (threshold_db / 20.0))
    if loud.size == 0 or level.max() == 0.0:
        return clip
    return clip[loud[0] : loud[-1] + 1]
