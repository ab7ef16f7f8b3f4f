"""A small real library for kit tests: generated kits with every kind, indexed by the built-in backend."""

from __future__ import annotations

import pytest

from soundalike.engine.config import EngineSettings, Settings
from soundalike.engine.library.facade import Library
from tests.kit_sounds import write_kit


@pytest.fixture(scope="package")
def kit_library(tmp_path_factory):
    root = tmp_path_factory.mktemp("kits")
    for kit in range(2):
        write_kit(root / f"Kit {kit}", kit)
    settings = Settings(
        engine=EngineSettings(
            data_dir=str(root.parent / "kit-lib"), backends=("builtin",), default_backend="builtin", workers=1
        )
    )
    library = Library(settings)
    library.scan([str(root)])
    yield library, root
    library.close()
