#!/usr/bin/env bash
# Static checks: ruff's lint rules, then mypy, both configured in pyproject.toml (mypy's file list included).
# They come with the lint extra, which the test extra includes: .venv/bin/pip install -e '.[test]'
# PYTHON names another interpreter that has them (default: the project's .venv).
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-.venv/bin/python}
status=0
"$python" -m ruff check . || status=1
"$python" -m mypy || status=1
exit "$status"
