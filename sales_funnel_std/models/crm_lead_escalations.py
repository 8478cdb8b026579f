from odoo import _, api, fields, models
from odoo.tools import SQL, format_datetime

from .crm_lead_escalation import ESCALATION_LEVELS

ESCALATION_FIELDS = [
    "escalation_level",
    "escalation_date",
    "escalation_rule_id",
    "escalated_to_me",
    "escalation_summary",
    "escalation_ids",
]


def level_rank_sql(column):
    """SQL rank (0: not escalated, 1: reminded, 2: notified, 3: reassigned) of a level
    column."""
    return SQL(
        "CASE %s WHEN 'remind' THEN 1 WHEN 'notify' THEN 2 WHEN 'reassign' THEN 3 ELSE 0 END",
        column,
    )


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # The state lives on the log (crm.lead.escalation, rows "current" until a touch):
    # a sweep inserts narrow log rows instead of updating tens of thousands of leads
    # (every crm_lead update rewrites its ~40 indexes, trigram ones included).
    escalation_level = fields.Selection(
        ESCALATION_LEVELS,
        "Escalation",
        compute="_compute_escalation",
        search="_search_escalation_level",
        help="The last escalation step taken since the lead's last touch (follow-up, "
        "stage move or logged message); empty when not escalated.",
    )
    escalation_date = fields.Datetime("Escalated On", compute="_compute_escalation")
    escalation_rule_id = fields.Many2one("crm.escalation.rule", compute="_compute_escalation")
    escalated_to_me = fields.Boolean(
        "Escalated to Me",
        compute="_compute_escalation",
        search="_search_escalated_to_me",
        help="A current escalation step of this lead was addressed to you.",
    )
    escalation_summary = fields.Char(compute="_compute_escalation")
    escalation_ids = fields.One2many("crm.lead.escalation", "lead_id", "Escalation Log")

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("escalation_ids", "date_last_stage_update")
    def _compute_escalation(self):
        """From the current log rows in one query (``_escalation_current_sql``)."""
        rows = {}
        if self.ids:
            self.flush_recordset(["date_last_stage_update"])
            self.env["crm.lead.escalation"].flush_model()
            self.env.cr.execute(
                SQL(
                    "%s ORDER BY log.lead_id, %s",
                    self._escalation_current_sql(
                        SQL("log.lead_id = ANY(%s)", self.ids),
                        columns=SQL(
                            "log.lead_id, log.level, log.date, log.rule_id,"
                            " BOOL_OR(log.user_id = %s) OVER (PARTITION BY log.lead_id)",
                            self.env.uid,
                        ),
                    ),
                    level_rank_sql(SQL("log.level")),
                )
            )
            for lead_id, level, date, rule_id, to_me in self.env.cr.fetchall():
                rows[lead_id] = (level, date, rule_id, to_me)  # the highest step last
        steps = dict(self._fields["escalation_level"]._description_selection(self.env))
        for lead in self:
            level, date, rule_id, to_me = rows.get(lead.id, (False, False, False, False))
            lead.escalation_level = level
            lead.escalation_date = date
            lead.escalation_rule_id = rule_id
            lead.escalated_to_me = to_me
            lead.escalation_summary = level and _(
                "Escalated: %(step)s (rule “%(rule)s”, %(date)s). Log a follow-up to restart "
                "the clock.",
                step=steps[level],
                rule=lead.escalation_rule_id.name or "",
                date=format_datetime(self.env, date),
            )

    def _escalation_current_sql(self, condition=None, columns=None):
        """The current escalation steps (``columns`` of the log rows ``log``, default the
        lead ids) matching ``condition``: a step taken before the lead's last stage move
        no longer counts (a move restarts the clock at once, without a query in the
        write)."""
        return SQL(
            """
            SELECT %s FROM crm_lead_escalation log
              JOIN crm_lead lead ON lead.id = log.lead_id
             WHERE log.is_current AND %s
               AND (lead.date_last_stage_update IS NULL
                    OR log.date >= lead.date_last_stage_update)
            """,
            columns or SQL("log.lead_id"),
            condition or SQL("TRUE"),
        )

    def _search_escalation_level(self, operator, value):
        if operator not in ("=", "!=", "in", "not in"):
            return NotImplemented
        values = value if operator in ("in", "not in") else [value]
        negative = operator in ("!=", "not in")
        levels = [level for level in values if level]
        if False in values or None in values:
            # (not) escalated at all, plus the given levels
            ids = self._escalation_search_ids(None)
            if levels:
                return NotImplemented
            return [("id", "in" if negative else "not in", ids)]
        ids = self._escalation_search_ids(levels)
        return [("id", "not in" if negative else "in", ids)]

    def _escalation_search_ids(self, levels):
        """Leads escalated (``levels``: None) or whose highest current step is one of
        ``levels``."""
        query = self._escalation_current_sql()
        if levels:
            query = SQL(
                """SELECT lead_id FROM crm_lead_escalation log
                    WHERE log.lead_id IN (%s) AND log.is_current
                 GROUP BY lead_id HAVING (ARRAY_AGG(log.level ORDER BY %s DESC))[1] = ANY(%s)""",
                query,
                level_rank_sql(SQL("log.level")),
                levels,
            )
        self.flush_model(["date_last_stage_update"])
        self.env["crm.lead.escalation"].flush_model()
        self.env.cr.execute(query)
        return [row[0] for row in self.env.cr.fetchall()]

    def _search_escalated_to_me(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        self.env["crm.lead.escalation"].flush_model()
        self.flush_model(["date_last_stage_update"])
        self.env.cr.execute(self._escalation_current_sql(SQL("log.user_id = %s", self.env.uid)))
        ids = [row[0] for row in self.env.cr.fetchall()]
        positive = (operator == "=") == bool(value)
        return [("id", "in" if positive else "not in", ids)]

    # ------------------------------------------------------------
    # BUSINESS: the clock restarts on a touch
    # ------------------------------------------------------------

    def _escalation_touched(self):
        """Follow-up logged: the leads' current escalation ends at once (the sweep also
        ends those touched by a logged message; a stage move needs nothing, see
        :meth:`_compute_escalation`)."""
        self._escalation_reset(force=True)

    def _escalation_reset(self, force=False, all_leads=False):
        """Close the current escalation of leads touched since (a follow-up, a stage
        move, a message logged after the step), closed or archived; set-based.
        ``self``: these leads (``all_leads``: every lead, the sweep); ``force``: whatever
        their last touch (they were just touched)."""
        if not self and not all_leads:
            return
        self.env.flush_all()
        now = fields.Datetime.now().replace(microsecond=0)
        scope = SQL("TRUE") if all_leads else SQL("lead.id = ANY(%s)", self.ids)
        reason = (
            SQL("TRUE")
            if force
            else SQL(
                """NOT lead.active OR COALESCE(stage.is_won, FALSE)
                   OR %(touch)s > log.date""",
                touch=self._escalation_touch_sql(),
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead_escalation log
                   SET is_current = FALSE, reset_on = %(now)s
                  FROM crm_lead lead
             LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                 WHERE log.lead_id = lead.id AND log.is_current
                   AND %(scope)s AND (%(reason)s)
                """,
                scope=scope,
                reason=reason,
                now=now,
            )
        )
        self.env["crm.lead.escalation"].invalidate_model(["is_current", "reset_on"])
        self.invalidate_model(ESCALATION_FIELDS)

    @api.model
    def _escalation_touch_sql(self):
        """The lead's last touch: stage entered (set at creation too), last follow-up,
        last message logged or sent on it (``lead``: the crm_lead alias). One index lookup each."""
        return SQL(
            """GREATEST(
                COALESCE(lead.date_last_stage_update, lead.create_date),
                (SELECT MAX(f.date) FROM crm_lead_followup f WHERE f.lead_id = lead.id),
                (SELECT MAX(m.date) FROM mail_message m
                  WHERE m.model = 'crm.lead' AND m.res_id = lead.id
                    AND m.message_type = 'comment'))"""
        )
