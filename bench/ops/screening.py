"""Lead screening and assignment benchmark (issue "screening", 003 (一)).

- "screen and assign 1,000 new leads": create 1,000 unassigned leads and run CRM's lead
  assignment of one team (3 members: two with a region filter, one more without).
  Addon: the leads carry their profile (budget range, urgency), are screened at
  creation and the senior member takes the high-potential ones first (two passes of
  CRM's own assignment). Vanilla: the same leads, without the profile fields, assigned
  by CRM. Target: ratio <= 1.2.
"""

from contextlib import contextmanager

from bench.registry import operation
from odoo import modules

COUNT = 1000


@contextmanager
def _no_commit():
    """CRM's assignment commits every 100 leads outside tests: the benchmark must roll
    back, so it runs as tests do (no intermediate commit)."""
    previous = modules.module.current_test
    modules.module.current_test = True
    try:
        yield
    finally:
        modules.module.current_test = previous


def _team(env, addon):
    group = env.ref("sales_team.group_sale_salesman")
    users = env["res.users"].create(
        [
            {
                "name": f"Bench Screening Rep {i}",
                "login": f"bench_screening_rep_{i}",
                "group_ids": [(6, 0, group.ids)],
            }
            for i in range(3)
        ]
    )
    team = env["crm.team"].create(
        {
            "name": "Bench Screening Team",
            "use_leads": True,
            "assignment_domain": "[('name', '=like', 'Screening bench %')]",
        }
    )
    countries = [env.ref("base.cn"), env.ref("base.us")]
    members = [
        {"user_id": users[0].id, "assignment_domain": False},
        {"user_id": users[1].id, "assignment_domain": str([("country_id", "=", countries[0].id)])},
        {"user_id": users[2].id, "assignment_domain": str([("country_id", "=", countries[1].id)])},
    ]
    for i, values in enumerate(members):
        values.update(crm_team_id=team.id, assignment_max=30 * COUNT)
        if addon and i == 0:
            values["funnel_senior"] = True
    env["crm.team.member"].create(members)
    return team, countries


@operation("screening: screen and assign 1,000 new leads", unit="leads", target="ratio <= 1.2")
def screen_and_assign(env, ctx):
    team, countries = _team(env, ctx.addon)
    vals_list = []
    for i in range(COUNT):
        vals = {
            "name": f"Screening bench {i}",
            "type": "lead",
            "user_id": False,
            "team_id": False,
            "email_from": f"screening.bench.{i}@prospect.example",
            "country_id": countries[i % 2].id,
        }
        if ctx.addon:
            high = i % 5 == 0
            vals.update(
                funnel_budget_range="gte_1m" if high else "100k_500k",
                bndu_urgency="5" if high else "3",
                bndu_decision="4" if high else "2",
            )
        vals_list.append(vals)
    Lead = env["crm.lead"]
    env.flush_all()

    def run():
        with _no_commit():
            leads = Lead.create(vals_list)
            team._action_assign_leads(force_quota=True, creation_delta_days=1)
            env.flush_all()
        return len(leads)

    return run
