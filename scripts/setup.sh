#!/usr/bin/env bash
# Create .venv (if missing) and install soundalike into it.
#   scripts/setup.sh            core: the built-in backend, TUI, bridge (no torch)
#   scripts/setup.sh neural dev with extras (neural = torch CPU + transformers + aisfx weights)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
fi
extras=$(IFS=,; echo "$*")
# setuptools' multi-line "Editable installation" notice is about its own layout, not an error;
# every other warning and error still shows.
export PYTHONWARNINGS="ignore:Editable installation${PYTHONWARNINGS:+,$PYTHONWARNINGS}"
.venv/bin/python -m pip install --quiet --editable ".${extras:+[$extras]}"
if [[ " $* " == *" neural "* ]]; then
  # aisfx pins numpy/librosa versions that cannot install on Python 3.11; its model and weights
  # need neither, so it is installed without its dependencies.
  .venv/bin/python -m pip install --quiet --no-deps "aisfx==0.1.2"
fi
