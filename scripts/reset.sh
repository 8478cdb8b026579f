#!/usr/bin/env bash
# `make reset`: drop the demo database (next `make run` recreates it).
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
db_drop "$DEMO_DB"
echo "[reset] dropped $DEMO_DB"
