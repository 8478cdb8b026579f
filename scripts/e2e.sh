#!/usr/bin/env bash
# Browser tests: placeholder until the UI flows exist (see e2e/).
set -euo pipefail
source "$(dirname "$0")/env.sh"
if [ -d "$REPO_ROOT/e2e" ] && compgen -G "$REPO_ROOT/e2e/test_*.py" >/dev/null; then
    "$REPO_ROOT/scripts/e2e_run.sh"
else
    echo "[e2e] no browser tests yet"
fi
