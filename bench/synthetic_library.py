"""Fill a library's catalog and index with N synthetic samples, without decoding any audio.

Benchmarks at 100k items need a library that size; decoding 100k files would take minutes and
measure the wrong thing. Rows get plausible paths and facts and random unit vectors.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from soundalike.engine.library.facade import Library
from soundalike.engine.pipeline.audio import AudioFacts
from soundalike.engine.store import writes as cat
from soundalike.engine.store.catalog import Catalog

FOLDERS = ("Kicks", "Snares", "Hats", "Claps", "Toms", "Cymbals", "Percussion", "Loops", "FX", "Vocals")


def fill(
    library: Library,
    count: int,
    backend: str,
    dim: int,
    root: str = "/synthetic/Samples",
    seed: int = 0,
    batch: int = 5000,
) -> None:
    """Insert ``count`` ok samples with random unit vectors for ``backend``, then save its index."""
    rng = np.random.default_rng(seed)
    catalog_of(library).add_root(root)
    facts = AudioFacts("WAV PCM_16", 44100, 1, 0.5, -3.0, -18.0, False, False)
    for start in range(0, count, batch):
        n = min(batch, count - start)
        vectors = rng.standard_normal((n, dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        ids = []
        with catalog_of(library).transaction() as tx:
            for i in range(n):
                number = start + i
                sid = cat.record_sample(
                    tx,
                    path=synthetic_path(number, root),
                    root=root,
                    size=40_000 + number,
                    mtime=time.time(),
                    content_hash=f"synthetic-{number}",
                    status="ok",
                    reason=None,
                    facts=facts,
                )
                cat.store_vector(tx, sid, backend, vectors[i])
                ids.append(sid)
        library.index(backend).add(np.array(ids), vectors)
    library.save_indexes()  # the index and its version file with the checksum, as the library writes them


def synthetic_path(number: int, root: str = "/synthetic/Samples") -> str:
    return f"{root}/{FOLDERS[number % len(FOLDERS)]}/pack {number // 1000:03d}/sample_{number:06d}.wav"


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    from soundalike.engine.config import load_settings

    target = Path(sys.argv[1])
    with Library(load_settings().with_data_dir(target)) as lib:
        fill(lib, int(sys.argv[2]), "builtin", lib.embedder("builtin").dim)
        print(lib.stats())


def catalog_of(library: Library) -> Catalog:
    """Benchmarks only: the catalog behind a library, to fill it with synthetic rows fast (the
    engine keeps it private; tests have the same accessor in tests/conftest.py)."""
    return library._catalog
