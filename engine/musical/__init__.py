"""Musical facts of a sample: loop or one-shot, tempo, key and root note (numpy and scipy only)."""
