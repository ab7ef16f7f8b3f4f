"""MERT: a music-understanding encoder (HuBERT-shaped, trained on music at 24 kHz).

The published recipe loads MERT with ``trust_remote_code=True``. We never run remote code: the
checkpoint's weights fit the built-in ``HubertModel`` exactly once a ``HubertConfig`` is built
from its config.json (minus ``model_type`` and ``auto_map``), and the built-in model returns every
hidden state, which the remote code stopped doing under transformers 5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from soundalike.engine.embedders.base import BackendInfo
from soundalike.engine.embedders.speech import ContentEncoder, ContentOptions
from soundalike.engine.embedders.torch_support import INSTALL_HINT, load_pretrained

#: keys in MERT's config.json that only make sense to its remote code.
REMOTE_ONLY_KEYS = ("model_type", "auto_map", "architectures")


class MertEmbedder(ContentEncoder):
    """Mean over time of MERT hidden states; by default the average of all of them.

    Different MERT layers suit different tasks (lower: timbre and pitch, upper: more abstract
    structure); averaging all layers is the general-purpose choice in the MERT paper's probing.
    """

    name = "mert"
    sample_rate = 24_000
    model_class = "HubertModel"
    info = BackendInfo(
        good_for="music: instruments, timbre, loops and musical phrases",
        licence="CC BY-NC 4.0 (non-commercial use only)",
        size="~380 MB download (95M); ~1.3 GB (330M)",
        needs=INSTALL_HINT,
    )

    @dataclass(frozen=True)
    class Options(ContentOptions):
        #: "m-a-p/MERT-v1-95M" or "m-a-p/MERT-v1-330M".
        model: str = "m-a-p/MERT-v1-95M"
        #: hidden states to average; empty = all (13 for 95M, 25 for 330M).
        layers: tuple[int, ...] = ()
        #: MERT was pre-trained on 5 s excerpts.
        window_seconds: float = 5.0

    def _load_model(self, transformers: Any, source: str) -> Any:
        config_dict, _ = load_pretrained(transformers.HubertConfig.get_config_dict, source, self.name)
        config_dict = {k: v for k, v in config_dict.items() if k not in REMOTE_ONLY_KEYS}
        config = transformers.HubertConfig.from_dict(config_dict)
        return load_pretrained(transformers.HubertModel.from_pretrained, source, self.name, config=config)
