#!/usr/bin/env bash
# `make test`: bootstrap, fresh test database with the addon (no demo data),
# pytest-odoo over tests/, translation completeness, the demo story installed in its own
# fresh database, the short load test on two prefork nodes (LOAD=0 skips it), lint,
# browser tests, Odoo's own tests of the modules the addon extends (scripts/test_core.sh).
# Non-zero on any failure.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
db_drop "$TEST_DB"
echo "[test] installing sales_funnel_std into a fresh database $TEST_DB"
db_install_addon "$TEST_DB"
echo "[test] pytest-odoo"
cd "$REPO_ROOT"
"$VENV/bin/python" -m pytest tests -p no:cacheprovider \
    --odoo-config "$BUILD_DIR/odoo.conf" --odoo-database "$TEST_DB" --odoo-log-level=warn \
    ${PYTEST_ARGS:-}
echo "[test] translations (template exported from $TEST_DB)"
"$VENV/bin/python" "$(cat "$BUILD_DIR/odoo_bin")" i18n export -c "$BUILD_DIR/odoo.conf" \
    -d "$TEST_DB" -o "$BUILD_DIR/test_export.pot" sales_funnel_std 2>&1 | grep -v " INFO " || true
"$VENV/bin/python" "$REPO_ROOT/scripts/check_i18n.py" "$BUILD_DIR/test_export.pot"
echo "[test] demo data (fresh database $DEMO_TEST_DB with demo, story checked)"
db_drop "$DEMO_TEST_DB"
db_install_addon "$DEMO_TEST_DB" --with-demo
"$VENV/bin/python" "$(cat "$BUILD_DIR/odoo_bin")" shell -c "$BUILD_DIR/odoo.conf" \
    -d "$DEMO_TEST_DB" --log-level=warn --no-http < "$REPO_ROOT/scripts/check_demo.py" \
    | tee "$BUILD_DIR/check_demo.log"
grep -q "^DEMO OK" "$BUILD_DIR/check_demo.log"
echo "[test] install on a database with a running pipeline (advisory until adopted)"
"$REPO_ROOT/scripts/check_existing_install.sh"
if [ "${LOAD:-1}" = 1 ]; then
    echo "[test] load, short (two prefork nodes, 4 salespeople, invariants, cross-node checks)"
    "$REPO_ROOT/scripts/load.sh" --short
fi
"$REPO_ROOT/scripts/lint.sh"
if [ "${E2E:-1}" = 1 ]; then
    "$REPO_ROOT/scripts/e2e.sh"
fi
if [ "${CORE:-1}" = 1 ]; then
    "$REPO_ROOT/scripts/test_core.sh"
fi
echo "[test] all green"
