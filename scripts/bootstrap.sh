#!/usr/bin/env bash
# Bootstrap everything `make run`, `make test` and `make bench` need:
#   1. PostgreSQL (Debian package) running locally, with a login role;
#   2. a virtualenv with Odoo 19's Python requirements and this project's;
#   3. an Odoo 19.0 tree (ODOO_PATH, the default location, an official
#      shallow clone, or an Odoo already importable in the interpreter).
# Writes $BUILD_DIR/odoo.conf and prints nothing else on success but progress.
set -euo pipefail
source "$(dirname "$0")/env.sh"
mkdir -p "$BUILD_DIR"

log() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[bootstrap] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# psql as the postgres superuser over the local socket (ignores the PG* variables of env.sh).
pg_super() { as_root env -u PGHOST -u PGPORT -u PGUSER -u PGPASSWORD su postgres -c "psql -qAt -c \"$1\""; }

# --- 1. PostgreSQL ---------------------------------------------------------
ensure_postgres() {
    if ! command -v pg_lsclusters >/dev/null 2>&1; then
        log "installing Debian's postgresql"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql postgresql-contrib >/dev/null
    fi
    if [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
        local ver
        ver=$(ls /usr/lib/postgresql | sort -V | tail -n1)
        log "creating PostgreSQL $ver cluster"
        as_root pg_createcluster "$ver" main >/dev/null
    fi
    local ver name status
    read -r ver name _ status _ < <(pg_lsclusters -h | head -n1)
    if [ "$status" != "online" ]; then
        log "starting PostgreSQL cluster $ver/$name"
        as_root pg_ctlcluster "$ver" "$name" start
    fi
    for _ in $(seq 1 30); do
        pg_super "select 1" >/dev/null 2>&1 && break
        sleep 1
    done
    if ! pg_super "select 1 from pg_roles where rolname='$PGUSER'" | grep -q 1; then
        log "creating PostgreSQL role $PGUSER"
        pg_super "create role $PGUSER login createdb password '$PGPASSWORD'"
    fi
}

# --- 2. Odoo tree ----------------------------------------------------------
# --- 1b. PDF reports ---------------------------------------------------------
# Odoo prints QWeb PDF reports (the 《销售目标责任书》) with wkhtmltopdf; Chinese text
# needs a CJK font. Both from Debian.
ensure_pdf_tools() {
    if command -v wkhtmltopdf >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
        return
    fi
    log "installing wkhtmltopdf and fonts-noto-cjk (PDF reports)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wkhtmltopdf fonts-noto-cjk >/dev/null
}

valid_tree() { [ -f "$1/odoo-bin" ] && [ -d "$1/odoo" ] && [ -f "$1/requirements.txt" ]; }
check_version() {
    grep -Eq "^version_info = \(19, 0" "$1/odoo/release.py" \
        || die "the Odoo tree at $1 is not Odoo 19.0 (see $1/odoo/release.py)"
}
locate_odoo() {
    if [ -n "${ODOO_PATH:-}" ]; then
        valid_tree "$ODOO_PATH" || die "ODOO_PATH=$ODOO_PATH is not an Odoo tree (needs odoo/, odoo-bin, requirements.txt)"
        check_version "$ODOO_PATH"; echo "$ODOO_PATH"; return
    fi
    if valid_tree "$ODOO_DEFAULT_PATH"; then
        check_version "$ODOO_DEFAULT_PATH"; echo "$ODOO_DEFAULT_PATH"; return
    fi
    log "no Odoo tree at $ODOO_DEFAULT_PATH; trying a shallow clone of the official 19.0 branch"
    if timeout 900 git clone -q --depth 1 --branch 19.0 https://github.com/odoo/odoo.git "$ODOO_DEFAULT_PATH.tmp" 2>/dev/null; then
        mv "$ODOO_DEFAULT_PATH.tmp" "$ODOO_DEFAULT_PATH"
        echo "$ODOO_DEFAULT_PATH"; return
    fi
    rm -rf "$ODOO_DEFAULT_PATH.tmp"
    # An Odoo already importable (e.g. the official Docker image).
    local py
    for py in "$VENV/bin/python" python3; do
        if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import odoo.release as r, sys; sys.exit(r.version_info[:2] != (19, 0))' 2>/dev/null; then
            echo "importable:$py"; return
        fi
    done
    die "Odoo 19.0 not found. Provide it with ODOO_PATH=/path/to/odoo (a tree with odoo/, odoo-bin and requirements.txt), or place it at $ODOO_DEFAULT_PATH, or allow network access to github.com for a shallow clone."
}

# --- 3. virtualenv -----------------------------------------------------------
ensure_venv() {
    local odoo_root="$1" stamp="$VENV/.requirements.sha"
    local sum
    if [ -d "$odoo_root" ]; then
        sum=$(cat "$odoo_root/requirements.txt" "$REPO_ROOT/requirements.txt" | sha1sum | cut -d' ' -f1)
    else
        sum=$(sha1sum "$REPO_ROOT/requirements.txt" | cut -d' ' -f1)
    fi
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ]; then return; fi
    if [ ! -x "$VENV/bin/python" ]; then
        log "creating virtualenv $VENV"
        python3 -m venv "$VENV"
    fi
    # Build dependencies of Odoo's pinned requirements (psycopg2, python-ldap).
    if ! dpkg -s libpq-dev libldap2-dev libsasl2-dev >/dev/null 2>&1; then
        log "installing build dependencies (libpq-dev libldap2-dev libsasl2-dev)"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpq-dev libldap2-dev libsasl2-dev >/dev/null
    fi
    log "installing Python requirements (Odoo 19 + project)"
    "$VENV/bin/pip" install -q --upgrade pip wheel "setuptools<80"
    if [ -d "$odoo_root" ]; then
        "$VENV/bin/pip" install -q -r "$odoo_root/requirements.txt"
    fi
    "$VENV/bin/pip" install -q -r "$REPO_ROOT/requirements.txt"
    echo "$sum" > "$stamp"
}

