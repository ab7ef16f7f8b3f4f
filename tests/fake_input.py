"""sounddevice faked at its module boundary for recording: an input stream that plays back an array."""

from __future__ import annotations

import threading
import types

import numpy as np


class FakeInputStream:
    """Calls the callback from its own thread with ``audio`` in blocks, like PortAudio's input thread."""

    def __init__(self, module: FakeInputDevice, samplerate, channels, dtype, device, callback, blocksize=512):
        self.module, self.callback, self.channels, self.blocksize = module, callback, channels, blocksize
        self.kwargs = {"samplerate": samplerate, "channels": channels, "dtype": dtype, "device": device}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        module.streams.append(self)

    def _run(self) -> None:
        audio = self.module.audio
        for start in range(0, audio.size, self.blocksize):
            if self._stop.is_set():
                return
            block = np.repeat(audio[start : start + self.blocksize, None], self.channels, axis=1)
            self.callback(block.astype(np.float32), len(block), None, None)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)
        self.module.closed += 1


class FakeInputDevice(types.ModuleType):
    def __init__(self, audio: np.ndarray | None = None, rate: int = 48000, device_error: str | None = None):
        super().__init__("sounddevice")
        self.audio = np.zeros(0, np.float32) if audio is None else np.asarray(audio, np.float32)
        self.rate, self.device_error = rate, device_error
        self.streams: list[FakeInputStream] = []
        self.closed = 0

        class PortAudioError(Exception):
            pass

        self.PortAudioError = PortAudioError

    def query_devices(self, device=None, kind=None):
        if self.device_error:
            raise self.PortAudioError(self.device_error)
        return {"name": "fake mic", "default_samplerate": float(self.rate), "max_input_channels": 1}

    def InputStream(self, **kwargs):  # noqa: N802 - mirrors sounddevice's class name
        return FakeInputStream(self, **kwargs)
