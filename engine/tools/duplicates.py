"""Near-duplicates: the same recording saved in other formats, rates, bit depths, gains or trims.

Copies are found when files are indexed (:mod:`soundalike.engine.library.families`: candidates the
default backend places very close together, confirmed on the fine fingerprint of
:mod:`soundalike.engine.pipeline.fingerprint`), and kept as copy groups in the catalog. This tool
lists those groups: it reads stored facts and decodes nothing.
"""

from __future__ import annotations

import logging

from soundalike.engine.library.families import group_pairs
from soundalike.engine.pipeline.fingerprint import Fingerprint, distance, fingerprint, is_duplicate

__all__ = ["Fingerprint", "distance", "find_duplicates", "fingerprint", "group_pairs", "is_duplicate"]

log = logging.getLogger(__name__)


def find_duplicates(library, backend: str | None = None) -> list[list]:
    """Groups of samples (SampleRow lists, two or more each, by path) that are copies of one sound.

    ``backend`` is accepted for compatibility: copy groups are decided once, at index time, with
    the default backend's neighbours."""
    groups = library.browse.copy_groups()
    log.info("duplicates: %d groups", len(groups))
    return groups
