from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools import sql as sql_tools

from ..models.crm_funnel_target import TARGET_LEVELS

FORECAST_KINDS = [
    ("won", "Won"),
    ("pipeline", "Open Pipeline"),
    ("target", "Revenue Target"),
]


class CrmFunnelForecast(models.Model):
    """Weighted revenue forecast against the revenue targets, per closing month.

    Rows of three kinds, so that one pivot or graph by month, team or salesperson puts
    them side by side:

    * **Open pipeline**: each open opportunity on its expected closing date, its expected
      revenue weighted by its probability — the opportunity's own (Odoo's
      ``prorated_revenue``: predictive scoring or the rep's) or, when the company
      forecasts by stage (CRM settings), the default probability of its stage.
    * **Won**: each won deal on its closing date, its expected revenue (the won revenue
      of *Actual vs Target*).
    * **Revenue target**: the revenue targets (Sales → Targets) spread evenly over the
      months of their period; for a month covered by several targets of the same scope
      (a month's and its quarter's), the shortest period wins, as in Funnel Analysis.

    *Forecast* = won + weighted pipeline. Targets exist per company, team and
    salesperson: compare with one level at a time (the search filters), or the sums
    count a team's target and its people's twice.
    """

    _name = "crm.funnel.forecast"
    _description = "Revenue Forecast"
    _auto = False
    _order = "date, kind, id"
    _rec_name = "lead_id"

    kind = fields.Selection(FORECAST_KINDS, readonly=True)
    date = fields.Date(
        "Closing Date",
        readonly=True,
        help="Expected closing date of an open opportunity, closing date of a won deal, "
        "first day of a target's month.",
    )
    lead_id = fields.Many2one("crm.lead", "Opportunity", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)
    bndu_grade = fields.Selection(
        lambda self: self.env["crm.lead"]._fields["bndu_grade"].selection,
        string="Grade",
        readonly=True,
    )
    target_level = fields.Selection(TARGET_LEVELS, "Target Of", readonly=True)
    expected_revenue = fields.Float(readonly=True, digits=(16, 2))
    probability = fields.Float(
        "Probability (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Probability weighting an open opportunity (its own, or its stage's default).",
    )
    pipeline_revenue = fields.Float(
        "Weighted Pipeline",
        readonly=True,
        digits=(16, 2),
        help="Expected revenue × probability of the open opportunities.",
    )
    won_revenue = fields.Float(readonly=True, digits=(16, 2))
    forecast_revenue = fields.Float(
        "Forecast",
        readonly=True,
        digits=(16, 2),
        help="Won revenue plus the weighted pipeline.",
    )
    amount = fields.Float(
        readonly=True,
        digits=(16, 2),
        help="Won revenue, weighted pipeline or revenue target, by kind: the graph puts the "
        "three side by side per month.",
    )
    target_revenue = fields.Float(
        "Revenue Target",
        readonly=True,
        digits=(16, 2),
        help="The revenue target of the month (a quarter's or a year's target spread evenly "
        "over its months).",
    )

    def init(self):
        sql_tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(table)s AS (
                WITH deals AS (
                    -- one scan of the leads: open opportunities and won deals
                    SELECT l.id, l.won_status = 'won' AS won, l.date_deadline,
                           l.date_closed, l.user_id, l.team_id, l.company_id, l.stage_id,
                           l.bndu_grade, COALESCE(l.expected_revenue, 0) AS revenue,
                           p.probability,
                           ROUND(COALESCE(l.expected_revenue, 0)::numeric
                                 * p.probability::numeric / 100.0, 2) AS weighted
                      FROM crm_lead l
                      LEFT JOIN crm_stage s ON s.id = l.stage_id
                      JOIN res_company c
                        ON c.id = %(lead_company)s
                     CROSS JOIN LATERAL (
                        SELECT CASE WHEN c.forecast_probability_source = 'stage'
                                     AND s.funnel_probability > 0
                                    THEN s.funnel_probability
                                    ELSE COALESCE(l.probability, 0) END AS probability
                     ) p
                     WHERE l.active
                       AND ((l.won_status = 'pending' AND l.type = 'opportunity')
                            OR (l.won_status = 'won' AND l.date_closed IS NOT NULL))
                ),
                month_targets AS (
                    -- one row per revenue target and month of its period; the shortest
                    -- period wins a month of one scope (month over quarter over year)
                    SELECT DISTINCT ON (t.level, t.company_id, t.team_id, t.user_id, month.day)
                           tl.id AS line_id, t.level, t.company_id, t.team_id, t.user_id,
                           month.day::date AS date,
                           EXTRACT(MONTH FROM age(month.day, t.date_from))::int AS month_no,
                           tl.target_value / CASE t.period_type WHEN 'month' THEN 1
                                                                WHEN 'quarter' THEN 3
                                                                ELSE 12 END AS value
                      FROM crm_funnel_target_line tl
                      JOIN crm_funnel_target t ON t.id = tl.target_id
                     CROSS JOIN LATERAL generate_series(
                           t.date_from, t.date_to, interval '1 month') AS month(day)
                     WHERE tl.metric = 'revenue'
                     ORDER BY t.level, t.company_id, t.team_id, t.user_id, month.day,
                              t.date_to - t.date_from
                )
                -- ids: 4 × lead id (+ 1 when won); targets: 4 × (16 × line + month) + 2
                SELECT d.id * 4 + CASE WHEN d.won THEN 1 ELSE 0 END AS id,
                       CASE WHEN d.won THEN 'won' ELSE 'pipeline' END AS kind,
                       CASE WHEN d.won THEN d.date_closed::date ELSE d.date_deadline END
                           AS date,
                       d.id AS lead_id, d.user_id, d.team_id, d.company_id, d.stage_id,
                       d.bndu_grade, NULL AS target_level,
                       d.revenue AS expected_revenue,
                       CASE WHEN NOT d.won THEN d.probability END AS probability,
                       CASE WHEN d.won THEN 0 ELSE d.weighted END AS pipeline_revenue,
                       CASE WHEN d.won THEN d.revenue ELSE 0 END AS won_revenue,
                       CASE WHEN d.won THEN d.revenue ELSE d.weighted END AS forecast_revenue,
                       0.0 AS target_revenue,
                       CASE WHEN d.won THEN d.revenue ELSE d.weighted END AS amount
                  FROM deals d
                UNION ALL
                SELECT (t.line_id * 16 + t.month_no) * 4 + 2, 'target', t.date,
                       NULL, t.user_id, t.team_id, t.company_id, NULL,
                       NULL, t.level,
                       0.0, NULL,
                       0.0, 0.0, 0.0,
                       t.value,
                       t.value
                  FROM month_targets t
                )
                """,
                table=SQL.identifier(self._table),
                lead_company=self.env["crm.lead"]._funnel_company_sql("l"),
            )
        )

    # ------------------------------------------------------------
    # BUSINESS: figures of the XLSX Forecast sheet
    # ------------------------------------------------------------

    @api.model
    def _forecast_by_month(self, domain, groupby="team_id"):
        """``[{month, group, won, pipeline, forecast, target}]`` for the rows of ``domain``
        (record rules apply), grouped by closing month and ``groupby``; targets of the
        level matching ``groupby`` only (team targets per team, personal ones per person).
        """
        # the view reads leads, stages, companies and targets, not only its own fields
        self.env.flush_all()
        level = {"team_id": "team", "user_id": "user"}.get(groupby, "company")
        domain = [*domain, ("target_level", "in", [False, level]), ("date", "!=", False)]
        groups = self._read_group(
            domain,
            ["date:month", groupby],
            [
                "won_revenue:sum",
                "pipeline_revenue:sum",
                "forecast_revenue:sum",
                "target_revenue:sum",
            ],
        )
        return [
            {
                "month": month,
                "group": group,
                "won": won,
                "pipeline": pipeline,
                "forecast": forecast,
                "target": target,
            }
            for month, group, won, pipeline, forecast, target in groups
        ]
