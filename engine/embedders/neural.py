"""The neural backends, for the registry. Importing this is cheap: no torch, no transformers."""

from __future__ import annotations

from soundalike.engine.embedders.aisfx import AisfxEmbedder
from soundalike.engine.embedders.clap import ClapEmbedder
from soundalike.engine.embedders.mert import MertEmbedder
from soundalike.engine.embedders.speech import HubertEmbedder, SpeakerEmbedder, Wav2Vec2Embedder, WavLMEmbedder

NEURAL_BACKENDS = (
    ClapEmbedder,
    MertEmbedder,
    Wav2Vec2Embedder,
    HubertEmbedder,
    WavLMEmbedder,
    SpeakerEmbedder,
    AisfxEmbedder,
)
