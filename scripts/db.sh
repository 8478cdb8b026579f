#!/usr/bin/env bash
# Small database helpers shared by the scripts. Sourced, not executed.
db_exists() { psql -d postgres -qAtc "select 1 from pg_database where datname='$1'" | grep -q 1; }
db_drop() {
    # Only our own client sessions: an autovacuum worker on the database counts as a superuser
    # process that a non-superuser may not terminate (DROP DATABASE stops it by itself).
    psql -d postgres -qAtc "select pg_terminate_backend(pid) from pg_stat_activity where datname='$1' and pid <> pg_backend_pid() and backend_type = 'client backend' and usename = current_user" >/dev/null
    dropdb --if-exists "$1"
    rm -rf "$BUILD_DIR/filestore/filestore/$1"
}
# Install the addon into a new database, then add zh_CN next to English
# (--load-language on a new database would make zh_CN the only active language).
db_install_addon() {
    local db="$1"; shift
    "$REPO_ROOT/scripts/odoo.sh" -d "$db" -i sales_funnel_std --stop-after-init --log-level=warn "$@"
    "$VENV/bin/python" "$(cat "$BUILD_DIR/odoo_bin")" i18n loadlang -c "$BUILD_DIR/odoo.conf" \
        -d "$db" -l zh_CN 2>&1 | grep -v " INFO \|security risk" || true
}
