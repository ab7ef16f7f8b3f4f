#!/usr/bin/env bash
# Set up (first run only) and open soundalike over FOLDER, or over a generated demo library.
#   ./start.sh [FOLDER]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$here/.venv/bin/soundalike" ] || "$here/scripts/setup.sh"
exec "$here/.venv/bin/soundalike" "$@"
