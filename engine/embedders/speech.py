"""Self-supervised waveform encoders from the wav2vec2 family (wav2vec2, HuBERT, WavLM) and the
WavLM x-vector speaker model, all through one base class parameterised by the model class.

Each clip is cut into fixed windows (``window_seconds``), each window is embedded, and the window
vectors are averaged (weighted by duration) and renormalised. Windows are batched only with
windows of the same padded length, and each window is padded to a multiple of
``PAD_QUANTUM_S`` that depends only on its own length, so a clip gives the same vector whatever
else is in the batch.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from soundalike.engine.embedders.base import BackendInfo, Embedder, unit_rows
from soundalike.engine.embedders.torch_support import (
    INSTALL_HINT,
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

PAD_QUANTUM_S = 0.25


@dataclass(frozen=True)
class EncoderOptions:
    """Settings shared by every waveform encoder (``[backends.<name>]`` in config.toml)."""

    #: Hugging Face model name, used when ``model_path`` is empty.
    model: str = ""
    #: a local directory holding the model (config.json, weights, preprocessor_config.json).
    model_path: str = ""
    #: "auto" (cuda, then mps, then cpu), or a torch device such as "cpu" or "cuda:1".
    device: str = "auto"
    #: windows per forward pass.
    batch_size: int = 8
    #: longer clips are cut into windows this long and the window vectors averaged.
    window_seconds: float = 10.0


@dataclass(frozen=True)
class ContentOptions(EncoderOptions):
    #: hidden states to average (0 = the CNN features, -1 = the last layer); empty = all of them.
    layers: tuple[int, ...] = (-1,)


class WaveformEncoder(Embedder):
    """Base for Hugging Face wav2vec2-style encoders; subclasses set ``model_class`` and defaults."""

    sample_rate: ClassVar[int] = 16_000
    #: name of the transformers class that loads the checkpoint.
    model_class: ClassVar[str]
    Options: ClassVar[type[EncoderOptions]] = EncoderOptions

    def __init__(self, options: EncoderOptions | None = None) -> None:
        self.options = options if options is not None else self.Options()
        self._torch = require("torch", self.name)
        transformers = require("transformers", self.name)
        self.device = select_device(self.options.device, self.name)
        source = model_source(self.options.model, self.options.model_path)
        self._model = self._load_model(transformers, source).to(self.device).eval()
        extractor = load_pretrained(transformers.Wav2Vec2FeatureExtractor.from_pretrained, source, self.name)
        if int(extractor.sampling_rate) != self.sample_rate:
            raise BackendUnavailable(
                f"{self.name}: model '{source}' expects {extractor.sampling_rate} Hz audio, "
                f"but this backend feeds it {self.sample_rate} Hz"
            )
        self._normalise = bool(getattr(extractor, "do_normalize", True))
        self._use_mask = bool(getattr(extractor, "return_attention_mask", False))
        self.dim = self._output_dim()
        self.batch_size = self.options.batch_size
        self.window_seconds = self.options.window_seconds
        log.info("%s: loaded %s on %s (dim %d)", self.name, source, self.device, self.dim)
        self_check(self.embed, self.dim, self.sample_rate, self.name)

    def _load_model(self, transformers: Any, source: str) -> Any:
        model_cls = getattr(transformers, self.model_class)
        return load_pretrained(model_cls.from_pretrained, source, self.name)

    def _output_dim(self) -> int:
        return int(self._model.config.hidden_size)

    def embed(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        clips = check_batch(batch, self.name)
        window = max(1, int(round(self.window_seconds * self.sample_rate)))
        windows, owners = chunk_batch(clips, window)
        vectors = self._embed_windows(windows)
        weights = np.array([w.size for w in windows], dtype=np.float64)
        return pool_windows(vectors, owners, weights, len(clips))

    def _embed_windows(self, windows: list[np.ndarray]) -> np.ndarray:
        quantum = int(PAD_QUANTUM_S * self.sample_rate)
        padded = [max(1, -(-w.size // quantum)) * quantum for w in windows]
        out = np.zeros((len(windows), self.dim), dtype=np.float32)
        for length in sorted(set(padded)):
            members = [i for i, p in enumerate(padded) if p == length]
            for start in range(0, len(members), max(1, self.batch_size)):
                group = members[start : start + self.batch_size]
                out[group] = self._forward([windows[i] for i in group], length)
        return out

    def _forward(self, windows: list[np.ndarray], length: int) -> np.ndarray:
        torch = self._torch
        wave = np.zeros((len(windows), length), dtype=np.float32)
        mask = np.zeros((len(windows), length), dtype=np.int64)
        for row, clip in enumerate(windows):
            wave[row, : clip.size] = self._prepare(clip)
            mask[row, : clip.size] = 1
        inputs = {"input_values": torch.from_numpy(wave).to(self.device)}
        if self._use_mask:
            inputs["attention_mask"] = torch.from_numpy(mask).to(self.device)
        with torch.inference_mode():
            outputs = self._model(**inputs, **self._forward_kwargs())
            vectors = self._vectors(outputs, [clip.size for clip in windows])
        return unit_rows(vectors.float().cpu().numpy())

    def _prepare(self, clip: np.ndarray) -> np.ndarray:
        """Zero-mean, unit-variance per window when the checkpoint's feature extractor asks for it."""
        if not self._normalise:
            return clip
        return (clip - clip.mean()) / np.sqrt(clip.var() + 1e-7)

    def _forward_kwargs(self) -> dict[str, Any]:
        return {}

    def _vectors(self, outputs: Any, lengths: list[int]) -> Any:
        raise NotImplementedError

    def _frames(self, samples: int) -> int:
        """Frames the convolutional front end makes from ``samples`` input samples."""
        config = self._model.config
        for kernel, stride in zip(config.conv_kernel, config.conv_stride):
            samples = (samples - kernel) // stride + 1
        return max(1, samples)


