#!/usr/bin/env bash
# Regenerate the Apps page screenshots from a demo database (issue 8):
#   scripts/screenshots.sh
# Creates (or, with SHOTS_REUSE=1, reuses) the database $SHOTS_DB with sales_funnel_std and
# its demo data, starts Odoo on $SHOTS_PORT, drives Debian's Chromium through the real web
# client (scripts/screenshots.py) and writes sales_funnel_std/static/description/screenshots/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
source "$REPO_ROOT/scripts/web.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
SHOTS_DB="${SHOTS_DB:-sf_screenshots}"
SHOTS_PORT="${SHOTS_PORT:-8076}"
ensure_browser
if [ "${SHOTS_REUSE:-0}" != 1 ] || ! db_exists "$SHOTS_DB"; then
    db_drop "$SHOTS_DB"
    echo "[screenshots] installing sales_funnel_std with demo data into $SHOTS_DB"
    db_install_addon "$SHOTS_DB" --with-demo
fi
start_odoo_server "$SHOTS_DB" "$SHOTS_PORT" "$BUILD_DIR/screenshots_server.log"
SHOTS_URL="http://localhost:$SHOTS_PORT" SHOTS_DB="$SHOTS_DB" \
    "$VENV/bin/python" "$REPO_ROOT/scripts/screenshots.py"
# keep each PNG small for the Apps store (lossless re-compression when available)
if command -v optipng >/dev/null; then
    optipng -quiet -o2 "$REPO_ROOT"/sales_funnel_std/static/description/screenshots/*.png
fi
ls -la "$REPO_ROOT/sales_funnel_std/static/description/screenshots/"
