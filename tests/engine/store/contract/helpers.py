"""Writing samples through the Store protocol, for the contract tests."""

from __future__ import annotations

from soundalike.engine.pipeline.audio import AudioFacts
from soundalike.engine.store.interface import Store

FACTS = AudioFacts(
    format="WAV", sample_rate=44100, channels=1, duration=0.5, peak_db=-1.0, rms_db=-12.0, silent=False, clipped=False
)


def add(
    store: Store,
    path: str,
    *,
    root: str = "/S",
    status: str = "ok",
    content_hash: str | None = None,
    size: int = 1,
    mtime: float = 1.0,
    reason: str | None = None,
) -> int:
    with store.transaction() as tx:
        return tx.record_sample(
            path=path,
            root=root,
            size=size,
            mtime=mtime,
            content_hash=content_hash,
            status=status,
            reason=reason,
            facts=FACTS if status == "ok" else None,
        )
