#!/usr/bin/env bash
# `make load`: the addon and vanilla CRM under concurrent load on a real prefork Odoo
# (bench/load/runner.py; issue 19). Full run: N=10000 leads, K=16 salespeople, 60 s per
# side, then the two-node and fault scenarios; rewrites the "Load (issue 19)" section of
# BENCHMARKS.md. A few minutes.
#   N=100000 K=32 DURATION=120 make load     bigger
#   scripts/load.sh --short  (or LOAD_SHORT=1) 300 leads, K=4, 15 s, addon only, plus the
#                                              two-node check; part of `make test`
#   SCENARIOS=nodes,faults                     which scenarios run after the load
#   LOAD_PORT=8090 LOAD_DB=load LOAD_PG_PORT=5440   ports and database-name prefix
set -euo pipefail
source "$(dirname "$0")/env.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
cd "$REPO_ROOT"
exec "$VENV/bin/python" -m bench.load.runner "$@"
