#!/usr/bin/env bash
# Type-check the package soundalike.* with mypy, on the repository as it is: soundalike/engine,
# soundalike/tui and soundalike/bridge are committed links to the top-level folders, so mypy follows
# every import the way the installed package has it.
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/python -m mypy -p soundalike "$@"
