#!/usr/bin/env bash
# `make e2e`: drive the real Odoo web client in Debian's Chromium (headless, Playwright).
# Fresh database with the addon (no demo), test users, an Odoo server on $E2E_PORT,
# then pytest over e2e/. Screenshots of failures land in e2e/screenshots/.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
E2E_DB="${E2E_DB:-sf_e2e}"
E2E_PORT="${E2E_PORT:-8071}"
if [ ! -x /usr/bin/chromium ]; then
    echo "[e2e] installing Debian's chromium"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! fc-list :lang=zh | grep -q .; then
    echo "[e2e] installing CJK fonts (fonts-noto-cjk) for readable zh_CN screenshots"
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO=sudo; fi
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
fi
db_drop "$E2E_DB"
echo "[e2e] installing sales_funnel_std into $E2E_DB"
db_install_addon "$E2E_DB"
"$VENV/bin/python" "$(cat "$BUILD_DIR/odoo_bin")" shell -c "$BUILD_DIR/odoo.conf" -d "$E2E_DB" \
    --log-level=warn --no-http < "$REPO_ROOT/e2e/setup_data.py"
LOG="$BUILD_DIR/e2e_server.log"
"$REPO_ROOT/scripts/odoo.sh" -d "$E2E_DB" --db-filter="^$E2E_DB\$" --http-port="$E2E_PORT" \
    --gevent-port=$((E2E_PORT + 1000)) --workers=0 --max-cron-threads=0 --log-level=warn \
    >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -sf -o /dev/null "http://localhost:$E2E_PORT/web/login" && break
    kill -0 $SERVER 2>/dev/null || { cat "$LOG"; echo "[e2e] Odoo did not start"; exit 1; }
    sleep 1
done
echo "[e2e] web client on http://localhost:$E2E_PORT, running browser tests"
cd "$REPO_ROOT"
E2E_URL="http://localhost:$E2E_PORT" E2E_DB="$E2E_DB" \
    "$VENV/bin/python" -m pytest e2e -p no:cacheprovider -p no:odoo -q ${E2E_PYTEST_ARGS:-}
