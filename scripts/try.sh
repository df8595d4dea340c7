#!/bin/sh
# Set up a virtualenv in .venv, install absreader, and open the reader on the bundled sample data.
# Data goes to .try-home/ so your real library is untouched; pass ABSREADER_HOME to choose.
set -eu
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check .
ABSREADER_HOME="${ABSREADER_HOME:-$PWD/.try-home}" exec .venv/bin/absreader "$@"
