#!/usr/bin/env bash
# Set up everything (neural extras included) and run the whole test suite.
#   ./test.sh [pytest args]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
"$here/scripts/setup.sh" neural dev
cd "$here"
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
scripts/typecheck.sh
# One pytest-xdist worker per CPU (SOUNDALIKE_TEST_WORKERS=0: one process; a number: that many);
# tests marked xdist_group (the neural models, the snapshot files) share one worker.
exec .venv/bin/python -m pytest -q -n "${SOUNDALIKE_TEST_WORKERS:-auto}" --dist loadgroup "$@"
