#!/usr/bin/env bash
# Set up ugcminer in ./.venv on a fresh machine (Python 3.11). Idempotent.
# torch is installed first and pinned to the CPU build (2.13.0) so nothing pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q torch==2.13.0
.venv/bin/python -m pip install -q -e '.[dev]'
echo "ugcminer is set up in .venv (run: .venv/bin/ugcminer --help)"