ensure_postgres
ensure_pdf_tools
ODOO_ROOT=$(locate_odoo)
if [ "${ODOO_ROOT#importable:}" != "$ODOO_ROOT" ]; then
    ODOO_ROOT=""
fi
ensure_venv "${ODOO_ROOT:-/nonexistent}"
if [ -n "$ODOO_ROOT" ]; then
    # Make the located tree importable from the venv (for pytest-odoo) without copying it;
    # rewritten on every run so a changed ODOO_PATH is followed.
    site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    echo "$ODOO_ROOT" > "$site/odoo19.pth"
fi
if [ -n "$ODOO_ROOT" ]; then
    echo "$ODOO_ROOT" > "$BUILD_DIR/odoo_root"
    ODOO_BIN="$ODOO_ROOT/odoo-bin"
    ADDONS=""
    for d in "$ODOO_ROOT/addons" "$ODOO_ROOT/odoo/addons"; do
        if compgen -G "$d/*/__manifest__.py" >/dev/null; then ADDONS="$ADDONS$d,"; fi
    done
    ADDONS="$ADDONS$REPO_ROOT"
else
    rm -f "$BUILD_DIR/odoo_root"
    ODOO_BIN="$("$VENV/bin/python" -c 'import shutil; print(shutil.which("odoo") or "")')"
    core=$("$VENV/bin/python" -c 'import odoo.addons, os; print(",".join(odoo.addons.__path__))')
    ADDONS="$core,$REPO_ROOT"
fi
echo "$ODOO_BIN" > "$BUILD_DIR/odoo_bin"
cat > "$BUILD_DIR/odoo.conf" <<CONF
[options]
addons_path = $ADDONS
db_host = $PGHOST
db_port = $PGPORT
db_user = $PGUSER
db_password = $PGPASSWORD
http_port = $HTTP_PORT
data_dir = $BUILD_DIR/filestore
list_db = True
CONF
log "Odoo: ${ODOO_ROOT:-importable} · venv: $VENV · config: $BUILD_DIR/odoo.conf"
