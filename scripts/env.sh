#!/usr/bin/env bash
# Shared settings for the project's scripts. Sourced, not executed.
# Every value can be overridden from the environment.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REPO_ROOT
# Default location of the Odoo 19.0 tree when ODOO_PATH is unset (outside the repo).
export ODOO_DEFAULT_PATH="${ODOO_DEFAULT_PATH:-/opt/odoo-19.0}"
export VENV="${VENV:-$REPO_ROOT/.venv}"
export PGHOST="${PGHOST:-localhost}"
export PGPORT="${PGPORT:-5432}"
export PGUSER="${PGUSER:-odoo}"
export PGPASSWORD="${PGPASSWORD:-odoo}"
export DEMO_DB="${DEMO_DB:-sales_funnel_demo}"
export TEST_DB="${TEST_DB:-sales_funnel_test}"
export DEMO_TEST_DB="${DEMO_TEST_DB:-sales_funnel_test_demo}"
export HTTP_PORT="${HTTP_PORT:-8069}"
export BUILD_DIR="${BUILD_DIR:-$REPO_ROOT/.build}"
