"""The library: the one engine API the CLI, the TUI and the bridge use."""
