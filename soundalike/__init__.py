"""soundalike: find samples that sound alike. The command line wires engine, TUI and bridge."""

__version__ = "0.1.0"
