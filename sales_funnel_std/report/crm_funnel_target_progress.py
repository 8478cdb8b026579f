from odoo import api, fields, models
from odoo.tools import SQL
from odoo.tools import sql as sql_tools

from ..models.crm_funnel_target import (
    CONVERSION_ROLES,
    PERIOD_TYPES,
    TARGET_LEVELS,
    TARGET_METRICS,
    WEEKLY_METRICS,
)
from .crm_funnel_report import FUNNEL_RANK


class CrmFunnelTargetProgress(models.Model):
    """Actual versus target: one row per target figure, actuals computed set-based.

    What counts, per metric (a fact is attributed by the lead's company, team and
    salesperson; a fact counts in the period when its day falls in it, UTC):

    * **Won revenue**: expected revenue of the leads won (closing date in the period).
    * **New customers**: customers whose first won deal was closed in the period.
    * **New leads**: leads and opportunities created in the period (lost ones included).
    * **Stage conversion into S**: among the leads created in the period that reached the
      standard stage before S, the share that reached S or later — the ``Conversion (%)``
      of Funnel Analysis filtered on "Lead Created On" for the same period.
    * **First visits**: leads whose first follow-up (客户初访记录) was logged in the period,
      attributed to the one who logged it (team and company of the lead).
    * **Proposals submitted**: proposal documents completed in the period on the
      checklist (document role *Proposal*), attributed to the lead's salesperson.
    * **Follow-ups logged**: follow-up records of the period, by the one who logged them.

    Weekly figures (first visits, proposals, follow-ups) are targets per week: the
    period's target is the weekly figure × the weeks of the period.
    """

    _name = "crm.funnel.target.progress"
    _description = "Actual vs Target"
    _auto = False
    _order = "date_from desc, level, team_id, user_id, sequence, id"
    _rec_name = "target_id"

    target_id = fields.Many2one("crm.funnel.target", "Sales Target", readonly=True)
    line_id = fields.Many2one("crm.funnel.target.line", "Target Figure", readonly=True)
    sequence = fields.Integer(readonly=True, aggregator=False)
    metric = fields.Selection(TARGET_METRICS, "Figure", readonly=True)
    funnel_role = fields.Selection(CONVERSION_ROLES, "Into Stage", readonly=True)
    level = fields.Selection(TARGET_LEVELS, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    period_type = fields.Selection(PERIOD_TYPES, "Period", readonly=True)
    period_label = fields.Char("Period Name", readonly=True)
    date_from = fields.Date("From", readonly=True)
    date_to = fields.Date("To", readonly=True)
    state = fields.Selection([("draft", "Draft"), ("agreed", "Agreed")], readonly=True)
    target_value = fields.Float(
        "Target",
        readonly=True,
        digits=(16, 2),
        help="As set: per week for first visits, proposals and follow-ups.",
    )
    period_target = fields.Float("Target for the Period", readonly=True, digits=(16, 2))
    actual_value = fields.Float("Actual", readonly=True, digits=(16, 2))
    actual_per_week = fields.Float("Actual per Week", readonly=True, digits=(16, 2))
    progress = fields.Float(
        "Progress (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Actual as a percentage of the period's target.",
    )

    @api.model
    def _facts_sql(self):
        """``(metric, company_id, team_id, user_id, day, value)`` rows, aggregated per day,
        of the days between ``bounds.lo`` and ``bounds.hi`` (a CTE of the view)."""
        return SQL(
            """
            SELECT metric, company_id, team_id, user_id, day, SUM(value) AS value FROM (
                -- one scan of the leads for the won revenue and the new leads
                SELECT v.metric, l.company_id, l.team_id, l.user_id, v.day, v.value
                  FROM crm_lead l
                 CROSS JOIN LATERAL (VALUES
                       ('revenue',
                        CASE WHEN l.won_status = 'won' AND l.active
                             THEN l.date_closed::date END,
                        l.expected_revenue),
                       ('new_leads',
                        CASE WHEN l.active OR l.won_status = 'lost'
                             THEN l.create_date::date END,
                        1.0)
                 ) AS v(metric, day, value)
                 WHERE v.day IS NOT NULL
                   AND (l.create_date >= (SELECT lo FROM bounds)
                        OR l.date_closed >= (SELECT lo FROM bounds))
                UNION ALL
                -- a customer is new in the period of their first won deal ever
                SELECT 'new_customers', c.company_id, c.team_id, c.user_id, c.day, 1 FROM (
                    SELECT DISTINCT ON (l.partner_id) l.company_id, l.team_id, l.user_id,
                           l.date_closed::date AS day
                      FROM crm_lead l
                     WHERE l.won_status = 'won' AND l.active AND l.partner_id IS NOT NULL
                       AND l.date_closed IS NOT NULL
                     ORDER BY l.partner_id, l.date_closed, l.id
                ) c
                UNION ALL
                SELECT 'followups', f.company_id, f.team_id, f.user_id, f.date::date, 1
                  FROM crm_lead_followup f
                 WHERE f.date >= (SELECT lo FROM bounds)
                UNION ALL
                SELECT 'first_visits', v.company_id, v.team_id, v.user_id, v.day, 1 FROM (
                    SELECT DISTINCT ON (f.lead_id) f.company_id, f.team_id, f.user_id,
                           f.date::date AS day
                      FROM crm_lead_followup f
                     ORDER BY f.lead_id, f.date, f.id
                ) v
                UNION ALL
                SELECT 'proposals', l.company_id, l.team_id, l.user_id, cl.done_date::date, 1
                  FROM crm_lead_checklist_line cl
                  JOIN crm_lead l ON l.id = cl.lead_id
                 WHERE cl.is_done AND cl.document_role = 'proposal'
                   AND cl.done_date >= (SELECT lo FROM bounds)
            ) facts
            WHERE day BETWEEN (SELECT lo FROM bounds) AND (SELECT hi FROM bounds)
            GROUP BY metric, company_id, team_id, user_id, day
            """
        )

    @api.model
    def _conversion_sql(self):
        """``(company_id, team_id, user_id, day, max_rank, leads)``: the leads of Funnel
        Analysis created between the conversion targets' bounds (``conv_bounds``, a CTE of
        the view) per creation day and highest standard stage reached (current stage or
        stage history, as ``crm.funnel.report``)."""
        stage_rank = self.env["crm.funnel.report"]._funnel_stage_rank_sql()
        return SQL(
            """
            WITH stage_rank AS (%(stage_rank)s),
            created AS (
                SELECT l.id, l.company_id, l.team_id, l.user_id, l.create_date::date AS day,
                       cur.rank AS cur_rank
                  FROM crm_lead l
                  LEFT JOIN stage_rank cur ON cur.stage_id = l.stage_id
                 WHERE (l.active OR l.won_status = 'lost')
                   AND l.create_date >= (SELECT lo FROM conv_bounds)
                   AND l.create_date < (SELECT hi FROM conv_bounds) + 1
            )
            SELECT c.company_id, c.team_id, c.user_id, c.day,
                   GREATEST(c.cur_rank, h.max_rank) AS max_rank, COUNT(*) AS leads
              FROM created c
              LEFT JOIN LATERAL (
                    SELECT MAX(sr.rank) AS max_rank
                      FROM crm_lead_stage_history hist
                      JOIN stage_rank sr ON sr.stage_id = hist.stage_id
                     WHERE hist.lead_id = c.id
              ) h ON TRUE
             WHERE GREATEST(c.cur_rank, h.max_rank) IS NOT NULL
             GROUP BY 1, 2, 3, 4, 5
            """,
            stage_rank=stage_rank,
        )

    @api.model
    def _progress_sql(self, targets=None):
        """The figures' query; ``targets``: SQL of the ``crm.funnel.target`` ids to compute
        (all by default: the view). Facts are only read over those targets' dates."""
        ranks = SQL(", ").join(SQL("(%s, %s)", role, rank) for role, rank in FUNNEL_RANK.items())
        weekly = SQL(", ").join(SQL("%s", metric) for metric in WEEKLY_METRICS)
        return SQL(
            """
                WITH lines AS (
                    SELECT tl.id, tl.target_id, tl.sequence, tl.metric, tl.funnel_role,
                           tl.target_value, t.level, t.company_id, t.team_id, t.user_id,
                           t.period_type, t.period_label, t.date_from, t.date_to, t.weeks,
                           t.state,
                           CASE WHEN tl.metric IN (%(weekly)s) THEN tl.target_value * t.weeks
                                ELSE tl.target_value END AS period_target
                      FROM crm_funnel_target_line tl
                      JOIN crm_funnel_target t ON t.id = tl.target_id
                     WHERE %(targets)s
                ),
                bounds AS (SELECT MIN(date_from) AS lo, MAX(date_to) AS hi FROM lines),
                facts AS MATERIALIZED (%(facts)s),
                matched AS (
                    SELECT ln.id, f.value FROM lines ln JOIN facts f
                        ON ln.level = 'company' AND f.metric = ln.metric
                       AND f.company_id = ln.company_id
                       AND f.day BETWEEN ln.date_from AND ln.date_to
                    UNION ALL
                    SELECT ln.id, f.value FROM lines ln JOIN facts f
                        ON ln.level = 'team' AND f.metric = ln.metric AND f.team_id = ln.team_id
                       AND f.day BETWEEN ln.date_from AND ln.date_to
                    UNION ALL
                    SELECT ln.id, f.value FROM lines ln JOIN facts f
                        ON ln.level = 'user' AND f.metric = ln.metric AND f.user_id = ln.user_id
                       AND f.company_id = ln.company_id
                       AND f.day BETWEEN ln.date_from AND ln.date_to
                ),
                totals AS (SELECT id, SUM(value) AS actual FROM matched GROUP BY id),
                conv_lines AS (
                    SELECT ln.*, r.rank FROM lines ln
                      JOIN (VALUES %(ranks)s) AS r(role, rank) ON r.role = ln.funnel_role
                     WHERE ln.metric = 'conversion'
                ),
                conv_bounds AS (
                    SELECT MIN(date_from) AS lo, MAX(date_to) AS hi FROM conv_lines
                ),
                conv AS MATERIALIZED (%(conversion)s),
                conv_matched AS (
                    SELECT ln.id, ln.rank, c.max_rank, c.leads FROM conv_lines ln JOIN conv c
                        ON ln.level = 'company' AND c.company_id = ln.company_id
                       AND c.day BETWEEN ln.date_from AND ln.date_to
                    UNION ALL
                    SELECT ln.id, ln.rank, c.max_rank, c.leads FROM conv_lines ln JOIN conv c
                        ON ln.level = 'team' AND c.team_id = ln.team_id
                       AND c.day BETWEEN ln.date_from AND ln.date_to
                    UNION ALL
                    SELECT ln.id, ln.rank, c.max_rank, c.leads FROM conv_lines ln JOIN conv c
                        ON ln.level = 'user' AND c.user_id = ln.user_id
                       AND c.company_id = ln.company_id
                       AND c.day BETWEEN ln.date_from AND ln.date_to
                ),
                rates AS (
                    SELECT id,
                           100.0 * SUM(leads) FILTER (WHERE max_rank >= rank)
                           / NULLIF(SUM(leads) FILTER (WHERE max_rank >= rank - 1), 0) AS rate
                      FROM conv_matched
                     GROUP BY id
                ),
                figures AS (
                    SELECT ln.*,
                           CASE WHEN ln.metric = 'conversion' THEN COALESCE(rt.rate, 0.0)
                                ELSE COALESCE(tt.actual, 0.0) END AS actual_value
                      FROM lines ln
                      LEFT JOIN totals tt ON tt.id = ln.id
                      LEFT JOIN rates rt ON rt.id = ln.id
                )
                SELECT id, id AS line_id, target_id, sequence, metric, funnel_role, level,
                       company_id, team_id, user_id, period_type, period_label, date_from,
                       date_to, state, target_value, period_target, actual_value,
                       CASE WHEN metric IN (%(weekly)s) AND weeks > 0
                            THEN actual_value / weeks END AS actual_per_week,
                       CASE WHEN period_target > 0
                            THEN 100.0 * actual_value / period_target END AS progress
                  FROM figures
            """,
            weekly=weekly,
            facts=self._facts_sql(),
            conversion=self._conversion_sql(),
            ranks=ranks,
            targets=SQL("t.id IN (%s)", targets) if targets is not None else SQL("TRUE"),
        )

    @api.model
    def _read_figures(self, target_domain):
        """Rows of the figures (dicts, the view's columns) of the targets of
        ``target_domain`` the user may read; computed over those targets' dates only
        (cheaper than the whole view for a few targets)."""
        query = self.env["crm.funnel.target"]._search(target_domain)
        self.env.flush_all()
        self.env.cr.execute(self._progress_sql(query.subselect()))
        return self.env.cr.dictfetchall()

    def init(self):
        sql_tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                "CREATE OR REPLACE VIEW %s AS (%s)",
                SQL.identifier(self._table),
                self._progress_sql(),
            )
        )
