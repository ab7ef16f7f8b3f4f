"""The audition mixer: what the audio callback plays, with short fades so nothing clicks.

Pure numpy, no audio device: the player's callback asks it for ``frames`` of output. Starting a
new sound fades the old one out while the new one fades in; stopping fades out.
"""

from __future__ import annotations

import threading

import numpy as np

FADE_SECONDS = 0.004


class _Voice:
    def __init__(self, audio: np.ndarray, fade: int, fade_in: bool):
        self.audio = audio
        self.position = 0
        self.gain = 0.0 if fade_in else 1.0
        self.target = 1.0
        self.step = 1.0 / max(1, fade)

    def render(self, frames: int) -> np.ndarray:
        chunk = self.audio[self.position : self.position + frames]
        self.position += len(chunk)
        if self.gain == self.target:
            return chunk if self.gain == 1.0 else chunk * np.float32(self.gain)
        direction = 1.0 if self.target > self.gain else -1.0
        ramp = np.clip(self.gain + direction * self.step * np.arange(1, len(chunk) + 1), 0.0, 1.0)
        if len(ramp):
            self.gain = float(ramp[-1])
        return chunk * ramp.astype(np.float32)

    @property
    def done(self) -> bool:
        return self.position >= len(self.audio) or (self.target == 0.0 and self.gain <= 0.0)


class Mixer:
    """Holds the sound being auditioned; ``render`` is called from the audio thread."""

    def __init__(self, sample_rate: int, channels: int = 2):
        self.sample_rate = sample_rate
        self.channels = channels
        self._fade = max(1, int(FADE_SECONDS * sample_rate))
        self._voices: list[_Voice] = []
        self._lock = threading.Lock()

    def start(self, mono: np.ndarray) -> None:
        """Play ``mono`` (float32 at the mixer's rate) from its start, fading out what played."""
        voice = _Voice(np.asarray(mono, dtype=np.float32), self._fade, fade_in=True)
        with self._lock:
            self._fade_out_all()
            self._voices.append(voice)

    def stop(self) -> None:
        with self._lock:
            self._fade_out_all()

    def _fade_out_all(self) -> None:
        for voice in self._voices:
            voice.target = 0.0

    @property
    def playing(self) -> bool:
        with self._lock:
            return any(not v.done and v.target > 0 for v in self._voices)

    def render(self, frames: int) -> np.ndarray:
        """The next ``frames`` of output, shape (frames, channels), float32."""
        out = np.zeros(frames, dtype=np.float32)
        with self._lock:
            for voice in self._voices:
                chunk = voice.render(frames)
                out[: len(chunk)] += chunk
            self._voices = [v for v in self._voices if not v.done]
        np.clip(out, -1.0, 1.0, out=out)
        return np.repeat(out[:, None], self.channels, axis=1)
