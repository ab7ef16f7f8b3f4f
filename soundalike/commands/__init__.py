"""The CLI's subcommands, one module per group."""
