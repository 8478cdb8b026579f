# Browser and web-server helpers shared by e2e.sh and screenshots.sh. Sourced, not executed.

# Debian's chromium and CJK fonts (zh_CN pages must render, in tests and screenshots).
ensure_browser() {
    local sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    if [ ! -x /usr/bin/chromium ]; then
        echo "[web] installing Debian's chromium"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
    if ! fc-list :lang=zh | grep -q .; then
        echo "[web] installing CJK fonts (fonts-noto-cjk)"
        $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null
    fi
}

# start_odoo_server DB PORT LOG: Odoo in the background on PORT, stopped when the calling
# script exits; returns once the login page answers (fails loudly if Odoo dies).
start_odoo_server() {
    local db="$1" port="$2" log="$3"
    "$REPO_ROOT/scripts/odoo.sh" -d "$db" --db-filter="^$db\$" --http-port="$port" \
        --gevent-port=$((port + 1000)) --workers=0 --max-cron-threads=0 --log-level=warn \
        >"$log" 2>&1 &
    ODOO_SERVER_PID=$!
    trap 'kill $ODOO_SERVER_PID 2>/dev/null || true; wait $ODOO_SERVER_PID 2>/dev/null || true' EXIT
    for _ in $(seq 1 120); do
        curl -sf -o /dev/null "http://localhost:$port/web/login" && return 0
        kill -0 "$ODOO_SERVER_PID" 2>/dev/null || { cat "$log"; echo "[web] Odoo did not start"; return 1; }
        sleep 1
    done
    echo "[web] Odoo did not answer on port $port within 120 s"
    return 1
}
