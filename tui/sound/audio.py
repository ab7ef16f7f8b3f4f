"""Audition through sounddevice: one long-lived OutputStream whose callback reads the mixer.

sounddevice is imported lazily. Without PortAudio (``OSError`` on import) or without an output
device (``PortAudioError``), the player stays unavailable and ``reason`` says why; the app runs on.
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
from types import ModuleType

import numpy as np

from soundalike.engine.errors import DecodeError
from soundalike.engine.pipeline.audio import decode_file, resample
from soundalike.tui.sound.mixer import Mixer

log = logging.getLogger(__name__)

_FALLBACK_RATE = 44100
#: Audition never needs more than this much of a file.
MAX_AUDITION_SECONDS = 60.0


class Player:
    def __init__(self, device: str = "", module: ModuleType | None = None):
        self.device = int(device) if device.isdigit() else (device or None)
        self._module = module
        self._stream = None
        self._mixer: Mixer | None = None
        self._lock = threading.Lock()
        self.available = False
        self.reason = "audio not started yet"
        self.now_playing = ""

    def open(self) -> bool:
        """Open the output stream once (safe to call again); False with ``reason`` when impossible."""
        with self._lock:
            if self._stream is not None:
                return True
            stage = "load"
            try:
                sd = self._module or importlib.import_module("sounddevice")
                stage = "open"
                self._stream, self._mixer = self._start_stream(sd)
            except Exception as e:  # OSError (no PortAudio), PortAudioError (no device), ...
                self.reason = describe_failure(e, stage)
                log.warning("audition is off: %s", self.reason, exc_info=True)
                return False
            self.available, self.reason = True, f"audio out at {self._mixer.sample_rate} Hz"
            return True

    def _start_stream(self, sd: ModuleType):
        info = sd.query_devices(self.device, kind="output")
        rate = int(info.get("default_samplerate") or _FALLBACK_RATE)
        channels = max(1, min(2, int(info.get("max_output_channels") or 2)))
        mixer = Mixer(rate, channels)
        stream = sd.OutputStream(
            samplerate=rate, channels=channels, dtype="float32", device=self.device, callback=self._callback_for(mixer)
        )
        stream.start()
        return stream, mixer

    @staticmethod
    def _callback_for(mixer: Mixer):
        def callback(outdata, frames, time_info, status) -> None:
            outdata[:] = mixer.render(frames)

        return callback

    def play(self, source: str | os.PathLike | np.ndarray, rate: int | None = None) -> None:
        """Play a file or a mono array (``rate`` required), cutting off what played before.

        Raises DecodeError with the reason when a file cannot be decoded.
        """
        if not self.available and not self.open():
            return
        mixer = self._mixer
        if mixer is None:  # closed meanwhile
            return
        if isinstance(source, np.ndarray):
            if not rate:
                raise ValueError("an array needs its sample rate")
            audio, name = source, "audio"
        else:
            decoded = decode_file(source, MAX_AUDITION_SECONDS, silence_db=-200.0)
            audio, rate, name = decoded.samples, decoded.sample_rate, os.path.basename(source)
        mixer.start(resample(np.asarray(audio, dtype=np.float32), rate, mixer.sample_rate))
        self.now_playing = name

    def stop(self) -> None:
        if self._mixer is not None:
            self._mixer.stop()
        self.now_playing = ""

    @property
    def playing(self) -> bool:
        return self._mixer is not None and self._mixer.playing

    def close(self) -> None:
        with self._lock:
            stream, self._stream = self._stream, None
            self.available = False
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:
                log.debug("closing the audio stream failed", exc_info=True)


def describe_failure(error: Exception, stage: str) -> str:
    """Why audition is off, in the words of the error itself: ``stage`` "load" (importing
    sounddevice, which loads PortAudio) or "open" (finding and opening the output device)."""
    text = str(error).strip() or type(error).__name__
    if stage == "load":
        if isinstance(error, ImportError):
            return "the sounddevice package is not installed (scripts/setup.sh, or pip install sounddevice)"
        if "portaudio" in text.lower() and "not found" in text.lower():
            return "the PortAudio library is not installed: install libportaudio2 (apt) or portaudio (brew)"
        return f"sounddevice could not load PortAudio: {text}"
    if "device -1" in text:  # PortAudio's way of saying there is no default output device
        return f"no audio output device (PortAudio: {text}); set [tui] audio_device"
    return f"could not open the audio output: {text}"


__all__ = ["Player", "DecodeError", "MAX_AUDITION_SECONDS"]
