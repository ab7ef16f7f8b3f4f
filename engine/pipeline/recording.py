"""Audio to search with that is not a whole file: a span of a file, a hit cut from it, a recording.

``span_of_file`` cuts ``--from``/``--to`` out of any audio file (a drum hit in a bounced loop);
``cleaned`` takes a recording's noise floor out (it, not the room, is what ruins a search);
``first_hit`` trims a span or a recording to its first hit: from the onset to the next onset, or
until it has died away. ``record`` captures from an input device through sounddevice, imported
only when needed; with no device (or no PortAudio) it raises :class:`InputUnavailable`, one line
that says so and names the file route instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import numpy as np

from soundalike.engine.errors import FileError, QueryError, UserError
from soundalike.engine.pipeline.audio import decode_file
from soundalike.engine.pipeline.denoise import denoise

log = logging.getLogger(__name__)

FRAME_SECONDS = 0.005
ONSET_RISE_DB = 12.0  # a frame this much louder than the quietest of the last LOOKBACK frames starts a hit
LOOKBACK_FRAMES = 6
FLOOR_DB = -40.0  # below peak: quieter frames never start a hit
TAIL_DB = -60.0  # below the hit's peak: the hit is over
TRIM_DB = -60.0  # the hit starts at its first sample above this (relative to its peak), as indexing trims
NOISE_MARGIN_DB = 6.0  # ... or this close to the noise floor
MIN_SNR_DB = 30.0  # the quietest tenth of the frames is a noise floor only this far under the hit
MIN_HIT_SECONDS = 0.04
MIN_SPAN_SECONDS = 0.02
NEXT_HIT_DB = 20.0  # a later onset ends the hit only when within this of the hit's peak...
NEXT_HIT_RISE_DB = 3.0  # ...and this much louder than the loudest of the frames just before it
PRE_ROLL_SECONDS = 0.002
CONTEXT_SECONDS = 0.05  # audio before a span's start read too: a span that starts in a tail has no onset there
FILE_ROUTE = "search with a file instead: soundalike similar FILE --from 1.2 --to 1.5"


class InputUnavailable(UserError):
    """No input device to record from (no PortAudio, no device, or it would not open)."""


@dataclass(frozen=True)
class Clip:
    audio: np.ndarray  # mono float32
    sample_rate: int
    start: float  # seconds into the source where the clip begins
    source: str

    @property
    def seconds(self) -> float:
        return self.audio.size / self.sample_rate


def span_of_file(
    path: str, start: float | None, end: float | None, hit: bool = True, max_seconds: float = 600.0
) -> Clip:
    """``start``..``end`` seconds of ``path`` (None: from the start / to the end), trimmed to its first
    hit when ``hit``; FileError when the file cannot be read or the span holds no sound."""
    if start is not None and start < 0:
        raise QueryError(f"from must be 0 s or later, got {start:g} s")
    start = start or 0.0
    if end is not None and end <= start:
        raise QueryError(f"to ({end:g} s) must come after from ({start:g} s)")
    if end is not None and end - start < MIN_SPAN_SECONDS:
        raise QueryError(f"the span {start:g}..{end:g} s is too short to hold a hit (at least {MIN_SPAN_SECONDS:g} s)")
    limit = max_seconds if end is None else min(max_seconds, end + 0.01)
    decoded = decode_file(path, limit)
    rate = decoded.sample_rate
    if start >= decoded.samples.size / rate:
        raise QueryError(f"from {start:g} s is past the end of {path} ({decoded.samples.size / rate:.2f} s)")
    first = int(start * rate)
    context = min(first, int(CONTEXT_SECONDS * rate))
    audio = decoded.samples[first - context : None if end is None else int(end * rate)]
    return trimmed(Clip(audio, rate, start - context / rate, str(path)), hit, context)


def cleaned(clip: Clip) -> Clip:
    """A recording with its microphone's steady noise floor subtracted (see :mod:`soundalike.engine.pipeline.denoise`)."""
    return Clip(denoise(clip.audio, clip.sample_rate), clip.sample_rate, clip.start, clip.source)


def trimmed(clip: Clip, hit: bool = True, context: int = 0) -> Clip:
    """The clip cut to its first hit at or after sample ``context`` (when ``hit``; else just from
    there); FileError when that part is silent."""
    body = clip.audio[context:]
    start = clip.start + context / clip.sample_rate
    if not body.size or float(np.abs(body).max()) < 1e-4:
        raise FileError(
            f"{clip.source}: nothing audible in {start:.2f} s..{start + body.size / clip.sample_rate:.2f} s"
        )
    if not hit:
        return Clip(body, clip.sample_rate, start, clip.source)
    first, last = hit_bounds(clip.audio, clip.sample_rate, context)
    return Clip(clip.audio[first:last], clip.sample_rate, clip.start + first / clip.sample_rate, clip.source)


