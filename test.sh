#!/usr/bin/env bash
# Set up everything (neural extras included) and run the whole test suite.
#   ./test.sh [pytest args]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/scripts/setup.sh" neural dev
cd "$here"
.venv/bin/ruff check --quiet .
scripts/typecheck.sh
exec .venv/bin/python -m pytest -q "$@"
