"""What a library keeps on disk: the SQLite catalog, the FAISS indexes, the lock."""
