#!/usr/bin/env bash
# Mutation testing of the pure domain core (server/domain) against tests/domain, with mutmut 3.
#
#   .venv/bin/pip install -e '.[test,mutation]'
#   bash scripts/mutation.sh                 # full run from scratch; prints killed / survived / total
#   bash scripts/mutation.sh --keep          # reuse ./mutants: only mutants without a result are run
#   bash scripts/mutation.sh --keep 'server.domain.floor.*'   # (re)run the mutants matching a pattern
#
# A full run is about 4,400 mutants. On 2 cores most take about a second, but every floor mutant
# also runs the floor state machine, so a full run takes well over the half hour; run by package
# (patterns as above) with --keep to spread it out.
#
# Configuration: [tool.mutmut] in pyproject.toml; hypothesis runs the "mutation" profile
# (tests/domain/conftest.py). Results stay in ./mutants: `mutmut results`, `mutmut show NAME`.
# Not part of CI. Environment: PYTHON (default .venv/bin/python), JOBS (default: all cores).
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
JOBS=${JOBS:-$(nproc)}

if ! "$PYTHON" -c 'import mutmut' 2>/dev/null; then
    echo "mutmut is not installed: $PYTHON -m pip install -e '.[test,mutation]'" >&2
    exit 2
fi

if [[ "${1:-}" == "--keep" ]]; then
    shift
else
    rm -rf mutants
fi

start=$(date +%s)
# mutmut redraws its progress line in place; keep the log readable.
"$PYTHON" -m mutmut run --max-children "$JOBS" "$@" | tr '\r' '\n' | grep -v '^[[:space:]]*$' | tail -n 5
"$PYTHON" -m mutmut export-cicd-stats >/dev/null
elapsed=$(( $(date +%s) - start ))

echo
echo "Surviving (and not killed) mutants:"
"$PYTHON" -m mutmut results | sed 's/^ */  /'
"$PYTHON" - "$elapsed" <<'PY'
import json
import sys

s = json.load(open("mutants/mutmut-cicd-stats.json"))
elapsed = int(sys.argv[1])
print()
print(f"killed:     {s['killed']}")
print(f"survived:   {s['survived']}")
print(f"timeout:    {s['timeout']}")
print(f"suspicious: {s['suspicious']}")
print(f"no tests:   {s['no_tests']}")
decided = sum(s[k] for k in ("killed", "survived", "timeout", "suspicious", "no_tests", "skipped", "segfault"))
print(f"not run:    {s['total'] - decided}")
print(f"total:      {s['total']}")
score = 100 * (s["killed"] + s["timeout"]) / s["total"] if s["total"] else 0.0
print(f"score:      {score:.1f}% (killed + timeout over total) in {elapsed // 60}m{elapsed % 60:02d}s")
PY
