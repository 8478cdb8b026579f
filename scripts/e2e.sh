#!/usr/bin/env bash
# `make e2e`: drive the real Odoo web client in Debian's Chromium (headless, Playwright).
# Fresh database with the addon (no demo), test users, an Odoo server on $E2E_PORT,
# then pytest over e2e/. Screenshots of failures land in e2e/screenshots/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
source "$REPO_ROOT/scripts/web.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
E2E_DB="${E2E_DB:-sf_e2e}"
E2E_PORT="${E2E_PORT:-8071}"
ensure_browser
db_drop "$E2E_DB"
echo "[e2e] installing sales_funnel_std into $E2E_DB"
db_install_addon "$E2E_DB"
"$VENV/bin/python" "$(cat "$BUILD_DIR/odoo_bin")" shell -c "$BUILD_DIR/odoo.conf" -d "$E2E_DB" \
    --log-level=warn --no-http < "$REPO_ROOT/e2e/setup_data.py"
start_odoo_server "$E2E_DB" "$E2E_PORT" "$BUILD_DIR/e2e_server.log"
echo "[e2e] web client on http://localhost:$E2E_PORT, running browser tests"
cd "$REPO_ROOT"
E2E_URL="http://localhost:$E2E_PORT" E2E_DB="$E2E_DB" \
    "$VENV/bin/python" -m pytest e2e -p no:cacheprovider -p no:odoo -q ${E2E_PYTEST_ARGS:-}
