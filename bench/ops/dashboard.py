"""Funnel dashboard (issue 20): every figure of one filter set in one call, as the sales
manager's dashboard asks on each filter change.

Timed: ``crm.funnel.dashboard.get_dashboard_data`` for this quarter (compared with the
previous quarter: both periods' stages, SLA, follow-ups, every salesperson) as a sales
manager, all teams. Unit: the leads of the current period.
"""

from bench.registry import operation


@operation(
    "dashboard: funnel dashboard figures (this quarter vs previous)",
    vanilla=False,
    unit="leads",
    group="analytics",
    user="manager",
    target="< 1 s at 100k leads",
)
def dashboard_figures(env, ctx):
    Dashboard = env["crm.funnel.dashboard"]

    def run():
        data = Dashboard.get_dashboard_data({"period": "quarter"})
        return data["current"]["total"]

    return run
