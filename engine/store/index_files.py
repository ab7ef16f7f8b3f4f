"""Saved FAISS indexes: written atomically with a checksum of their bytes, opened memory-mapped.

An index is read with its flat vectors memory-mapped from the file (``IO_FLAG_MMAP_IFC``), so
opening a 100k-sample library costs no copy of its 100+ MB of vectors: the pages are read as
searches touch them, and shared with the page cache. The owner makes a private copy before its
first change (:func:`owned`); the file itself is never written in place (a save renames a new
file over it, and a mapping keeps the old one's bytes).

Checksums are ``f64:`` and a position-weighted sum of the file's 64-bit words (with its length):
any flipped, lost or moved byte changes it, and it runs at memory speed over the mapped file
(~0.04 s at 110 MB), where the BLAKE2 digest earlier state files hold (no prefix) takes ~0.5 s;
those are still checked as BLAKE2, once: the ``f64:`` checksum of the same bytes is recorded then.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from pathlib import Path
from typing import Any, BinaryIO

import faiss as faiss_module
import numpy as np

faiss: Any = faiss_module

log = logging.getLogger(__name__)

FAST = "f64:"
#: Read flat vectors memory-mapped (a FAISS without the flag reads them into memory).
_MMAP = getattr(faiss, "IO_FLAG_MMAP_IFC", 0)
_MAP_FLAGS = _MMAP | faiss.IO_FLAG_READ_ONLY if _MMAP else 0
#: Words summed per step (a bounded temporary, whatever the file's size).
WORDS_PER_STEP = 1 << 20


def checksum_of(path: Path) -> str:
    """The ``f64:`` checksum of a file's bytes."""
    size = path.stat().st_size
    if size == 0:
        return f"{FAST}0-0-0"
    data = np.memmap(path, dtype=np.uint8, mode="r")
    try:
        return fast_checksum(data)
    finally:
        del data


def fast_checksum(data: np.ndarray) -> str:
    """``f64:`` checksum of bytes (a uint8 array): their count, the sum of their 64-bit words and
    the sum of each word times its position, both modulo 2**64 (the tail padded with zeros)."""
    whole = len(data) // 8 * 8
    words = data[:whole].view("<u8")
    tail = np.zeros(8, np.uint8)
    tail[: len(data) - whole] = data[whole:]
    total, weighted = np.uint64(0), np.uint64(0)
    with np.errstate(over="ignore"):
        for start in range(0, len(words), WORDS_PER_STEP):
            step = words[start : start + WORDS_PER_STEP]
            positions = np.arange(start + 1, start + 1 + len(step), dtype=np.uint64)
            total += step.sum(dtype=np.uint64)
            weighted += (step * positions).sum(dtype=np.uint64)
        last = tail.view("<u8")[0]
        total += last
        weighted += last * np.uint64(len(words) + 1)
    return f"{FAST}{len(data):x}-{int(total):x}-{int(weighted):x}"


def blake2_checksum(handle: BinaryIO, block: int = 1 << 20) -> str:
    """The BLAKE2 digest of a file's bytes, as state files written before ``f64:`` recorded it,
    read a block at a time."""
    digest = hashlib.blake2b(digest_size=16)
    while data := handle.read(block):
        digest.update(data)
    return digest.hexdigest()


def matches(path: Path, checksum: str) -> bool:
    """Whether ``path``'s bytes have ``checksum`` (of either kind)."""
    if checksum.startswith(FAST):
        return checksum_of(path) == checksum
    with open(path, "rb") as handle:
        return blake2_checksum(handle) == checksum


def read(path: Path, checksum: str | None = None, mapped: bool = True):
    """(index, its checksum), or (None, None) when missing, damaged (its bytes do not match
    ``checksum``) or unreadable; ``mapped``: its flat vectors memory-mapped (read-only)."""
    try:
        if checksum is not None and not matches(path, checksum):
            log.warning("index %s does not match its checksum (damaged on disk): rebuilding it", path)
            return None, None
        found = checksum if checksum is not None and checksum.startswith(FAST) else checksum_of(path)
    except OSError:
        return None, None
    try:
        return faiss.read_index(str(path), _MAP_FLAGS if mapped else 0), found
    except RuntimeError as e:
        log.warning("index %s is unreadable (%s): rebuilding it", path, e)
        return None, None


def read_unchecked(path: Path, checksum: str):
    """The saved index, its flat vectors memory-mapped, its bytes taken on trust: only its length is
    checked against the one an ``f64:`` ``checksum`` records (no byte is read here); None when that
    differs, the checksum is of the other kind, or it does not read. For a process that asks one
    question and changes nothing: a damaged file costs it one wrong answer, never a saved one
    (every process that may write checks the bytes)."""
    if not checksum.startswith(FAST):
        return None
    try:
        if int(checksum[len(FAST) :].split("-")[0], 16) != path.stat().st_size:
            return None
        return faiss.read_index(str(path), _MAP_FLAGS)
    except (OSError, ValueError, RuntimeError) as e:
        log.info("index %s not read unchecked (%s)", path, e)
        return None


def owned(index, path: Path | None = None):
    """A private, changeable copy of a memory-mapped index: read again from ``path`` (the file it
    maps, which only a save replaces, and a save writes these same vectors), else copied in memory
    (which holds it twice for a moment)."""
    if path is not None:
        try:
            copy = faiss.read_index(str(path))
            if copy.ntotal == index.ntotal and copy.d == index.d:
                return copy
        except (RuntimeError, OSError) as e:
            log.info("index %s not read again (%s): copying it in memory", path, e)
    return faiss.deserialize_index(faiss.serialize_index(index))


def write(index, path: Path) -> str:
    """Write ``index`` to a temporary file, fsync, rename it over ``path``; its checksum. A failed
    write (a full disk) is an OSError, and leaves ``path`` as it was."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        faiss.write_index(index, str(tmp))
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        checksum = checksum_of(tmp)
    except RuntimeError as e:  # FAISS reports a failed write (a full disk) as RuntimeError
        tmp.unlink(missing_ok=True)
        code = errno.ENOSPC if "No space left" in str(e) else errno.EIO
        raise OSError(code, os.strerror(code), str(tmp)) from e
    except OSError:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, path)
    return checksum


def ids_of(index) -> np.ndarray:
    """The ids an ``IndexIDMap2`` holds, in storage order."""
    return faiss.vector_to_array(index.id_map).astype(np.int64)
