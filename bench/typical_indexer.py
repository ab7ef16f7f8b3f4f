"""A typical open-source sample indexer, the baseline for bench/bench_index.py.

librosa.load at 22.05 kHz (mono), 40 MFCC means and standard deviations, FAISS flat inner product
over unit vectors, written to a folder. Files are read by as many threads as cores, as such tools do.

    .venv/bin/python bench/typical_indexer.py OUT_DIR FOLDER [FOLDER...]
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import faiss
import librosa
import numpy as np

EXTENSIONS = (".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".mp3")


def features(path: str) -> np.ndarray | None:
    try:
        audio, rate = librosa.load(path, sr=22050, mono=True)
    except Exception:  # a broken file costs itself only
        return None
    mfcc = librosa.feature.mfcc(y=audio, sr=rate, n_mfcc=40)
    vector = np.concatenate([mfcc.mean(axis=1), mfcc.std(axis=1)]).astype(np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-9)


def main(out_dir: str, folders: list[str]) -> int:
    paths = sorted(
        str(Path(dirpath) / name)
        for folder in folders
        for dirpath, _, names in os.walk(folder)
        for name in names
        if name.lower().endswith(EXTENSIONS)
    )
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        vectors = list(pool.map(features, paths))
    kept = [(path, v) for path, v in zip(paths, vectors) if v is not None]
    index = faiss.IndexFlatIP(80)
    index.add(np.stack([v for _, v in kept]))
    os.makedirs(out_dir, exist_ok=True)
    faiss.write_index(index, os.path.join(out_dir, "index.faiss"))
    Path(out_dir, "paths.txt").write_text("\n".join(path for path, _ in kept))
    print(f"indexed {len(kept)} of {len(paths)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
