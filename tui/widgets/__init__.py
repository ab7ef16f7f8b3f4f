"""The TUI's widgets and what they draw."""
