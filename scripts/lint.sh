#!/usr/bin/env bash
# `make lint`: ruff + ruff-format check + pylint-odoo mandatory checks. Zero findings.
set -euo pipefail
source "$(dirname "$0")/env.sh"
[ -x "$VENV/bin/ruff" ] || "$REPO_ROOT/scripts/bootstrap.sh"
cd "$REPO_ROOT"
echo "[lint] ruff"
"$VENV/bin/ruff" check sales_funnel_std tests bench scripts e2e
"$VENV/bin/ruff" format --check sales_funnel_std tests bench scripts e2e
echo "[lint] pylint-odoo (mandatory checks)"
"$VENV/bin/pylint" --rcfile="$REPO_ROOT/.pylintrc-mandatory" sales_funnel_std
