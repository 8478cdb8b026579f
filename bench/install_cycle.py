"""Uninstall sales_funnel_std from a (copied) database and check vanilla CRM still works.

Usage: python -m bench.install_cycle -c odoo.conf -d COPY_DB [--out FILE]

Run by bench/runner.py on a throw-away copy of the addon database. Commits the
uninstall (the copy is dropped afterwards), then opens a fresh registry and, as a
salesman and as a sales manager, loads the crm.lead kanban, list, form and search views
(``get_views``), reads 80 kanban cards (``web_search_read``), the pipeline columns
(``web_read_group`` by stage) and the pivot report (``formatted_read_group``). Prints a
JSON report; exit status 1 when something fails.
"""

import argparse
import json
import sys
import time
import traceback

MODULE = "sales_funnel_std"


def uninstall(config, dbname):
    from bench import odoo_env

    odoo_env.setup(config)
    start = time.perf_counter()
    with odoo_env.environment(dbname, commit=True) as env:
        module = env["ir.module.module"].search([("name", "=", MODULE)])
        if module.state != "installed":
            raise RuntimeError(f"{MODULE} is {module.state!r} on {dbname}, not installed")
        module.button_immediate_uninstall()
    return time.perf_counter() - start


def check_vanilla(dbname):
    from bench import odoo_env, views
    from bench.run_op import ROLE_LOGINS

    checks = {}
    with odoo_env.environment(dbname) as env:
        module = env["ir.module.module"].search([("name", "=", MODULE)])
        checks["module_state"] = module.state
        env.cr.execute(
            "SELECT array_agg(column_name::text) FROM information_schema.columns "
            "WHERE table_name = 'crm_lead' AND column_name LIKE 'bndu%%'"
        )
        checks["leftover_columns"] = env.cr.fetchone()[0] or []
        for role, login in ROLE_LOGINS.items():
            user = env["res.users"].search([("login", "=", login)])
            user_env = env(user=user.id)
            Lead = user_env["crm.lead"]
            arch = Lead.get_views([(False, vt) for vt in ("kanban", "list", "form", "search")])
            cards = views.open_pipeline(user_env, mine=(role == "salesman"))
            rows = views.open_pipeline(user_env, view_type="list")
            columns = Lead.web_read_group(
                views.pipeline_domain(user_env), ["stage_id"], ["expected_revenue:sum"]
            )
            pivot = Lead.formatted_read_group(
                [], ["user_id", "stage_id"], ["expected_revenue:sum", "__count"]
            )
            lead = Lead.search(views.pipeline_domain(user_env), limit=1)
            form = lead.web_read({name: {} for name, f in Lead._fields.items() if not f.relational})
            checks[role] = {
                "views": sorted(arch["views"]),
                "kanban_cards": cards,
                "list_rows": rows,
                "pipeline_columns": len(columns["groups"]),
                "pivot_cells": len(pivot),
                "form_read": len(form),
            }
        env.cr.rollback()
    return checks


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    result = {"ok": False}
    try:
        result["uninstall_s"] = uninstall(args.config, args.database)
        checks = check_vanilla(args.database)
        result["checks"] = checks
        problems = []
        if checks["module_state"] != "uninstalled":
            problems.append(f"module state {checks['module_state']}")
        if checks["leftover_columns"]:
            problems.append(f"columns left on crm_lead: {checks['leftover_columns']}")
        for role in ("manager", "salesman"):
            if checks[role]["kanban_cards"] == 0 or checks[role]["pipeline_columns"] == 0:
                problems.append(f"empty pipeline for the {role}")
        result["problems"] = problems
        result["ok"] = not problems
    except Exception as exc:
        result["error"] = f"{type(exc).__name__}: {exc}"
        result["traceback"] = traceback.format_exc()
    text = json.dumps(result, default=str)
    if args.out:
        with open(args.out, "w") as out:
            out.write(text)
    else:
        sys.stdout.write(text + "\n")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
