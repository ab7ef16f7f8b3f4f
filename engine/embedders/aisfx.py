"""aisfx: a pretrained sound-effects CNN (ISMIR 2022, CC BY 4.0) shipped inside the PyPI package.

Front end, from the package's documented settings: 44.1 kHz mono, 2048-sample Hann frames with a
1024 hop, 96 HTK-mel bands over 0-22.05 kHz (power spectrum, each band's weights summing to one),
``log10(1 + 10000 * x)``, then min-max scaling with the training-set range (0 .. 9.4578). The
network sees blocks of 100 frames (~2.3 s) with a 50-frame hop; a block is max-pooled over time
inside the network, and we average the block vectors of a long file and renormalise.

The package's own inference module pins numpy 1.23 and imports essentia/librosa/tqdm, so only its
model class (plain torch) is imported; the front end is computed here with numpy.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from soundalike.engine.embedders.base import BackendInfo, Embedder, unit_rows
from soundalike.engine.embedders.torch_support import batches, check_batch, require, select_device, self_check
from soundalike.engine.errors import BackendUnavailable

log = logging.getLogger(__name__)

AISFX_HINT = (
    "run scripts/setup.sh neural in the soundalike folder (it installs into .venv; in your own "
    "environment: pip install 'soundalike[neural]' and pip install --no-deps aisfx==0.1.2)"
)
N_FFT, HOP, N_MELS = 2048, 1024, 96
BLOCK_FRAMES, BLOCK_HOP = 100, 50
SPEC_MAX = 9.457798957824707  # the training-set maximum the package normalises by


def htk_mel(hz: np.ndarray | float) -> np.ndarray:
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_filterbank(sample_rate: int, n_fft: int = N_FFT, n_mels: int = N_MELS) -> np.ndarray:
    """(n_mels, n_fft//2+1) triangles spaced and shaped on the HTK mel scale, each summing to 1."""
    bin_mels = htk_mel(np.arange(n_fft // 2 + 1) * sample_rate / n_fft)
    edges = np.linspace(0.0, htk_mel(sample_rate / 2), n_mels + 2)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bin_mels[None, :] - lower) / (centre - lower)
    falling = (upper - bin_mels[None, :]) / (upper - centre)
    bank = np.clip(np.minimum(rising, falling), 0.0, None)
    sums = bank.sum(axis=1, keepdims=True)
    return (bank / np.where(sums > 0, sums, 1.0)).astype(np.float32)


def log_mel(audio: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """(frames, n_mels) compressed, 0..1-scaled mel spectrogram; frames centred from sample 0."""
    padded = np.pad(audio.astype(np.float32), (N_FFT // 2, N_FFT // 2))
    count = 1 + max(0, padded.size - N_FFT) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:count]
    power = np.abs(np.fft.rfft(frames * np.hanning(N_FFT).astype(np.float32), axis=1)) ** 2
    return (np.log10(1.0 + 10_000.0 * (power @ bank.T)) / SPEC_MAX).astype(np.float32)


def spectrogram_blocks(spec: np.ndarray) -> np.ndarray:
    """(blocks, 100, n_mels): full 100-frame blocks every 50 frames, as the package does by default;
    a clip shorter than one block gives one zero-padded block."""
    starts = range(0, max(1, spec.shape[0] - BLOCK_FRAMES + 1), BLOCK_HOP)
    padded = np.pad(spec, ((0, BLOCK_FRAMES), (0, 0)))
    return np.stack([padded[s : s + BLOCK_FRAMES] for s in starts])


class AisfxEmbedder(Embedder):
    """512-d sound-effects embedding from the aisfx CNN (weights ship with the package, 25 MB)."""

    name = "aisfx"
    sample_rate = 44_100
    info = BackendInfo(
        good_for="sound effects and one-shots; small, fast, works offline",
        licence="CC BY 4.0 (aisfx, ISMIR 2022)",
        size="25 MB, inside the aisfx package",
        needs=AISFX_HINT,
    )

    @dataclass(frozen=True)
    class Options:
        #: "auto" (cuda, then mps, then cpu), or a torch device such as "cpu".
        device: str = "auto"
        #: ~2.3 s blocks per forward pass.
        batch_size: int = 32
        #: scale each clip to peak 1 first (the package's librosa route does; its paper's did not).
        peak_normalise: bool = True
        #: how a long file's block vectors become one: "mean" or "max".
        pool: Literal["mean", "max"] = "mean"
        #: another checkpoint with the same layout; empty = the one inside the aisfx package.
        checkpoint: str = ""

    def __init__(self, options: Options | None = None) -> None:
        self.options = options if options is not None else self.Options()
        if self.options.pool not in ("mean", "max"):
            raise BackendUnavailable(f"aisfx: pool must be 'mean' or 'max', not {self.options.pool!r}")
        self._torch = require("torch", self.name)
        self.device = select_device(self.options.device, self.name)
        self._net = self._load_network().to(self.device).eval()
        self._bank = mel_filterbank(self.sample_rate)
        self.dim = 512
        self.batch_size = self.options.batch_size
        self.window_seconds = BLOCK_FRAMES * HOP / self.sample_rate
        self_check(self.embed, self.dim, self.sample_rate, self.name)

    def _load_network(self) -> Any:
        try:
            from aisfx.models.cnn2d import EmbeddingNet
        except ImportError as e:
            raise BackendUnavailable(f"backend 'aisfx' needs the aisfx package: {AISFX_HINT}") from e
        path = Path(self.options.checkpoint).expanduser() if self.options.checkpoint else default_checkpoint()
        state = load_checkpoint(self._torch, path)
        net = EmbeddingNet("max", 3, 1, 64)
        prefix = "embedding_net."
        net.load_state_dict({k[len(prefix) :]: v for k, v in state.items() if k.startswith(prefix)})
        log.info("aisfx: loaded %s", path)
        return net

    def embed(self, batch: Sequence[np.ndarray]) -> np.ndarray:
        clips = check_batch(batch, self.name)
        blocks = [spectrogram_blocks(log_mel(self._level(c), self._bank)) for c in clips]
        owners = np.repeat(np.arange(len(clips)), [b.shape[0] for b in blocks])
        vectors = self._run(np.concatenate(blocks))
        pooled = np.zeros((len(clips), self.dim), dtype=np.float32)
        for index in range(len(clips)):
            mine = vectors[owners == index]
            pooled[index] = mine.max(axis=0) if self.options.pool == "max" else mine.mean(axis=0)
        return unit_rows(pooled)

    def _level(self, clip: np.ndarray) -> np.ndarray:
        peak = float(np.max(np.abs(clip)))
        return clip / peak if self.options.peak_normalise and peak > 0 else clip

    def _run(self, blocks: np.ndarray) -> np.ndarray:
        torch = self._torch
        out = []
        with torch.inference_mode():
            for group in batches(blocks, self.batch_size):
                inputs = torch.from_numpy(np.ascontiguousarray(group)).to(self.device)
                out.append(self._net(inputs).float().cpu().numpy())
        return np.concatenate(out)


def default_checkpoint() -> Path:
    try:
        from importlib import resources  # here: importlib.resources costs every process ~10 ms to load

        return Path(str(resources.files("aisfx") / "models" / "checkpoint.pth"))
    except ModuleNotFoundError as e:
        raise BackendUnavailable(f"backend 'aisfx' needs the aisfx package: {AISFX_HINT}") from e


def load_checkpoint(torch: Any, path: Path) -> dict:
    """The package stores ``(state_dict, datasets)``; load it without arbitrary unpickling."""
    if not path.is_file():
        raise BackendUnavailable(f"aisfx: checkpoint {path} not found; reinstall with: {AISFX_HINT}")
    # numpy scalars and dtypes in the pickle, allow-listed under the name numpy 1.x pickled them with
    core = getattr(np, "_core", None) or np.core
    allowed = [(core.multiarray.scalar, "numpy.core.multiarray.scalar"), np.dtype, type(np.dtype("int64"))]
    with torch.serialization.safe_globals(allowed):
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    return loaded[0] if isinstance(loaded, (tuple, list)) else loaded
