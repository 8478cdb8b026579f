"""Prepare a run database for the load (inside Odoo, through the ORM; run in its own
process before the server starts)::

    python -m bench.load.setup -c .build/odoo.conf -d load_run_addon_10000 --side addon \
        --clients 16 --out manifest.json

- the load users: the generator's salespeople ``bench_salesman_*`` (one per client), with
  a known password;
- addon: the clients' open opportunities enter the first standard stage through the ORM
  (gate, history and checklist lines as for any move); the other open leads get BNDU
  scores as an import would write them (SQL, no cadence yet): the cadence cron has
  work during the load;
- every active cron (``--due cadence``: the cadence cron only) is due now: they run
  during the load on the server's cron workers, the cadence cron first, by batches of
  ``--cron-batch`` leads; ``--twin-cron``: a copy of the cadence cron, so that two cron
  workers run it at the same time.

Writes the manifest (users, their leads and stages) as JSON.
"""

import argparse
import json

PASSWORD = "load-test-password"
OPEN_LEADS = [
    ("type", "=", "opportunity"),
    ("active", "=", True),
    ("won_status", "=", "pending"),
]

GRADE_UNSCORED = """
    UPDATE crm_lead lead
       SET bndu_budget = '5', bndu_need = '5', bndu_decision = '4', bndu_urgency = '4',
           bndu_total = 18, bndu_grade = 'a'
      FROM crm_stage stage
     WHERE stage.id = lead.stage_id AND NOT COALESCE(stage.is_won, FALSE) AND lead.active
       AND lead.user_id IS NOT NULL AND COALESCE(lead.bndu_grade, 'none') = 'none'
       AND NOT (lead.id = ANY(%(load_leads)s))
"""


def prepare(env, side, clients, cron_batch=200, due="all", twin_cron=False):
    cr = env.cr
    Users = env["res.users"].with_context(active_test=False)
    users = Users.search([("login", "=like", "bench_salesman_%")], order="id")
    if len(users) < clients:
        raise SystemExit(f"{clients} clients but only {len(users)} bench salespeople")
    # one salesperson per client, spread over the teams
    users = users.sorted(lambda u: (int(u.login.split("_")[-1]), u.id))[:clients]
    managers = Users.search([("login", "=like", "bench_manager_%")], order="id")
    for user in users | managers:
        user.password = PASSWORD
    Lead = env["crm.lead"].with_context(tracking_disable=True)
    Stage = env["crm.stage"]
    if side == "addon":
        stages = Stage.search([("funnel_role", "not in", [False, "won"])], order="sequence, id")
    else:
        stages = Stage.search([("is_won", "=", False)], order="sequence, id")
    leads = Lead.search([*OPEN_LEADS, ("user_id", "in", users.ids)], order="id")
    if side == "addon":
        leads.write({"stage_id": stages[0].id})
        env.flush_all()
        cr.execute(GRADE_UNSCORED, {"load_leads": leads.ids})
        graded = cr.rowcount
        cadence = env.ref("sales_funnel_std.ir_cron_crm_lead_sync_cadence")
        # first of the due jobs: it runs during the load, not after every other cron
        cadence.write(
            {"code": f"model._cron_sync_cadence(batch_size={int(cron_batch)})", "priority": 0}
        )
        if twin_cron:
            # a second job doing the same work: two cron workers (two nodes) run the
            # cadence at the same time, sharing the leads (FOR UPDATE SKIP LOCKED)
            cadence.copy({"name": f"{cadence.name} (twin)", "priority": 0})
    else:
        graded = 0
    env.flush_all()
    crons = env["ir.cron"].search([])
    if due == "cadence":
        crons = crons.filtered(lambda cron: "_cron_sync_cadence" in (cron.code or ""))
    # every cron but the one that phones odoo.com (no network in CI)
    crons -= env.ref("mail.ir_cron_module_update_notification", raise_if_not_found=False)
    cr.execute(
        "UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' WHERE id = ANY(%s)", [crons.ids]
    )
    manifest = {
        "side": side,
        "password": PASSWORD,
        "stages": stages.ids,
        "graded_for_cron": graded,
        "managers": [{"login": user.login, "uid": user.id} for user in managers],
        "users": [
            {
                "login": user.login,
                "uid": user.id,
                "partner_id": user.partner_id.id,
                "leads": [[lead.id, lead.stage_id.id] for lead in leads if lead.user_id == user],
            }
            for user in users
        ],
    }
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--config", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--side", choices=("addon", "vanilla"), required=True)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--cron-batch", type=int, default=200)
    parser.add_argument("--due", choices=("all", "cadence"), default="all")
    parser.add_argument("--twin-cron", action="store_true")
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    from bench import odoo_env

    odoo_env.setup(args.config)
    with odoo_env.environment(args.database, commit=True) as env:
        manifest = prepare(env, args.side, args.clients, args.cron_batch, args.due, args.twin_cron)
    with open(args.out, "w") as out:
        json.dump(manifest, out)


if __name__ == "__main__":
    main()
