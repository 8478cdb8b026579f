#!/usr/bin/env bash
# Install the addon on a database with a running pipeline, as a team does from Apps, and check
# that nothing changes until a sales manager adopts the standard funnel (issue 13).
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
DB="${EXISTING_DB:-sales_funnel_test_existing}"
shell() {
    "$VENV/bin/python" "$(cat "$BUILD_DIR/odoo_bin")" shell -c "$BUILD_DIR/odoo.conf" -d "$DB" \
        --log-level=warn --no-http < "$REPO_ROOT/scripts/check_existing_install.py"
}
db_drop "$DB"
echo "[existing] vanilla crm + project with a running pipeline ($DB)"
"$REPO_ROOT/scripts/odoo.sh" -d "$DB" -i crm,project --stop-after-init --log-level=warn
PHASE=before shell | grep -q "EXISTING PIPELINE READY"
echo "[existing] installing sales_funnel_std"
"$REPO_ROOT/scripts/odoo.sh" -d "$DB" -i sales_funnel_std --stop-after-init --log-level=warn
PHASE=after shell | tee "$BUILD_DIR/check_existing.log"
grep -q "^EXISTING INSTALL OK" "$BUILD_DIR/check_existing.log"
db_drop "$DB"
