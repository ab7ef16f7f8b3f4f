"""One BLAS thread per worker while indexing.

Indexing already runs one file per core. OpenBLAS (numpy's, scipy's, FAISS's) would add its own
threads to every small matrix product on top, and on two cores they spin waiting for work: on the
dev + extra files that doubled the CPU time of `soundalike index` (bench/bench_index.py).
Only OpenBLAS is limited: torch's MKL/OpenMP threads (the neural backends) are left as they are.
"""

from __future__ import annotations

import contextlib
import logging

log = logging.getLogger(__name__)


@contextlib.contextmanager
def one_blas_thread():
    """Limit every loaded OpenBLAS to one thread inside the block, restoring it afterwards."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # threadpoolctl is a dependency; without it indexing is only slower
        log.debug("threadpoolctl missing: OpenBLAS keeps its threads while indexing")
        yield
        return
    with ThreadpoolController().select(internal_api="openblas").limit(limits=1):
        yield
