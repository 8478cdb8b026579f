"""Weighted forecast (issue 17): won + pipeline × probability per closing month and team,
against the revenue targets, next to vanilla's own forecast read (the opportunities'
prorated revenue grouped the same way).

Set-up (untimed, rolled back): a revenue target for every team with members, this month
and this quarter. Timed: one grouped read per month and team as a sales manager — what
the Revenue Forecast pivot asks; vanilla: ``crm.lead`` grouped by expected closing month
and team with the sum of ``prorated_revenue`` (Odoo's forecast pivot).
"""

from bench.registry import operation


@operation(
    "forecast: weighted revenue forecast by month and team",
    unit="groups",
    group="forecast",
    user="manager",
    target="< 1 s at 100k leads",
)
def forecast_by_month(env, ctx):
    if not ctx.addon:
        Lead = env["crm.lead"]

        def run_vanilla():
            groups = Lead._read_group(
                [("type", "=", "opportunity")],
                ["date_deadline:month", "team_id"],
                ["prorated_revenue:sum"],
            )
            assert groups
            return len(groups)

        return run_vanilla

    Target = env["crm.funnel.target"]
    for team in env["crm.team"].search([("member_ids", "!=", False)]):
        for period in ("month", "quarter"):
            Target.create(
                {
                    "level": "team",
                    "team_id": team.id,
                    "company_id": (team.company_id or env.company).id,
                    "period_type": period,
                    "line_ids": [(0, 0, {"metric": "revenue", "target_value": 300000})],
                }
            )
    Forecast = env["crm.funnel.forecast"]

    def run():
        lines = Forecast._forecast_by_month([], "team_id")
        assert any(line["target"] for line in lines)
        return len(lines)

    return run
