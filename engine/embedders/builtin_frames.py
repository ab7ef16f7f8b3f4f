"""The learned front end of the built-in backend: a small 1-D conv net over log-mel frames, numpy only.

Where :mod:`builtin_features` summarises a sound in hand-made statistics, this looks at its first
:data:`FRAME_SECONDS` as a picture: 64-band log-mel frames (the features' own filterbank, hop 256 at
22.05 kHz, so 128 frames), in dB below the loudest band-frame, floor -80 dB, scaled to -1..1. A few
conv layers over time (mel bands as channels; batch norm folded into the weights when the net is
exported), each with ReLU and max-pooling by two, then mean and max over time, a linear layer to the
embedding and a linear class head. Trained by ``training/train_frames.py`` (torch there only).

The arrays come from the built-in model file under the ``frames_`` prefix; a model file without them
simply has no learned front end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from soundalike.engine.embedders import fft
from soundalike.engine.embedders.builtin_features import EPS, HOP, N_FFT, finite, mel_filterbank

FRAME_COUNT = 128
FRAME_SECONDS = FRAME_COUNT * HOP / 22050
FLOOR_DB = -80.0
PREFIX = "frames_"


@dataclass(frozen=True)
class MelFrames:
    """One clip (22.05 kHz) -> (FRAME_COUNT, n_mels) float32 log-mel frames, time first."""

    sample_rate: int = 22050

    @cached_property
    def mel(self) -> np.ndarray:
        return mel_filterbank(self.sample_rate)

    @cached_property
    def window(self) -> np.ndarray:
        return np.hanning(N_FFT).astype(np.float32)

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        need = (FRAME_COUNT - 1) * HOP + N_FFT
        x = finite(np.asarray(audio, dtype=np.float32).reshape(-1)[: need - N_FFT // 2])
        peak = float(np.abs(x).max()) if x.size else 0.0
        x = x / peak if peak > 1e-6 else np.zeros_like(x)
        # Frames wholly past the end of the clip hold only zeros: their mel power is exactly 0, so only
        # the frames that reach the clip are computed (BLAS may sum a product of fewer rows in another
        # order: the frames can move by float noise, ~4e-7 on the real kits, the vectors by ~6e-8).
        sounding = min(FRAME_COUNT, -(-(N_FFT // 2 + len(x)) // HOP))
        padded = np.zeros((sounding - 1) * HOP + N_FFT, dtype=np.float32)
        padded[N_FFT // 2 : N_FFT // 2 + len(x)] = x
        chunks = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP] * self.window
        spec = fft.rfft(chunks, axis=1)
        power = np.zeros((FRAME_COUNT, self.mel.shape[1]), dtype=np.float32)
        power[:sounding] = (spec.real**2 + spec.imag**2) @ self.mel
        db = 10.0 * np.log10(power + EPS)
        db = np.maximum(db - db.max(), FLOOR_DB)
        return (db / (-FLOOR_DB / 2) + 1.0).astype(np.float32)


@dataclass(frozen=True, eq=False)
class FramesNet:
    """Conv layers ``(W (k*C_in, C_out), b)``, then embedding and class head ``(W, b)``."""

    convs: tuple[tuple[np.ndarray, np.ndarray, int], ...]  # (weight, bias, kernel)
    embed: tuple[np.ndarray, np.ndarray]
    head: tuple[np.ndarray, np.ndarray]

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> FramesNet | None:
        if f"{PREFIX}n_convs" not in arrays:
            return None
        convs = []
        for i in range(int(arrays[f"{PREFIX}n_convs"])):
            weight = arrays[f"{PREFIX}conv{i}_W"].astype(np.float32)  # (C_out, C_in, k) as torch stores it
            c_out, c_in, k = weight.shape
            convs.append(
                (
                    np.ascontiguousarray(weight.transpose(2, 1, 0).reshape(k * c_in, c_out)),
                    arrays[f"{PREFIX}conv{i}_b"].astype(np.float32),
                    k,
                )
            )

        def linear(name: str) -> tuple[np.ndarray, np.ndarray]:
            return (
                np.ascontiguousarray(arrays[f"{PREFIX}{name}_W"].astype(np.float32).T),
                arrays[f"{PREFIX}{name}_b"].astype(np.float32),
            )

        return cls(tuple(convs), linear("embed"), linear("head"))

    def arrays(self) -> list[np.ndarray]:
        return [a for w, b, _ in self.convs for a in (w, b)] + [*self.embed, *self.head]

    def forward(self, frames: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(B, T, n_mels) frames -> (embedding (B, D), class logits (B, classes))."""
        h = frames
        for weight, bias, k in self.convs:
            batch, steps, channels = h.shape
            h = (_columns(h, k) @ weight).reshape(batch, steps, -1)[:, : steps // 2 * 2]
            # pooled before the bias and ReLU, which commute with it exactly: half the work
            h = np.maximum(h.reshape(batch, steps // 2, 2, -1).max(axis=2) + bias, 0.0)
        pooled = np.concatenate([h.mean(axis=1), h.max(axis=1)], axis=1)
        embedding = pooled @ self.embed[0] + self.embed[1]
        return embedding, embedding @ self.head[0] + self.head[1]


def _columns(h: np.ndarray, k: int) -> np.ndarray:
    """(B, T, C) -> (B * T, k * C): row t holds steps t - k//2 ... t + k//2, zeros past either end
    (a convolution of width ``k`` with zero padding as one matrix product)."""
    batch, steps, channels = h.shape
    cols = np.zeros((batch, steps, k, channels), dtype=h.dtype)
    for j in range(k):
        shift = j - k // 2
        cols[:, max(0, -shift) : steps - max(0, shift), j] = h[:, max(0, shift) : steps + min(0, shift)]
    return cols.reshape(batch * steps, k * channels)


def frames_batch(clips: Sequence[np.ndarray], frames: MelFrames) -> np.ndarray:
    return np.stack([frames(clip) for clip in clips]) if len(clips) else np.zeros((0, FRAME_COUNT, 64), np.float32)
