#!/bin/sh
# Set up a virtualenv in .venv, install absreader with its test extras (a real, non-editable
# install, so the tests see what users get), lint, check the import contracts, and run the
# whole test suite.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install -q --disable-pip-version-check ".[test]"
.venv/bin/ruff check src tests benchmarks
.venv/bin/lint-imports
exec .venv/bin/python -m pytest "$@"
