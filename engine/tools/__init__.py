"""Things built on a library: duplicates, evaluation, model files, the demo, the drum map."""
