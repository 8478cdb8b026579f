#!/usr/bin/env bash
# `make bench`: benchmarks against vanilla CRM on generated data (see bench/runner.py).
#   N=100000 make bench      number of leads (default 10000)
#   OPS='bndu' make bench    only the operations whose name matches the regex
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
cd "$REPO_ROOT"
exec "$VENV/bin/python" -m bench.runner -n "${N:-10000}" ${OPS:+--ops "$OPS"}
