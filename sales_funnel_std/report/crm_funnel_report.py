from odoo import api, fields, models
from odoo.tools import SQL, Query
from odoo.tools import sql as sql_tools

from ..models.crm_stage import FUNNEL_ROLES

FUNNEL_RANK = {role: rank for rank, (role, _label) in enumerate(FUNNEL_ROLES, start=1)}
JIT_OFF = "sales_funnel_std.jit_off"  # JIT is off in the cursor's transaction


class CrmFunnelReport(models.Model):
    """Funnel analysis: one row per (lead, standard funnel stage) the lead could reach.

    Counting rule
    -------------
    * Stages are ranked by their funnel role (acquisition < qualification < discovery <
      proposal < negotiation < won); stages without a role are ignored.
    * A lead **reached** stage S if it ever had a stage-history row (or has its current
      stage) in S or in any later standard stage: skipped stages count as reached, and
      going back to an earlier stage never counts a lead twice (each lead is counted at
      most once per stage).
    * A row exists for stage S when the lead reached the previous standard stage (or S is
      the first one), so ``conversion_rate`` (average of 100 / 0) is the share of leads
      that reached S among those that reached the previous stage.
    * A lead is **lost at** S when it is lost and its current stage is S (the stage it was
      in when it was marked lost); for a lost lead in a stage without role, the highest
      stage it reached.
    * **Days in stage** is the total time of the lead's closed stays in S (several stays
      add up); ongoing stays are not counted, so the figure is the time leads took to
      leave the stage. Median and average are over leads that left the stage.
    * **Time limit** of a stage: its *Days to rot* (Odoo's rotting threshold, the
      playbook's stage limits by default); a lead is **over the limit** when its total
      time in the stage (closed stays, plus the ongoing stay up to now — or up to the
      day it was lost) exceeds it. *Within Time Limit* averages 100 / 0 over the leads
      that left the stage or are already past the limit (an ongoing stay within the
      limit is not decided yet). For **Won**, the limit is the company's handover limit,
      counted from the day the deal was won to its handover.
    * Leads archived without being lost are not counted.
    """

    _name = "crm.funnel.report"
    _description = "Funnel Analysis"
    _auto = False
    _rec_name = "lead_id"
    _order = "stage_rank, lead_id"

    lead_id = fields.Many2one("crm.lead", "Opportunity", readonly=True)
    funnel_role = fields.Selection(
        FUNNEL_ROLES, string="Funnel Stage", readonly=True, group_expand=True
    )
    stage_rank = fields.Integer(readonly=True, aggregator=False)
    reached_count = fields.Integer(
        "Leads Reached",
        readonly=True,
        help="Leads that reached this stage or a later one (skipped stages count as reached).",
    )
    conversion_rate = fields.Float(
        "Conversion (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Share of the leads that reached the previous stage which reached this one.",
    )
    lost_count = fields.Integer("Lost Here", readonly=True)
    won_count = fields.Integer("Won", readonly=True)
    days_in_stage = fields.Float(
        "Days in Stage",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Total days of the lead's closed stays in this stage (average in groups).",
    )
    conversion_target = fields.Float(
        "Conversion Target (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="The conversion target into this stage of the lead's team (else its company) "
        "for the period the lead was created in (Sales → Targets).",
    )
    time_limit = fields.Integer(
        "Time Limit (Days)",
        readonly=True,
        aggregator="max",
        help="The stage's time limit (its Days to rot; for Won, the company's handover "
        "limit). Empty: no limit.",
    )
    time_limit_met = fields.Float(
        "Within Time Limit (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Share of the leads whose time in this stage stayed within its limit: leads "
        "that left the stage, or are still in it past the limit. Won: deals handed over "
        "within the handover limit.",
    )
    time_limit_exceeded = fields.Integer(
        "Over Time Limit",
        readonly=True,
        help="Leads that spent longer than the limit in this stage (including those still "
        "in it); won deals not handed over within the handover limit.",
    )
    date_reached = fields.Datetime(
        "Stage Reached On",
        readonly=True,
        help="First time the lead entered this stage or, if it skipped it, a later one.",
    )
    lead_create_date = fields.Datetime("Lead Created On", readonly=True)
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    bndu_grade = fields.Selection(
        lambda self: self.env["crm.lead"]._fields["bndu_grade"].selection,
        string="Grade",
        readonly=True,
    )
    won_status = fields.Selection(
        [("won", "Won"), ("lost", "Lost"), ("pending", "In Progress")],
        string="Won/Lost",
        readonly=True,
    )
    # customer objections raised while the lead was in this stage (crm_lead_objection.py)
    objection_count = fields.Integer(
        "Objections Raised", readonly=True, help="Customer objections raised in this stage."
    )
    objection_late_count = fields.Integer(
        "Objections Answered Late",
        readonly=True,
        help="Objections of this stage answered after their deadline, or still open past it.",
    )
    # screening and intake timeliness (crm_lead_screening.py)
    source_priority = fields.Integer(readonly=True, aggregator=False)
    screening_result = fields.Selection(
        lambda self: self.env["crm.lead"]._fields["screening_result"].selection,
        string="Screening",
        readonly=True,
    )
    intake_late = fields.Boolean("Entered Late", readonly=True)
    first_touch_state = fields.Selection(
        lambda self: self.env["crm.lead"]._fields["first_touch_state"].selection,
        string="First Touch SLA",
        readonly=True,
    )
    # post-sale care (crm_lead_care.py), on the won row of won deals only
    care_satisfaction = fields.Float(
        "Avg. Satisfaction",
        readonly=True,
        aggregator="avg",
        digits=(16, 2),
        help="Won deals: the average satisfaction (1-5) of the deal's care visits; in "
        "groups, the average over the deals rated.",
    )
    care_count = fields.Integer(
        "Care Visits", readonly=True, help="Won deals: care visits logged on the deal."
    )
    care_revisit_on_time = fields.Float(
        "First Revisit On Time (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Won deals whose first revisit is due: share revisited by the deadline (care "
        "compliance; deals not yet due are not counted).",
    )
    repurchase_rate = fields.Float(
        "Repurchase Rate (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Won deals: share that led to a repurchase opportunity.",
    )
    repurchase_count = fields.Integer(
        "Repurchase Opportunities",
        readonly=True,
        help="Won deals: repurchase opportunities created from their care visits.",
    )
    referral_count = fields.Integer(
        "Referrals",
        readonly=True,
        help="Won deals: referral opportunities created from their care visits.",
    )

    # ------------------------------------------------------------
    # SQL VIEW
    # ------------------------------------------------------------

    @api.model
    def _funnel_stage_rank_sql(self):
        """The standard stages with their rank and time limit: ``(stage_id, rank,
        time_limit)``, the limit being the stage's *Days to rot* (Odoo's rotting
        threshold, days)."""
        rank_values = SQL(", ").join(
            SQL("(%s, %s)", role, rank) for role, rank in FUNNEL_RANK.items()
        )
        return SQL(
            "SELECT s.id AS stage_id, r.rank, s.rotting_threshold_days AS time_limit"
            " FROM crm_stage s "
            "JOIN (VALUES %s) AS r(role, rank) ON r.role = s.funnel_role",
            rank_values,
        )

    @api.model
    def _funnel_lead_stays_sql(self):
        """One row per lead: the lead's columns the report shows, ``cur_rank`` (rank of
        its current stage), ``max_rank`` (highest standard stage reached) and, for each
        rank ``k``, its stays in the stage of that rank: ``first_in<k>`` (first entry into
        it or a later stage), ``days<k>`` (total of the closed stays, days), ``open<k>``
        (start of the ongoing stay) and ``limit<k>`` (the stage's time limit).
        ``stage_rank`` is a CTE of the enclosing query.

        Stays come from ``crm.lead.stage.history`` (its rows in standard stages, summed up
        per lead in one hashed pass); the lead's current stage always counts (leads older
        than the history, or without any row). A condition on the lead's columns (period,
        team, company…) applies to the leads directly.
        """
        entered = SQL("COALESCE(l.date_last_stage_update, l.create_date)")
        history, columns = [], []
        for rank in FUNNEL_RANK.values():
            first_in, days, open_, limit = (
                SQL.identifier(f"{prefix}{rank}")
                for prefix in ("first_in", "days", "open", "limit")
            )
            history += [
                SQL("MIN(h.date_in) FILTER (WHERE sr.rank >= %s) AS %s", rank, first_in),
                SQL(
                    "SUM(h.duration_days) FILTER (WHERE h.date_out IS NOT NULL AND sr.rank = %s)"
                    " AS %s",
                    rank,
                    days,
                ),
                SQL(
                    "MIN(h.date_in) FILTER (WHERE h.date_out IS NULL AND sr.rank = %s) AS %s",
                    rank,
                    open_,
                ),
                SQL("MAX(sr.time_limit) FILTER (WHERE sr.rank = %s) AS %s", rank, limit),
            ]
            columns += [
                SQL(
                    "LEAST(hs.%s, CASE WHEN cur.rank >= %s THEN %s END) AS %s",
                    first_in,
                    rank,
                    entered,
                    first_in,
                ),
                SQL("hs.%s", days),
                SQL(
                    "LEAST(hs.%s, CASE WHEN cur.rank = %s THEN %s END) AS %s",
                    open_,
                    rank,
                    entered,
                    open_,
                ),
                SQL(
                    "GREATEST(hs.%s, CASE WHEN cur.rank = %s THEN cur.time_limit END) AS %s",
                    limit,
                    rank,
                    limit,
                ),
            ]
        return SQL(
            """
            SELECT l.id AS lead_id, l.create_date, l.user_id, l.team_id, l.company_id,
                   l.source_id, l.medium_id, l.campaign_id, l.bndu_grade, l.won_status,
                   l.active, l.source_priority, l.screening_result, l.intake_late,
                   l.first_touch_state, l.handover_date, l.date_closed,
                   cur.rank AS cur_rank, GREATEST(hs.max_rank, cur.rank) AS max_rank,
                   %(columns)s
              FROM crm_lead l
              LEFT JOIN stage_rank cur ON cur.stage_id = l.stage_id
              LEFT JOIN (
                    SELECT h.lead_id, MAX(sr.rank) AS max_rank, %(history)s
                      FROM crm_lead_stage_history h
                      JOIN stage_rank sr ON sr.stage_id = h.stage_id
                     -- the same rows, but read through the index on the stage
                     WHERE h.stage_id = ANY(ARRAY(SELECT stage_id FROM stage_rank))
                     GROUP BY h.lead_id
              ) hs ON hs.lead_id = l.id
            """,
            columns=SQL(", ").join(columns),
            history=SQL(", ").join(history),
        )

    def init(self):
        ranks = SQL(", ").join(SQL("(%s, %s)", role, rank) for role, rank in FUNNEL_RANK.items())

        def pick(prefix):
            """The lead's column ``<prefix><k>`` of the row's rank ``k``."""
            return SQL(
                "CASE r.rank %s END",
                SQL(" ").join(
                    SQL("WHEN %s THEN m.%s", rank, SQL.identifier(f"{prefix}{rank}"))
                    for rank in FUNNEL_RANK.values()
                ),
            )

        sql_tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(table)s AS (
                WITH stage_rank AS (%(stage_rank)s),
                conv_targets AS (
                    -- conversion targets per month of their period, one array per team
                    -- (or company) and month indexed by stage rank; the shortest period
                    -- wins (a month's target over its quarter's and its year's)
                    SELECT level, team_id, company_id, month,
                           ARRAY[%(by_rank)s] AS by_rank
                      FROM (
                        SELECT DISTINCT ON (t.level, t.team_id, t.company_id, tl.funnel_role,
                                            month.day)
                               t.level, t.team_id, t.company_id, tr.rank,
                               month.day::date AS month, tl.target_value
                          FROM crm_funnel_target_line tl
                          JOIN crm_funnel_target t ON t.id = tl.target_id
                          JOIN (VALUES %(ranks)s) AS tr(role, rank) ON tr.role = tl.funnel_role
                         CROSS JOIN LATERAL generate_series(
                               t.date_from, t.date_to, interval '1 month') AS month(day)
                         WHERE tl.metric = 'conversion' AND t.level IN ('team', 'company')
                         ORDER BY t.level, t.team_id, t.company_id, tl.funnel_role, month.day,
                                  t.date_to - t.date_from
                      ) targets
                     GROUP BY level, team_id, company_id, month
                ),
                objections AS (
                    SELECT o.lead_id, sr.rank, COUNT(*) AS raised,
                           COUNT(*) FILTER (WHERE o.response_late OR (o.state = 'open'
                               AND o.response_deadline < (now() AT TIME ZONE 'UTC'))) AS late
                      FROM crm_lead_objection o JOIN stage_rank sr ON sr.stage_id = o.stage_id
                     GROUP BY o.lead_id, sr.rank
                ),
                care AS (%(care)s)
                SELECT m.lead_id * 10 + r.rank AS id,
                       m.lead_id,
                       r.role AS funnel_role,
                       r.rank AS stage_rank,
                       CASE WHEN m.max_rank >= r.rank THEN 1 ELSE 0 END AS reached_count,
                       CASE WHEN m.max_rank >= r.rank THEN 100.0 ELSE 0.0 END AS conversion_rate,
                       CASE WHEN m.won_status = 'lost'
                             AND COALESCE(m.cur_rank, m.max_rank) = r.rank THEN 1 ELSE 0
                       END AS lost_count,
                       CASE WHEN m.max_rank >= r.rank AND m.won_status = 'won' THEN 1 ELSE 0
                       END AS won_count,
                       sd.days AS days_in_stage,
                       COALESCE(tt.by_rank[r.rank], ct.by_rank[r.rank]) AS conversion_target,
                       NULLIF(lim.time_limit, 0) AS time_limit,
                       CASE WHEN lim.time_limit > 0 AND (lim.finished OR lim.spent > lim.time_limit)
                            THEN CASE WHEN lim.spent > lim.time_limit THEN 0.0 ELSE 100.0 END
                       END AS time_limit_met,
                       CASE WHEN lim.time_limit > 0 AND lim.spent > lim.time_limit THEN 1 ELSE 0
                       END AS time_limit_exceeded,
                       %(first_in)s AS date_reached,
                       m.create_date AS lead_create_date,
                       m.user_id, m.team_id, m.company_id,
                       m.source_id, m.medium_id, m.campaign_id,
                       m.bndu_grade, m.won_status,
                       m.source_priority, m.screening_result, m.intake_late,
                       m.first_touch_state,
                       COALESCE(obj.raised, 0) AS objection_count,
                       COALESCE(obj.late, 0) AS objection_late_count,
                       -- post-sale care: on the Won row of won deals only (first revisit
                       -- on time: 100 / 0 against its activity's deadline; NULL while not
                       -- due, or for deals won before their care started, which had none)
                       care.satisfaction AS care_satisfaction,
                       CASE WHEN won.is_won THEN COALESCE(care.visits, 0) END AS care_count,
                       CASE WHEN care.first_visit::date <= care.deadline THEN 100.0
                            WHEN care.deadline < LEAST(care.first_visit::date, CURRENT_DATE)
                            THEN 0.0
                       END AS care_revisit_on_time,
                       CASE WHEN won.is_won THEN
                            CASE WHEN care.repurchases > 0 THEN 100.0 ELSE 0.0 END
                       END AS repurchase_rate,
                       CASE WHEN won.is_won THEN COALESCE(care.repurchases, 0) END
                           AS repurchase_count,
                       CASE WHEN won.is_won THEN COALESCE(care.referrals, 0) END
                           AS referral_count
                  FROM (%(lead_stays)s) m
                  -- per lead, not per (lead, stage) row: the arrays hold every stage
                  LEFT JOIN conv_targets tt
                         ON tt.level = 'team' AND tt.team_id = m.team_id
                        AND tt.month = date_trunc('month', m.create_date)::date
                  LEFT JOIN conv_targets ct
                         ON ct.level = 'company' AND ct.company_id = m.company_id
                        AND ct.month = date_trunc('month', m.create_date)::date
                  LEFT JOIN res_company hc
                         ON hc.id = %(lead_company)s
                 CROSS JOIN (VALUES %(ranks)s) AS r(role, rank)
                 CROSS JOIN LATERAL (
                    SELECT %(days)s AS days, %(open_since)s AS open_since,
                           %(stage_limit)s AS time_limit
                 ) sd
                 -- time limits: a standard stage's own (closed stays, plus the ongoing stay
                 -- up to now or until the lead was lost); the won stage's is the handover
                 -- limit of the company, from the day the deal was won to its handover
                 CROSS JOIN LATERAL (
                    SELECT CASE WHEN r.role = 'won' THEN hc.handover_limit_days
                                ELSE sd.time_limit END AS time_limit,
                           CASE WHEN r.role = 'won'
                                THEN m.won_status = 'won' AND m.handover_date IS NOT NULL
                                ELSE sd.days IS NOT NULL OR (
                                    sd.open_since IS NOT NULL AND m.won_status <> 'pending')
                           END AS finished,
                           CASE WHEN r.role = 'won' THEN
                                CASE WHEN m.won_status = 'won' THEN EXTRACT(EPOCH FROM (
                                    COALESCE(m.handover_date, NOW() AT TIME ZONE 'UTC')
                                    - COALESCE(m.date_closed, m.%(won_first_in)s))) / 86400.0
                                END
                                ELSE COALESCE(sd.days, 0) + COALESCE(EXTRACT(EPOCH FROM (
                                    CASE WHEN m.won_status = 'pending'
                                         THEN NOW() AT TIME ZONE 'UTC' ELSE m.date_closed END
                                    - sd.open_since)) / 86400.0, 0)
                           END AS spent
                 ) lim
                  LEFT JOIN objections obj ON obj.lead_id = m.lead_id AND obj.rank = r.rank
                 CROSS JOIN LATERAL (
                    SELECT r.role = 'won' AND m.won_status = 'won' AS is_won
                 ) won
                  LEFT JOIN care ON care.lead_id = m.lead_id AND won.is_won
                 WHERE m.max_rank IS NOT NULL
                   AND (r.rank = 1 OR m.max_rank >= r.rank - 1)
                   AND (m.active OR m.won_status = 'lost')
                )
                """,
                table=SQL.identifier(self._table),
                stage_rank=self._funnel_stage_rank_sql(),
                lead_stays=self._funnel_lead_stays_sql(),
                first_in=pick("first_in"),
                days=pick("days"),
                open_since=pick("open"),
                stage_limit=pick("limit"),
                ranks=ranks,
                won_first_in=SQL.identifier(f"first_in{FUNNEL_RANK['won']}"),
                care=self._funnel_care_sql(),
                lead_company=self.env["crm.lead"]._funnel_company_sql("m"),
                by_rank=SQL(", ").join(
                    SQL("MAX(target_value) FILTER (WHERE rank = %s)", rank)
                    for rank in FUNNEL_RANK.values()
                ),
            )
        )

    @api.model
    def _funnel_care_sql(self):
        """Post-sale care per deal, one row per deal that has any (so the work follows the
        care records, not the leads): ``lead_id``, average satisfaction, visits, first
        visit, deadline of the first revisit activity (open or done), and the repurchase
        / referral opportunities created from its visits."""
        return SQL(
            """
            SELECT lead_id, MAX(satisfaction) AS satisfaction, MAX(visits) AS visits,
                   MAX(first_visit) AS first_visit, MAX(deadline) AS deadline,
                   MAX(repurchases) AS repurchases, MAX(referrals) AS referrals
              FROM (SELECT lead_id, AVG(satisfaction_score) AS satisfaction, COUNT(*) AS visits,
                           MIN(date) AS first_visit, NULL::date AS deadline,
                           NULL::bigint AS repurchases, NULL::bigint AS referrals
                      FROM crm_lead_care GROUP BY lead_id
                     UNION ALL
                    SELECT res_id, NULL, NULL, NULL, MIN(date_deadline), NULL, NULL
                      FROM mail_activity
                     WHERE res_model = 'crm.lead' AND funnel_care = 'first_revisit'
                     GROUP BY res_id
                     UNION ALL
                    SELECT origin_lead_id, NULL, NULL, NULL, NULL,
                           COUNT(*) FILTER (WHERE funnel_origin = 'repurchase'),
                           COUNT(*) FILTER (WHERE funnel_origin = 'referral')
                      FROM crm_lead WHERE origin_lead_id IS NOT NULL
                     GROUP BY origin_lead_id) care
             GROUP BY lead_id
            """
        )

    @api.model
    def _search(self, domain, *args, **kwargs):
        # PostgreSQL estimates the view's plan far above its real cost (it cannot know
        # how few history rows are in standard stages), so its JIT compiler kicks in and
        # compiles for longer than the query runs (make bench, 100,000 leads: the
        # dashboard's stage query 0.5 s without JIT, 1.5 s with it). Off for the rest of
        # this transaction only; every read of the report (list, pivot, graph, figures)
        # starts here. Once per transaction: the rollback hooks' data, where the flag is
        # kept, is cleared by the next commit or rollback.
        rollback_data = self.env.cr.postrollback.data
        if not rollback_data.get(JIT_OFF):
            self.env.cr.execute(SQL("SET LOCAL jit = off"))
            rollback_data[JIT_OFF] = True
        return super()._search(domain, *args, **kwargs)

    def _read_group_orderby(self, order, groupby_terms, query):
        """Groups by funnel stage come in funnel order (graph and pivot read as a funnel)."""
        sql_order = super()._read_group_orderby(order, groupby_terms, query)
        role_sql = groupby_terms.get("funnel_role")
        if role_sql is None or (order and not order.strip().startswith("funnel_role")):
            return sql_order
        rank_sql = SQL(
            "CASE %s %s END",
            role_sql,
            SQL(" ").join(SQL("WHEN %s THEN %s", role, rank) for role, rank in FUNNEL_RANK.items()),
        )
        return SQL("%s, %s", rank_sql, sql_order) if sql_order else rank_sql

    # ------------------------------------------------------------
    # BUSINESS: funnel figures (used by the XLSX summary)
    # ------------------------------------------------------------

    @api.model
    def _funnel_figures(self, domain=None, lead_query=None):
        """Figures of the funnel for the report rows matching ``domain`` (access-filtered).

        SLA and follow-up figures are over the leads of ``lead_query`` (a ``crm.lead``
        Query from ``_search``, e.g. the leads of an export) or, by default, over the
        leads of those report rows.

        Returns ``{"stages": [per-stage dicts in funnel order: reached, conversion, lost,
        avg/median days, time limit, within-limit %, over limit, conversion target],
        "total": int, "won": int, "win_rate": %, "a_total", "a_won", "a_win_rate",
        "sla": {...} or None, "followups": [per-grade dicts] or None, "care": {satisfaction,
        revisit_on_time, repurchase_rate, repurchases, referrals} over the won deals}``.
        Percentages are None when undefined.
        """
        rows = self._funnel_stage_rows(self._search(domain or []))
        if lead_query is not None:
            leads = lead_query
        else:
            leads = self._funnel_lead_ids_sql(self._search(domain or []))
        figures = self._funnel_stage_figures({row["role"]: row for row in rows})
        figures["sla"] = self._funnel_sla_figures(leads)
        figures["followups"] = self._funnel_followup_figures(leads)
        return figures

    @api.model
    def _funnel_stage_rows(self, query, keys=None, grouping_sets=None):
        """Aggregates of the report rows of ``query`` per funnel stage (one query).

        ``keys``: ``{alias: SQL}`` of extra group keys over the report's columns, e.g. a
        period bucket or the salesperson; ``grouping_sets``: tuples of those aliases, each
        grouped per stage as well (``GROUP BY GROUPING SETS``), a key left out of a set
        being NULL and ``g_<alias>`` 1 in its rows. Returns the rows as dicts (``role``,
        the keys, and the aggregates ``_funnel_stage_figures`` reads)."""
        table = SQL.identifier(self._table)
        role = SQL("%s.funnel_role", table)
        key_columns, query.groupby = self._funnel_group_by(keys or {}, grouping_sets, [role])
        self.env.cr.execute(
            query.select(
                SQL("%s AS role", role),
                *key_columns,
                SQL("SUM(%s.reached_count) AS reached", table),
                SQL("COUNT(*) AS candidates"),
                SQL("SUM(%s.lost_count) AS lost", table),
                SQL("AVG(%s.days_in_stage) AS avg_days", table),
                SQL(
                    "PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY %s.days_in_stage) AS median_days",
                    table,
                ),
                SQL("SUM(%s.won_count) AS won", table),
                SQL(
                    "SUM(%s.reached_count) FILTER (WHERE %s.bndu_grade = 'a') AS a_reached",
                    table,
                    table,
                ),
                SQL("SUM(%s.won_count) FILTER (WHERE %s.bndu_grade = 'a') AS a_won", table, table),
                SQL("AVG(%s.conversion_target) AS conversion_target", table),
                SQL("MAX(%s.time_limit) AS time_limit", table),
                SQL("AVG(%s.time_limit_met) AS within_limit", table),
                SQL("SUM(%s.time_limit_exceeded) AS over_limit", table),
                # post-sale care: set on the Won row of won deals only
                SQL("AVG(%s.care_satisfaction) AS care_satisfaction", table),
                SQL("AVG(%s.care_revisit_on_time) AS care_revisit_on_time", table),
                SQL("AVG(%s.repurchase_rate) AS repurchase_rate", table),
                SQL("SUM(%s.repurchase_count) AS repurchases", table),
                SQL("SUM(%s.referral_count) AS referrals", table),
            )
        )
        return self.env.cr.dictfetchall()

    @api.model
    def _funnel_stage_figures(self, rows):
        """The figures of ``_funnel_figures`` (without SLA and follow-ups) from the
        aggregates of one group: ``rows`` = ``{role: row of _funnel_stage_rows}``."""
        care = rows.get("won", {})
        labels = dict(self._fields["funnel_role"]._description_selection(self.env))
        stages = []
        for role, _label in FUNNEL_ROLES:
            row = rows.get(role, {})
            candidates = row.get("candidates") or 0
            stages.append(
                {
                    "role": role,
                    "name": labels[role],
                    "reached": row.get("reached") or 0,
                    "conversion": (100.0 * row["reached"] / candidates) if candidates else None,
                    "candidates": candidates,
                    "lost": row.get("lost") or 0,
                    "avg_days": row.get("avg_days"),
                    "median_days": row.get("median_days"),
                    "conversion_target": row.get("conversion_target"),
                    "time_limit": row.get("time_limit"),
                    "within_limit": row.get("within_limit"),
                    "over_limit": row.get("over_limit") or 0,
                }
            )
        first = rows.get(FUNNEL_ROLES[0][0], {})
        total, a_total = first.get("reached"), first.get("a_reached")
        won, a_won = first.get("won"), first.get("a_won")
        return {
            "stages": stages,
            "total": total or 0,
            "won": won or 0,
            "win_rate": (100.0 * won / total) if total else None,
            "a_total": a_total or 0,
            "a_won": a_won or 0,
            "a_win_rate": (100.0 * a_won / a_total) if a_total else None,
            "care": {
                "satisfaction": care.get("care_satisfaction"),
                "revisit_on_time": care.get("care_revisit_on_time"),
                "repurchase_rate": care.get("repurchase_rate"),
                "repurchases": care.get("repurchases") or 0,
                "referrals": care.get("referrals") or 0,
            },
        }

    @api.model
    def _funnel_lead_ids_sql(self, query):
        return SQL(
            "(SELECT DISTINCT %s FROM %s WHERE %s)",
            SQL.identifier(self._table, "lead_id"),
            query.from_clause,
            query.where_clause or SQL("TRUE"),
        )

    @api.model
    def _funnel_group_by(self, keys, grouping_sets, always=()):
        """``(key columns, grouping)`` of a query grouped by ``keys`` (``{alias: SQL}``)
        in ``grouping_sets`` (tuples of aliases; default: all keys together), every set
        also grouped by the ``always`` expressions; ``grouping`` is what follows
        ``GROUP BY`` (None: no grouping). Each key comes with ``g_<alias>`` (1 in the rows
        of a set without it)."""
        if not keys and not always:
            return [], None
        columns = []
        for alias, key_sql in keys.items():
            columns.append(SQL("%s AS %s", key_sql, SQL.identifier(alias)))
            columns.append(SQL("GROUPING(%s) AS %s", key_sql, SQL.identifier(f"g_{alias}")))
        sets = grouping_sets or [tuple(keys)]
        grouping = SQL(
            "GROUPING SETS (%s)",
            SQL(", ").join(
                SQL("(%s)", SQL(", ").join([*always, *(keys[alias] for alias in group)]))
                for group in sets
            ),
        )
        return columns, grouping

    @api.model
    def _funnel_leads_sql(self, leads):
        """The leads as the relation ``l`` (rows of ``crm_lead``): ``leads`` is either a
        ``crm.lead`` Query, read in one scan with its own conditions, or SQL of lead ids."""
        if isinstance(leads, Query):
            return SQL("(%s) AS l", leads.select(SQL("%s.*", SQL.identifier(leads.table))))
        return SQL("(SELECT * FROM crm_lead WHERE id IN %s) AS l", leads)

    @api.model
    def _funnel_sla_figures(self, leads):
        """First-contact SLA compliance, intake timeliness (entered within the working
        days of capture) and the first touch of high-potential leads."""
        return self._funnel_sla_rows(leads)[0]

    @api.model
    def _funnel_sla_rows(self, leads, keys=None, grouping_sets=None):
        """The figures of ``_funnel_sla_figures`` over ``leads`` (see
        ``_funnel_leads_sql``) per group of ``keys`` (``{alias: SQL}`` over ``l``, in
        ``grouping_sets``; see ``_funnel_group_by``), one query; one row over all the
        leads without keys."""
        key_columns, grouping = self._funnel_group_by(keys or {}, grouping_sets)
        self.env.cr.execute(
            SQL(
                """
                SELECT %(keys)s
                       COUNT(*) FILTER (WHERE l.sla_state = 'met') AS met,
                       COUNT(*) FILTER (WHERE l.sla_state = 'breached') AS breached,
                       COUNT(*) FILTER (WHERE l.sla_state = 'pending') AS pending,
                       COUNT(*) FILTER (WHERE l.intake_late) AS intake_late,
                       COUNT(*) FILTER (WHERE NOT l.intake_late) AS intake_on_time,
                       COUNT(*) FILTER (WHERE l.first_touch_state = 'met') AS first_touch_met,
                       COUNT(*) FILTER (WHERE l.first_touch_state = 'breached')
                           AS first_touch_breached,
                       COUNT(*) FILTER (WHERE l.first_touch_state = 'pending')
                           AS first_touch_pending
                  FROM %(leads)s
                  %(group_by)s
                """,
                keys=SQL("").join(SQL("%s, ", column) for column in key_columns),
                leads=self._funnel_leads_sql(leads),
                group_by=SQL("GROUP BY %s", grouping) if grouping else SQL(),
            )
        )
        rows = self.env.cr.dictfetchall()
        for row in rows:
            closed = row["met"] + row["breached"]
            row["rate"] = (100.0 * row["met"] / closed) if closed else None
        return rows

    @api.model
    def _funnel_followup_figures(self, leads):
        """Cadence follow-ups done vs due per grade.

        Due: cadence activities whose deadline has come, plus those already done (early
        contacts count); done: those marked done (archived with a done date).
        """
        by_grade = {
            row["grade"]: (row["due"], row["done"]) for row in self._funnel_followup_rows(leads)
        }
        labels = self.env["crm.lead"]._fields["bndu_grade"]._description_selection(self.env)
        return [
            {
                "grade": grade,
                "name": label,
                "due": by_grade.get(grade, (0, 0))[0],
                "done": by_grade.get(grade, (0, 0))[1],
            }
            for grade, label in labels
        ]

    @api.model
    def _funnel_followup_rows(self, leads, keys=None, grouping_sets=None):
        """Cadence follow-ups due and done (see ``_funnel_followup_figures``) of
        ``leads`` (see ``_funnel_leads_sql``) per grade and group of ``keys``
        (``{alias: SQL}`` over ``l``), one query: rows ``{grade, <keys>, due, done}``."""
        key_columns, grouping = self._funnel_group_by(
            keys or {}, grouping_sets, always=[SQL("l.bndu_grade")]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT l.bndu_grade AS grade, %(keys)s
                       COUNT(*) FILTER (WHERE a.date_deadline <= %(today)s
                                           OR a.date_done IS NOT NULL) AS due,
                       COUNT(*) FILTER (WHERE a.date_done IS NOT NULL) AS done
                  FROM mail_activity a
                  JOIN %(leads)s ON l.id = a.res_id
                 WHERE a.res_model = 'crm.lead' AND a.funnel_cadence IS NOT NULL
                 GROUP BY %(grouping)s
                """,
                keys=SQL("").join(SQL("%s, ", column) for column in key_columns),
                today=fields.Date.context_today(self),
                leads=self._funnel_leads_sql(leads),
                grouping=grouping,
            )
        )
        return self.env.cr.dictfetchall()