def hit_bounds(audio: np.ndarray, rate: int, skip: int = 0) -> tuple[int, int]:
    """Sample range of the first hit starting at or after sample ``skip`` (the audio before it is
    history only): its onset, less a little pre-roll, to the next onset or its tail."""
    hop = max(1, int(FRAME_SECONDS * rate))
    level = frame_db(audio, hop)
    start = -(-skip // hop)
    peak = float(level[start:].max())
    onsets = [f for f in onset_frames(level, peak) if f >= start]
    first = onsets[0] if onsets else start + int(np.argmax(level[start:] > peak + FLOOR_DB))
    later = [f for f in onsets if f > first + MIN_HIT_SECONDS / FRAME_SECONDS and _next_hit(level, first, f)]
    hit_peak = float(level[first : later[0] if later else None].max())
    noise = float(np.percentile(level, 10))  # a recording's floor: the tail ends where it sinks into it...
    floor = noise + NOISE_MARGIN_DB if noise < hit_peak - MIN_SNR_DB else -np.inf  # ...if it is one (a
    quiet = np.nonzero(level[first:] < max(hit_peak + TAIL_DB, floor))[0]  # short span of a hit is not)
    end = later[0] if later else (first + int(quiet[quiet > 0][0]) if (quiet > 0).any() else level.size)
    onset = _first_sample(audio, max(skip, (first - 1) * hop), (first + 1) * hop, max(hit_peak + TRIM_DB, floor))
    return max(0, onset - int(PRE_ROLL_SECONDS * rate)), min(audio.size, end * hop)


def _first_sample(audio: np.ndarray, start: int, stop: int, level_db: float) -> int:
    """The first sample in start..stop above ``level_db``: the onset to the sample, trimmed as the
    library trims the files it indexes (so a clean recording of a file starts where the file does)."""
    start = max(0, start)
    window = np.abs(audio[start:stop])
    above = np.nonzero(window > 10 ** (level_db / 20))[0]
    return start + int(above[0]) if above.size else start


def _next_hit(level: np.ndarray, first: int, frame: int) -> bool:
    """A later onset starts the next hit only when it is nearly as loud as this one and rises
    clearly above the frames just before it (not a flutter in a ringing tail)."""
    before = level[max(first, frame - LOOKBACK_FRAMES) : frame]
    return (
        level[frame] >= float(level[first:frame].max()) - NEXT_HIT_DB
        and level[frame] >= float(before.max()) + NEXT_HIT_RISE_DB
    )


def frame_db(audio: np.ndarray, hop: int) -> np.ndarray:
    frames = audio[: audio.size // hop * hop].reshape(-1, hop) if audio.size >= hop else audio.reshape(1, -1)
    return 20 * np.log10(np.abs(frames).max(axis=1) + 1e-9)


def onset_frames(level: np.ndarray, peak: float) -> list[int]:
    """Frames where the level jumps ONSET_RISE_DB above the recent minimum (and above the floor)."""
    onsets, last = [], -(10**9)
    for i in range(level.size):
        recent = level[max(0, i - LOOKBACK_FRAMES) : i]
        floor = float(recent.min()) if recent.size else -180.0
        if level[i] > peak + FLOOR_DB and level[i] - floor >= ONSET_RISE_DB and i - last > LOOKBACK_FRAMES:
            onsets.append(i)
            last = i
    return onsets


# --- recording -------------------------------------------------------------------------------
def load_sounddevice() -> ModuleType:
    try:
        import sounddevice
    except (ImportError, OSError) as e:  # OSError: the PortAudio library is missing
        raise InputUnavailable(f"no audio input: sounddevice/PortAudio unavailable ({e}); {FILE_ROUTE}") from e
    return sounddevice


def record(
    seconds: float,
    device: str | int | None = None,
    sample_rate: int | None = None,
    module: ModuleType | None = None,
    on_start: Callable[[str], None] | None = None,
) -> Clip:
    """``seconds`` of mono audio from the input device (default: the system's default input).

    ``on_start`` is called with the device's name once the device is found and its stream open,
    just before recording starts (to say "play the sound now" only when there is something to hear it)."""
    sd = module or load_sounddevice()
    try:
        info = sd.query_devices(device, kind="input")
        rate = int(sample_rate or info["default_samplerate"])
    except (sd.PortAudioError, ValueError, KeyError, TypeError) as e:
        raise InputUnavailable(f"no audio input device ({e}); {FILE_ROUTE}") from e
    wanted = int(seconds * rate)
    blocks: list[np.ndarray] = []
    full = threading.Event()

    def callback(indata, frames, time_info, status) -> None:
        if status:
            log.info("recording: %s", status)
        if not full.is_set():
            blocks.append(np.array(indata[:, 0], dtype=np.float32))
            if sum(b.size for b in blocks) >= wanted:
                full.set()

    try:
        with sd.InputStream(samplerate=rate, channels=1, dtype="float32", device=device, callback=callback):
            if on_start is not None:
                on_start(str(info.get("name", "the input")))
            full.wait(seconds + 5.0)
    except (sd.PortAudioError, ValueError) as e:
        raise InputUnavailable(f"could not record from {info.get('name', 'the input')} ({e}); {FILE_ROUTE}") from e
    audio = np.concatenate(blocks)[:wanted] if blocks else np.zeros(0, np.float32)
    return Clip(audio, rate, 0.0, f"recording from {info.get('name', 'input')}")
