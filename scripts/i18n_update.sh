#!/usr/bin/env bash
# Regenerate the translation template from the code (Odoo's exporter, on a fresh
# database with the addon) and merge it into zh_CN.po (its translations kept, new entries
# listed untranslated: translate them in zh_CN.po).
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
DB="${I18N_DB:-sf_i18n}"
db_drop "$DB"
"$REPO_ROOT/scripts/odoo.sh" -d "$DB" -i sales_funnel_std --stop-after-init --log-level=warn
"$VENV/bin/python" "$(cat "$BUILD_DIR/odoo_bin")" i18n export -c "$BUILD_DIR/odoo.conf" \
    -d "$DB" -o "$BUILD_DIR/sales_funnel_std.pot" sales_funnel_std
"$VENV/bin/python" "$REPO_ROOT/scripts/i18n_update.py" "$BUILD_DIR/sales_funnel_std.pot"
db_drop "$DB"
