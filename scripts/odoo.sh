#!/usr/bin/env bash
# Run odoo-bin of the bootstrapped tree with the project's configuration.
# Usage: scripts/odoo.sh [odoo-bin arguments...]   (after scripts/bootstrap.sh)
set -euo pipefail
source "$(dirname "$0")/env.sh"
[ -f "$BUILD_DIR/odoo.conf" ] || "$REPO_ROOT/scripts/bootstrap.sh"
exec "$VENV/bin/python" "$(cat "$BUILD_DIR/odoo_bin")" -c "$BUILD_DIR/odoo.conf" "$@"
