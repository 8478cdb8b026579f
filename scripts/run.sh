#!/usr/bin/env bash
# `make run`: bootstrap, create the demo database once (addon + demo data), start Odoo.
set -euo pipefail
source "$(dirname "$0")/env.sh"
source "$REPO_ROOT/scripts/db.sh"
"$REPO_ROOT/scripts/bootstrap.sh"
if ! db_exists "$DEMO_DB"; then
    echo "[run] creating demo database $DEMO_DB (sales_funnel_std + demo data); this takes a minute"
    db_install_addon "$DEMO_DB" --with-demo
else
    echo "[run] reusing database $DEMO_DB (make reset drops it)"
fi
cat <<MSG

  Odoo 19 with sales_funnel_std:  http://localhost:$HTTP_PORT/odoo?db=$DEMO_DB

  Demo logins (login / password):
    admin     / admin      Administrator
    manager   / manager    Sales manager (both teams)
    salesman1 / salesman1  Salesman, team Direct Sales
    salesman2 / salesman2  Salesman, team Key Accounts (interface in 简体中文)

MSG
exec "$REPO_ROOT/scripts/odoo.sh" -d "$DEMO_DB" --db-filter="^$DEMO_DB\$" --log-level=info
