#!/usr/bin/env bash
# `make test-core`: Odoo's own test suites of the modules the addon extends (crm, sales_team,
# project) as our regression suite.
#
# Runs each core suite with pytest-odoo twice — on a fresh vanilla database (crm + project,
# no demo) and on a fresh database with sales_funnel_std installed (no demo) — and fails
# when a test fails only with the addon, unless scripts/core_expected.txt lists it as a
# refusal of the stage gate by design (printed separately, explained in the README).
#
#   CORE_SUITES="crm"           suites to run (folders odoo/addons/<suite>/tests)
#   CORE_KEEP_DB=1              reuse the two databases when they exist (local iteration)
#   CORE_ARGS="-k pls"          extra pytest arguments (both sides)
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
ODOO_ROOT=$(cat "$BUILD_DIR/odoo_root" 2>/dev/null || true)
[ -n "$ODOO_ROOT" ] || { echo "[test-core] needs an Odoo source tree (ODOO_PATH or $ODOO_DEFAULT_PATH)"; exit 1; }
CORE_SUITES="${CORE_SUITES:-crm sales_team project}"
VANILLA_DB="${CORE_VANILLA_DB:-sales_funnel_core_vanilla}"
ADDON_DB="${CORE_ADDON_DB:-sales_funnel_core_addon}"
OUT="$BUILD_DIR/core"
mkdir -p "$OUT"
start=$(date +%s)

prepare() {
    local db="$1" modules="$2"
    if [ "${CORE_KEEP_DB:-0}" = 1 ] && db_exists "$db"; then return; fi
    db_drop "$db"
    echo "[test-core] fresh database $db with $modules (no demo)"
    "$REPO_ROOT/scripts/odoo.sh" -d "$db" -i "$modules" --stop-after-init --log-level=warn
}

run_suite() {
    local db="$1" suite="$2" tag="$3"
    local dir
    for dir in "$ODOO_ROOT/odoo/addons/$suite/tests" "$ODOO_ROOT/addons/$suite/tests"; do
        [ -d "$dir" ] && break
    done
    echo "[test-core] $suite tests on $db"
    # the core suites are not ours: failures are compared below, not fatal here
    (cd "$OUT" && "$VENV/bin/python" -m pytest "$dir" -p no:cacheprovider -q \
        --odoo-config "$BUILD_DIR/odoo.conf" --odoo-database "$db" --odoo-log-level=critical \
        --junitxml "$OUT/$suite.$tag.xml" ${CORE_ARGS:-} > "$OUT/$suite.$tag.log" 2>&1) || true
    tail -n 1 "$OUT/$suite.$tag.log"
}

prepare "$VANILLA_DB" "crm,project"
prepare "$ADDON_DB" "crm,project,sales_funnel_std"
status=0
for suite in $CORE_SUITES; do
    run_suite "$VANILLA_DB" "$suite" vanilla
    run_suite "$ADDON_DB" "$suite" addon
    "$VENV/bin/python" "$REPO_ROOT/scripts/core_compare.py" \
        "$OUT/$suite.vanilla.xml" "$OUT/$suite.addon.xml" "$REPO_ROOT/scripts/core_expected.txt" \
        || status=1
done
echo "[test-core] duration $(( $(date +%s) - start )) s"
exit $status
