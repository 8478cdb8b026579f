"""Targets (issue 15): actual vs target for every team and person.

Set-up (untimed, rolled back): the company's quarter, every team's month and quarter
(7 figures each: revenue, new customers, new leads, conversion into qualification, first
visits, proposals, follow-ups), each team's split evenly over its members. Timed: the
whole Actual vs Target report read by a sales manager (what the list/pivot shows), all
actuals computed set-based from leads, stage history, follow-ups and checklist lines.
"""

from bench.registry import operation

FIGURES = [
    {"metric": "revenue", "target_value": 500000},
    {"metric": "new_customers", "target_value": 10},
    {"metric": "new_leads", "target_value": 200},
    {"metric": "conversion", "funnel_role": "qualification", "target_value": 30},
    {"metric": "first_visits", "target_value": 5},
    {"metric": "proposals", "target_value": 3},
    {"metric": "followups", "target_value": 20},
]


@operation(
    "targets: actual vs target for all teams and people",
    vanilla=False,
    unit="figures",
    group="targets",
    user="manager",
    target="< 2 s at 100k leads",
)
def actual_vs_target(env, ctx):
    Target = env["crm.funnel.target"]
    Target.create(
        {
            "level": "company",
            "period_type": "quarter",
            "line_ids": [(0, 0, vals) for vals in FIGURES[:4]],
        }
    )
    teams = env["crm.team"].search([("member_ids", "!=", False)])
    for period in ("month", "quarter"):
        for team in teams:
            target = Target.create(
                {
                    "level": "team",
                    "team_id": team.id,
                    "company_id": (team.company_id or env.company).id,
                    "period_type": period,
                    "line_ids": [(0, 0, vals) for vals in FIGURES],
                }
            )
            target._split(dict.fromkeys(team.member_ids, 1.0))
    Progress = env["crm.funnel.target.progress"]
    fnames = ["target_id", "metric", "period_target", "actual_value", "progress"]

    def run():
        rows = Progress.search_read([], fnames)
        assert rows and any(row["actual_value"] for row in rows)
        return len(rows)

    return run
