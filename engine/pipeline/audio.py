"""Decode audio by content, describe it, and prepare it for an embedder.

soundfile (libsndfile) recognises WAV, AIFF, FLAC, OGG and MP3 from the bytes, so a file whose
extension lies still decodes, and one that is not audio fails with a reason. Only the first
``max_seconds`` are decoded, so a two-hour file costs no more than a long loop.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soxr

from soundalike.engine.errors import DecodeError

if TYPE_CHECKING:  # loaded on the first decode: a query answered from stored vectors never loads libsndfile
    import soundfile as sf

log = logging.getLogger(__name__)

#: Files up to this size are read whole (one read gives both the hash and the decode).
_WHOLE_READ_BYTES = 64 * 2**20
#: Larger files are identified by their size plus this much of their head and tail (reading a
#: whole long recording to index its first seconds would cost more than the rest of indexing).
#: Such a hash cannot vouch for the middle, so the planner decodes a large file again whenever it
#: was touched (ctime or inode moved), even if size, mtime and this hash are the same.
_PARTIAL_HASH_BYTES = 4 * 2**20
_CLIP_LEVEL = 0.999
_PRE_ROLL_SECONDS = 0.002
#: Audio kept past what a backend reads before resampling: soxr's output up to there is then the
#: same, bit for bit, as when the whole file is resampled (its filter reaches ~ms; checked on the dev set).
RESAMPLE_MARGIN_SECONDS = 0.5


@dataclass(frozen=True)
class AudioFacts:
    """What a file is, as decoded (duration is the file's full length, not the decoded part)."""

    format: str
    sample_rate: int
    channels: int
    duration: float
    peak_db: float
    rms_db: float
    silent: bool
    clipped: bool

    def as_dict(self) -> dict:
        # not dataclasses.asdict, whose value-by-value deep copy costs 17x as much (every field here
        # is a plain str, int, float or bool)
        return {name: getattr(self, name) for name in _FACT_FIELDS}


_FACT_FIELDS = tuple(f.name for f in fields(AudioFacts))


@dataclass(frozen=True)
class Decoded:
    """Mono audio at the file's own rate, the facts about it and the content hash."""

    samples: np.ndarray  # float32, mono
    sample_rate: int
    facts: AudioFacts
    content_hash: str
    decoded_seconds: float


def decode_file(path: str | os.PathLike, max_seconds: float = 30.0, silence_db: float = -80.0) -> Decoded:
    """Read, hash and decode one file; raise DecodeError with the reason when it is not usable."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise DecodeError("empty file (0 bytes)")
        if size <= _WHOLE_READ_BYTES:
            data = path.read_bytes()
            return decode_bytes(data, hash_bytes(data, size), max_seconds, silence_db)
        return _decode_large(path, size, max_seconds, silence_db)
    except PermissionError as e:
        raise DecodeError("permission denied") from e
    except IsADirectoryError as e:
        raise DecodeError("is a directory, not a file") from e
    except FileNotFoundError as e:
        raise DecodeError("file not found (deleted, or a broken link)") from e
    except OSError as e:
        raise DecodeError(f"cannot read file: {e.strerror or e}") from e


def decode_bytes(data: bytes, content_hash: str, max_seconds: float = 30.0, silence_db: float = -80.0) -> Decoded:
    """Decode in-memory file contents (any format soundfile knows, whatever the name said)."""
    return _decode_stream(io.BytesIO(data), content_hash, max_seconds, silence_db)


def hash_bytes(data: bytes, size: int) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest() + f"-{size}"


def hashed_whole(size: int) -> bool:
    """Whether the content hash of a file of ``size`` bytes covers all of it."""
    return size <= _WHOLE_READ_BYTES


def file_hash(path: str | os.PathLike, size: int) -> str:
    """The content hash :func:`decode_file` records, without decoding (raises OSError)."""
    if size <= _WHOLE_READ_BYTES:
        return hash_bytes(Path(path).read_bytes(), size)
    return _partial_hash(Path(path), size)


def _partial_hash(path: Path, size: int) -> str:
    digest = hashlib.blake2b(digest_size=16)
    with open(path, "rb") as handle:
        digest.update(handle.read(_PARTIAL_HASH_BYTES))
        handle.seek(max(0, size - _PARTIAL_HASH_BYTES))
        digest.update(handle.read(_PARTIAL_HASH_BYTES))
    return f"{digest.hexdigest()}-{size}p"


def _decode_large(path: Path, size: int, max_seconds: float, silence_db: float) -> Decoded:
    content_hash = _partial_hash(path, size)
    with open(path, "rb") as handle:
        return _decode_stream(handle, content_hash, max_seconds, silence_db)


class _QuietSeeks:
    """A stream whose impossible seeks (before the start, as libsndfile asks of a file truncated
    inside its header) stay where they are instead of raising inside soundfile's C callback,
    which would print a traceback to the terminal; libsndfile then reports the file as broken."""

    def __init__(self, stream):
        self._stream = stream

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        try:
            return self._stream.seek(offset, whence)
        except (ValueError, OSError):
            return self._stream.tell()

    def tell(self) -> int:
        return self._stream.tell()

    def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def readinto(self, buffer) -> int:
        return self._stream.readinto(buffer)


def _decode_stream(stream, content_hash: str, max_seconds: float, silence_db: float) -> Decoded:
    import soundfile as sf

    try:
        with sf.SoundFile(_QuietSeeks(stream)) as sound:
            rate, channels, total = sound.samplerate, sound.channels, sound.frames
            fmt = f"{sound.format} {sound.subtype}"
            wanted = int(max_seconds * rate) if max_seconds > 0 else -1
            frames = sound.read(
                frames=min(total, wanted) if wanted > 0 and total > 0 else wanted, dtype="float32", always_2d=True
            )
    except sf.LibsndfileError as e:
        raise DecodeError(f"not decodable audio: {_libsndfile_reason(e)}") from e
    except (RuntimeError, ValueError, TypeError, EOFError) as e:
        raise DecodeError(f"not decodable audio: {e}") from e
    if rate <= 0:
        raise DecodeError(f"invalid sample rate {rate}")
    if frames.shape[0] == 0:
        raise DecodeError("no audio frames (empty or truncated)")
    mono = _to_mono(frames)
    duration = (total if total > 0 else frames.shape[0]) / rate
    facts = describe(mono, fmt, rate, channels, duration, silence_db)
    return Decoded(mono, rate, facts, content_hash, frames.shape[0] / rate)


def _libsndfile_reason(error: sf.LibsndfileError) -> str:
    text = str(error.error_string if hasattr(error, "error_string") else error)
    return text.strip().rstrip(".") or "unknown format"


def _to_mono(frames: np.ndarray) -> np.ndarray:
    """The channels' mean (raises DecodeError when no sample is finite); non-finite samples become 0."""
    mono = _channel_mean(frames)
    if not np.isfinite(mono).all():
        if not np.isfinite(frames).any():
            raise DecodeError("no usable audio: every sample is NaN or infinite")
        log.debug("replacing non-finite samples with zeros")
        mono = np.nan_to_num(mono, nan=0.0, posinf=0.0, neginf=0.0)
    return np.ascontiguousarray(mono, dtype=np.float32)


def _channel_mean(frames: np.ndarray) -> np.ndarray:
    """``frames.mean(axis=1)`` bit for bit (channels summed in order, then divided), ~9x faster:
    numpy's reduction along a short axis costs more than decoding a stereo file."""
    if frames.shape[1] == 1:
        return frames[:, 0]
    total = frames[:, 0].astype(np.float32, copy=True)
    for channel in range(1, frames.shape[1]):
        total += frames[:, channel]
    total /= np.float32(frames.shape[1])
    return total


def describe(
    mono: np.ndarray, fmt: str, rate: int, channels: int, duration: float, silence_db: float = -80.0
) -> AudioFacts:
    peak = max(float(mono.max()), -float(mono.min())) if mono.size else 0.0  # = abs().max(), no copy
    rms = float(np.sqrt(np.mean(np.square(mono, dtype=np.float64)))) if mono.size else 0.0
    # Only a file that reaches the clip level can have clipped samples: most need no count.
    clipped_samples = int(np.count_nonzero(np.abs(mono) >= _CLIP_LEVEL)) if peak >= _CLIP_LEVEL else 0
    return AudioFacts(
        format=fmt,
        sample_rate=int(rate),
        channels=int(channels),
        duration=float(duration),
        peak_db=to_db(peak),
        rms_db=to_db(rms),
        silent=to_db(peak) < silence_db,
        clipped=clipped_samples >= max(3, int(0.001 * mono.size)),
    )


def to_db(amplitude: float) -> float:
    return float(20 * np.log10(amplitude)) if amplitude > 1e-10 else -200.0


def trim_leading_silence(mono: np.ndarray, rate: int, trim_db: float = -60.0) -> np.ndarray:
    """Drop audio before the first sample within ``trim_db`` of the peak, keeping 2 ms pre-roll."""
    if mono.size == 0:
        return mono
    magnitude = np.abs(mono)
    threshold = float(magnitude.max()) * 10 ** (trim_db / 20)
    onset = int(np.argmax(magnitude > threshold))
    start = max(0, onset - int(_PRE_ROLL_SECONDS * rate))
    return mono[start:]


def resample(mono: np.ndarray, rate: int, target_rate: int) -> np.ndarray:
    if rate == target_rate:
        return mono
    return soxr.resample(mono, rate, target_rate, quality="HQ").astype(np.float32, copy=False)


def prepare(
    decoded: Decoded, target_rate: int, trim_db: float = -60.0, reads_seconds: float | None = None
) -> np.ndarray:
    """Mono float32 at ``target_rate`` with leading silence trimmed: what embedders receive.

    ``reads_seconds``: the backend looks at no more than this (after the trim), so only that
    much, plus a margin that keeps the resampler's output identical, is resampled."""
    trimmed = trim_leading_silence(decoded.samples, decoded.sample_rate, trim_db)
    if reads_seconds is not None:
        trimmed = trimmed[: int(np.ceil((reads_seconds + RESAMPLE_MARGIN_SECONDS) * decoded.sample_rate))]
    return resample(trimmed, decoded.sample_rate, target_rate)
