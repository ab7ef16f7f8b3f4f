#!/usr/bin/env bash
# Type-check the installed package soundalike.* with mypy.
#
# engine/, tui/ and bridge/ install as soundalike.engine, .tui and .bridge through setuptools'
# package-dir mapping, which static checkers cannot follow. So the check runs on a tree of symbolic
# links that has the installed shape (soundalike/engine -> engine/ ...), made afresh each run.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir "$tree/soundalike"
for entry in "$repo"/soundalike/*; do
  ln -s "$entry" "$tree/soundalike/"
done
for folder in engine tui bridge; do
  ln -s "$repo/$folder" "$tree/soundalike/$folder"
done
cd "$tree"
exec "$repo/.venv/bin/python" -m mypy --config-file "$repo/pyproject.toml" --cache-dir "$repo/.mypy_cache" \
  -p soundalike "$@"
