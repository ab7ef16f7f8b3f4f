"""What a library keeps on disk: the store (the ``Store`` protocol, ``interface``; its SQLite
implementation, the only code that writes SQL), the FAISS indexes, the lock."""
