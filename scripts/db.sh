#!/usr/bin/env bash
# Small database helpers shared by the scripts. Sourced, not executed.
db_exists() { psql -d postgres -qAtc "select 1 from pg_database where datname='$1'" | grep -q 1; }
db_drop() {
    psql -d postgres -qAtc "select pg_terminate_backend(pid) from pg_stat_activity where datname='$1' and pid <> pg_backend_pid()" >/dev/null
    dropdb --if-exists "$1"
    rm -rf "$BUILD_DIR/filestore/filestore/$1"
}
