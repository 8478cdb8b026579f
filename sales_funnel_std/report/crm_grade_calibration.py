from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools import sql as sql_tools

from ..models.crm_lead import BNDU_SCORE_FIELDS

CALIBRATION_DIMENSIONS = [
    ("grade", "Grade"),
    ("bndu_budget", "Budget (B)"),
    ("bndu_need", "Need (N)"),
    ("bndu_decision", "Decision (D)"),
    ("bndu_urgency", "Urgency (U)"),
]
CALIBRATION_VALUES = [
    ("a", "A"),
    ("b", "B"),
    ("c", "C"),
    ("5", "5"),
    ("4", "4"),
    ("3", "3"),
    ("2", "2"),
    ("1", "1"),
]


class CrmGradeCalibration(models.Model):
    """Win rate and sales cycle of closed deals per BNDU grade and per criterion score.

    One row per closed lead (won, or lost) and dimension — its grade and each of its four
    scores — so that a pivot by dimension and value gives the win rate (average of
    100 / 0), the number of closed and won deals and the average days from creation to
    won, filterable by closing date, team or salesperson. Leads never scored are left
    out; a lead scored on some criteria only counts for those.
    """

    _name = "crm.grade.calibration"
    _description = "Grade Calibration"
    _auto = False
    _order = "dimension, value"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", "Opportunity", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    date_closed = fields.Datetime("Closed On", readonly=True)
    dimension = fields.Selection(CALIBRATION_DIMENSIONS, readonly=True)
    value = fields.Selection(CALIBRATION_VALUES, "Grade or Score", readonly=True)
    closed_count = fields.Integer("Closed Deals", readonly=True)
    won_count = fields.Integer("Won Deals", readonly=True)
    win_rate = fields.Float("Win Rate (%)", readonly=True, aggregator="avg", digits=(16, 1))
    cycle_days = fields.Float(
        "Days to Win",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Days from the creation of a won deal to its closing (average in groups).",
    )

    def init(self):
        dimensions = SQL(", ").join(
            SQL("(%s, %s, %s)", index, name, SQL.identifier("l", name))
            for index, name in enumerate(BNDU_SCORE_FIELDS, start=1)
        )
        sql_tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(table)s AS (
                SELECT l.id * 8 + v.position AS id, l.id AS lead_id, l.company_id,
                       l.team_id, l.user_id, l.date_closed,
                       v.dimension, v.value,
                       1 AS closed_count,
                       CASE WHEN l.won_status = 'won' THEN 1 ELSE 0 END AS won_count,
                       CASE WHEN l.won_status = 'won' THEN 100.0 ELSE 0.0 END AS win_rate,
                       CASE WHEN l.won_status = 'won'
                            THEN EXTRACT(EPOCH FROM (l.date_closed - l.create_date)) / 86400.0
                       END AS cycle_days
                  FROM crm_lead l
                 CROSS JOIN LATERAL (
                       VALUES (0, 'grade', NULLIF(l.bndu_grade, 'none')), %(dimensions)s
                 ) AS v(position, dimension, value)
                 WHERE v.value IS NOT NULL
                   AND (l.won_status = 'won' AND l.active OR l.won_status = 'lost')
                )
                """,
                table=SQL.identifier(self._table),
                dimensions=dimensions,
            )
        )

    # ------------------------------------------------------------
    # BUSINESS: outcomes per company (lead insight, calibration advice)
    # ------------------------------------------------------------

    @api.model
    def _outcomes_by_company(self, companies):
        """``{company id: {(dimension, value): (closed, won)}}`` over the closed deals
        ruled by each of ``companies`` (leads without company follow the main company),
        in one scan of the leads (grouping sets). Aggregates only."""
        main = self.env["crm.lead"]._bndu_default_company()
        self.env["crm.lead"].flush_model()
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT COALESCE(company_id, %(main)s) AS company_id,
                       NULLIF(bndu_grade, 'none') AS grade, %(columns)s,
                       COUNT(*) AS closed, COUNT(*) FILTER (WHERE won_status = 'won') AS won
                  FROM crm_lead
                 WHERE (won_status = 'won' AND active OR won_status = 'lost')
                   AND COALESCE(company_id, %(main)s) = ANY(%(companies)s)
                 GROUP BY GROUPING SETS (
                       (COALESCE(company_id, %(main)s), NULLIF(bndu_grade, 'none')),
                       %(criteria_sets)s)
                """,
                main=main.id,
                columns=SQL(", ").join(SQL.identifier(fname) for fname in BNDU_SCORE_FIELDS),
                companies=companies.ids,
                criteria_sets=SQL(", ").join(
                    SQL("(COALESCE(company_id, %s), %s)", main.id, SQL.identifier(fname))
                    for fname in BNDU_SCORE_FIELDS
                ),
            )
        )
        outcomes = {company_id: {} for company_id in companies.ids}
        for row in rows:
            for dimension in ("grade", *BNDU_SCORE_FIELDS):
                if row[dimension]:
                    key = (dimension, row[dimension])
                    outcomes[row["company_id"]][key] = (row["closed"], row["won"])
        return outcomes

    @api.model
    def _totals_histogram(self, company):
        """``[(total, closed, won)]`` of the closed, graded deals of ``company`` by BNDU
        total, ascending (the data the threshold suggestion works on)."""
        main = self.env["crm.lead"]._bndu_default_company()
        self.env["crm.lead"].flush_model()
        return self.env.execute_query(
            SQL(
                """
                SELECT bndu_total, COUNT(*),
                       COUNT(*) FILTER (WHERE won_status = 'won')
                  FROM crm_lead
                 WHERE bndu_grade <> 'none'
                   AND (won_status = 'won' AND active OR won_status = 'lost')
                   AND (company_id = %s OR (%s AND company_id IS NULL))
                 GROUP BY bndu_total ORDER BY bndu_total
                """,
                company.id,
                company == main,
            )
        )
