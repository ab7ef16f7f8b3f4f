"""Keeping a library in step with disk while `serve` runs: watcher, queue, indexer."""
