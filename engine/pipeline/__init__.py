"""Files to vectors: walk folders, decode audio, embed on worker threads."""
