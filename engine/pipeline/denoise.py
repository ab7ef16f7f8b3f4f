"""Spectral subtraction for recordings: take the microphone's steady noise out before searching.

A library holds clean one-shots; a recording of one adds a noise floor, and the floor is what
ruins the search (it fills the tail, so every "how fast does it decay" feature reads the noise).
The noise spectrum is estimated from the recording itself, as a low percentile of each frequency
bin's power over time (a take is mostly the quiet before and after the hit; corrected for the bias of a percentile of
exponentially distributed noise power), and subtracted
with some over-subtraction; what remains keeps its phase. Digital silence estimates a zero
floor and passes through unchanged. Files (spans of bounced loops) are not denoised: their
quietest frames are often tails of real hits.
"""

from __future__ import annotations

import numpy as np

FRAME = 1024
HOP = 256
NOISE_PERCENTILE = 20.0
OVER_SUBTRACTION = 2.0


def denoise(audio: np.ndarray, rate: int) -> np.ndarray:
    """``audio`` with its steady noise floor subtracted (same length, float32)."""
    if audio.size < 4 * FRAME:
        return audio.astype(np.float32, copy=False)
    from scipy import signal  # a second to import: only when a recording is cleaned

    _, _, spec = signal.stft(audio, rate, nperseg=FRAME, noverlap=FRAME - HOP)
    power = np.abs(spec) ** 2
    # a bin's noise power is exponentially distributed: its q-th percentile is -ln(1 - q) times the mean
    noise = np.percentile(power, NOISE_PERCENTILE, axis=1, keepdims=True) / -np.log1p(-NOISE_PERCENTILE / 100)
    gain = np.sqrt(np.maximum(power - OVER_SUBTRACTION * noise, 0.0) / (power + 1e-20))
    _, out = signal.istft(spec * gain, rate, nperseg=FRAME, noverlap=FRAME - HOP)
    return out[: audio.size].astype(np.float32)
