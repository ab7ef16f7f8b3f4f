"""``soundalike doctor`` without a file: where this machine's catalog is, and each root's folder here."""

from __future__ import annotations

import os

from soundalike.engine.config import Settings
from soundalike.engine.library.browse import readable
from soundalike.engine.library.facade import Library


def catalog_doctor(settings: Settings) -> int:
    """Print the catalog, this machine's roots (and whether their folders are here), and a shared
    catalog's roots this machine does not map; 1 when some root is not playable here."""
    store = settings.store
    with Library(settings) as library:
        if store.url:
            print(f"catalog: shared, {store.url} (machine {store.machine or os.uname().nodename})")
            print(f"user: {store.user or 'the database role'}")
        else:
            print(f"catalog: {library.data_dir / 'catalog.sqlite'} (this machine only)")
        print(f"this machine's indexes and logs: {library.data_dir}")
        named = store.root_paths()
        trouble = False
        for root in library.browse.roots():
            here = os.path.isdir(root)
            trouble |= not here
            name = next((n for n, path in named.items() if root.startswith(path.rstrip(os.sep))), None)
            label = f" (named {name})" if name else ""
            print(f"root {readable(root)}{label}: {'here' if here else 'NOT FOUND on this machine'}")
        for name, count in sorted(library.browse.unmapped_roots().items()):
            trouble = True
            print(
                f'root {name}: not mapped on this machine, its {count} samples are left out; add "{name}=LOCAL PATH" '
                "to roots under [store]"
            )
    return 1 if trouble else 0