class ContentEncoder(WaveformEncoder):
    """Mean over time of the chosen hidden states: what is said or played, more than who or how."""

    Options: ClassVar[type[EncoderOptions]] = ContentOptions
    options: ContentOptions

    def _output_dim(self) -> int:
        total = int(self._model.config.num_hidden_layers) + 1
        bad = [i for i in self.options.layers if not -total <= i < total]
        if bad:
            raise UserError(f"{self.name}: layers {bad} out of range; this model has hidden states 0..{total - 1}")
        return int(self._model.config.hidden_size)

    def _forward_kwargs(self) -> dict[str, Any]:
        return {"output_hidden_states": True}

    def _vectors(self, outputs: Any, lengths: list[int]) -> Any:
        torch = self._torch
        states = outputs.hidden_states
        chosen = [states[i] for i in self.options.layers] if self.options.layers else list(states)
        hidden = torch.stack(chosen).mean(dim=0)  # (batch, frames, dim)
        frames = torch.tensor([self._frames(n) for n in lengths], device=hidden.device)
        mask = (torch.arange(hidden.shape[1], device=hidden.device)[None, :] < frames[:, None]).to(hidden.dtype)
        return (hidden * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp(min=1.0)


class Wav2Vec2Embedder(ContentEncoder):
    name = "wav2vec2"
    model_class = "Wav2Vec2Model"
    info = BackendInfo(
        good_for="speech and vocal content (self-supervised on LibriSpeech)",
        licence="Apache-2.0",
        size="~360 MB download",
        needs=INSTALL_HINT,
    )

    @dataclass(frozen=True)
    class Options(ContentOptions):
        model: str = "facebook/wav2vec2-base"


class HubertEmbedder(ContentEncoder):
    name = "hubert"
    model_class = "HubertModel"
    info = BackendInfo(
        good_for="speech and vocal content (HuBERT, LibriSpeech 960 h)",
        licence="Apache-2.0",
        size="~360 MB download",
        needs=INSTALL_HINT,
    )

    @dataclass(frozen=True)
    class Options(ContentOptions):
        model: str = "facebook/hubert-base-ls960"


class WavLMEmbedder(ContentEncoder):
    name = "wavlm"
    model_class = "WavLMModel"
    info = BackendInfo(
        good_for="speech, vocals and noisy recordings (WavLM Base+, 94k h)",
        licence="MIT (Microsoft unilm); check the model card",
        size="~380 MB download",
        needs=INSTALL_HINT,
    )

    @dataclass(frozen=True)
    class Options(ContentOptions):
        model: str = "microsoft/wavlm-base-plus"


class SpeakerEmbedder(WaveformEncoder):
    """Who is speaking: the WavLM x-vector head's embedding, L2-normalised."""

    name = "speaker"
    model_class = "WavLMForXVector"
    info = BackendInfo(
        good_for="grouping vocal takes and voice samples by speaker",
        licence="MIT (Microsoft unilm); check the model card",
        size="~400 MB download",
        needs=INSTALL_HINT,
    )

    @dataclass(frozen=True)
    class Options(EncoderOptions):
        model: str = "microsoft/wavlm-base-plus-sv"

    def _output_dim(self) -> int:
        return int(self._model.config.xvector_output_dim)

    def _vectors(self, outputs: Any, lengths: list[int]) -> Any:
        return self._torch.nn.functional.normalize(outputs.embeddings, dim=-1)
