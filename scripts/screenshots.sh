#!/usr/bin/env bash
# Regenerate the Apps page screenshots from a demo database (issue 8):
#   scripts/screenshots.sh
# Creates (or, with SHOTS_REUSE=1, reuses) the database $SHOTS_DB with sales_funnel_std and
# its demo data, starts Odoo on $SHOTS_PORT, drives Debian's Chromium through the real web
# client (scripts/screenshots.py) and writes sales_funnel_std/static/description/screenshots/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
SHOTS_DB="${SHOTS_DB:-sf_screenshots}"
SHOTS_PORT="${SHOTS_PORT:-8076}"
if [ ! -x /usr/bin/chromium ]; then
    echo "[screenshots] Debian's chromium is needed: apt-get install chromium fonts-noto-cjk"
    exit 1
fi
if [ "${SHOTS_REUSE:-0}" != 1 ] || ! db_exists "$SHOTS_DB"; then
    db_drop "$SHOTS_DB"
    echo "[screenshots] installing sales_funnel_std with demo data into $SHOTS_DB"
    db_install_addon "$SHOTS_DB" --with-demo
fi
LOG="$BUILD_DIR/screenshots_server.log"
"$REPO_ROOT/scripts/odoo.sh" -d "$SHOTS_DB" --db-filter="^$SHOTS_DB\$" --http-port="$SHOTS_PORT" \
    --gevent-port=$((SHOTS_PORT + 1000)) --workers=0 --max-cron-threads=0 --log-level=warn \
    >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf -o /dev/null "http://localhost:$SHOTS_PORT/web/login" && break
    kill -0 $SERVER 2>/dev/null || { cat "$LOG"; echo "[screenshots] Odoo did not start"; exit 1; }
    sleep 1
done
SHOTS_URL="http://localhost:$SHOTS_PORT" SHOTS_DB="$SHOTS_DB" \
    "$VENV/bin/python" "$REPO_ROOT/scripts/screenshots.py"
# keep each PNG small for the Apps store (lossless re-compression when available)
if command -v optipng >/dev/null; then
    optipng -quiet -o2 "$REPO_ROOT"/sales_funnel_std/static/description/screenshots/*.png
fi
ls -la "$REPO_ROOT/sales_funnel_std/static/description/screenshots/"
