"""Tiny, randomly initialised models saved to temp dirs, loaded back through each backend's real
``from_pretrained`` path via ``model_path``. Session-scoped: building them is the slow part."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

SPECIALS = ("<s>", "<pad>", "</s>", "<unk>")
MERGES = ("t h", "th e", "o u", "n d", "s o", "a n", "i n", "e r")
# 160x downsampling (real checkpoints: 320x) keeps attention over a 10 s window cheap
TINY_CONV = {"conv_dim": (16, 16, 16), "conv_kernel": (10, 8, 4), "conv_stride": (5, 8, 4)}
TINY_ENCODER = {
    "hidden_size": 16,
    "num_hidden_layers": 2,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "num_conv_pos_embeddings": 8,
    "num_conv_pos_embedding_groups": 2,
    **TINY_CONV,
}


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Two OpenMP threads on a busy 2-core machine ran these models 15-40x slower than one."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def pytest_configure(config):
    config.addinivalue_line("markers", "neural: needs torch and transformers (the [neural] extra)")


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist these tests share one worker, so each tiny model is built once, not per worker."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("neural"))


def byte_symbols() -> list[str]:
    """The 256 printable stand-ins byte-level BPE uses for raw bytes."""
    keep = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    extra = iter(range(256, 512))
    return [chr(b) if b in keep else chr(next(extra)) for b in range(256)]


def write_tokenizer_files(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    tokens = [*SPECIALS, *byte_symbols(), *("".join(m.split()) for m in MERGES), "<mask>"]
    vocab = {token: index for index, token in enumerate(dict.fromkeys(tokens))}
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(MERGES) + "\n", encoding="utf-8")
    return folder


def build_tiny_clap(folder: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    tokenizer = transformers.RobertaTokenizer.from_pretrained(str(write_tokenizer_files(folder / "tok")))
    text = transformers.ClapTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        projection_dim=16,
        max_position_embeddings=80,
    )
    audio = transformers.ClapAudioConfig(
        num_mel_bins=64,
        spec_size=256,
        window_size=8,
        hidden_size=32,
        patch_embeds_hidden_size=16,
        depths=[1, 1],
        num_attention_heads=[2, 2],
        projection_dim=16,
        num_hidden_layers=2,
    )
    model = transformers.ClapModel(transformers.ClapConfig(text_config=text, audio_config=audio, projection_dim=16))
    spread_weights(model.text_model, std=0.2)
    spread_weights(model.text_projection, std=0.2)
    spread_weights(model.audio_model, std=1.0)
    spread_weights(model.audio_projection, std=1.0)
    extractor = transformers.ClapFeatureExtractor(truncation="rand_trunc")
    processor = transformers.ClapProcessor(feature_extractor=extractor, tokenizer=tokenizer)
    model.save_pretrained(folder / "model")
    processor.save_pretrained(folder / "model")
    return folder / "model"


def spread_weights(model, std: float) -> None:
    """Re-draw the matrices wider than the 0.02 default: at the default a tiny random CLAP maps
    every caption (and every clip) to nearly the same vector, and trips the collapse check."""
    with torch.no_grad():
        for name, param in model.named_parameters():
            if param.dim() >= 2 and "logit_scale" not in name:
                param.normal_(0.0, std)


def save_encoder(model, folder: Path, sample_rate: int, **extractor_kw) -> Path:
    model.save_pretrained(folder)
    extractor = transformers.Wav2Vec2FeatureExtractor(sampling_rate=sample_rate, **extractor_kw)
    extractor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_clap_path(tmp_path_factory) -> Path:
    return build_tiny_clap(tmp_path_factory.mktemp("clap"))


@pytest.fixture(scope="session")
def tiny_wav2vec2_path(tmp_path_factory) -> Path:
    torch.manual_seed(1)
    model = transformers.Wav2Vec2Model(transformers.Wav2Vec2Config(**TINY_ENCODER))
    return save_encoder(model, tmp_path_factory.mktemp("wav2vec2"), 16_000, do_normalize=True)


@pytest.fixture(scope="session")
def tiny_hubert_path(tmp_path_factory) -> Path:
    torch.manual_seed(2)
    model = transformers.HubertModel(transformers.HubertConfig(**TINY_ENCODER))
    return save_encoder(model, tmp_path_factory.mktemp("hubert"), 16_000, do_normalize=False)


@pytest.fixture(scope="session")
def tiny_wavlm_path(tmp_path_factory) -> Path:
    torch.manual_seed(3)
    model = transformers.WavLMModel(transformers.WavLMConfig(**TINY_ENCODER, num_buckets=16, max_bucket_distance=40))
    return save_encoder(model, tmp_path_factory.mktemp("wavlm"), 16_000, do_normalize=False)


@pytest.fixture(scope="session")
def tiny_speaker_path(tmp_path_factory) -> Path:
    torch.manual_seed(4)
    config = transformers.WavLMConfig(
        **TINY_ENCODER,
        num_buckets=16,
        max_bucket_distance=40,
        tdnn_dim=(16, 16),
        tdnn_kernel=(3, 1),
        tdnn_dilation=(1, 1),
        xvector_output_dim=12,
    )
    model = transformers.WavLMForXVector(config)
    folder = tmp_path_factory.mktemp("speaker")
    return save_encoder(model, folder, 16_000, do_normalize=False, return_attention_mask=True)


@pytest.fixture(scope="session")
def tiny_mert_path(tmp_path_factory) -> Path:
    """A HuBERT-shaped checkpoint whose config.json says MERT and points at remote code, like the real one."""
    torch.manual_seed(5)
    model = transformers.HubertModel(transformers.HubertConfig(**TINY_ENCODER, feat_extract_norm="group"))
    folder = save_encoder(model, tmp_path_factory.mktemp("mert"), 24_000, do_normalize=True, return_attention_mask=True)
    config_file = folder / "config.json"
    config = json.loads(config_file.read_text())
    config.update(model_type="MERT", auto_map={"AutoModel": "modeling_MERT.MERTModel"}, architectures=["MERTModel"])
    config_file.write_text(json.dumps(config))
    return folder


def make_tone(sample_rate: int, seconds: float, freq: float = 220.0, seed: int = 0, decay: float = 6.0) -> np.ndarray:
    """A decaying sine with a little noise: a stand-in one-shot."""
    t = np.arange(int(sample_rate * seconds), dtype=np.float32) / sample_rate
    noise = np.random.default_rng(seed).standard_normal(t.size).astype(np.float32)
    return (0.6 * (np.sin(2 * np.pi * freq * t) + 0.2 * noise) * np.exp(-decay * t)).astype(np.float32)


@pytest.fixture(scope="session")
def tone():
    return make_tone
