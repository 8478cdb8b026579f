from odoo import fields, models
from odoo.tools import SQL
from odoo.tools import sql as sql_tools


class CrmObjectionReport(models.Model):
    """Objection analysis: one row per customer objection with the outcome of its
    opportunity, so that a pivot type × outcome shows which objections precede a loss,
    and the response-time compliance per type, stage and salesperson."""

    _name = "crm.objection.report"
    _description = "Objection Analysis"
    _auto = False
    _rec_name = "lead_id"
    _order = "raised_on desc"
    # searching the report flushes what its view reads
    _depends = {
        "crm.lead.objection": [
            "lead_id",
            "type_id",
            "stage_id",
            "state",
            "raised_on",
            "responded_on",
            "response_deadline",
            "response_late",
            "company_id",
        ],
        "crm.lead": ["won_status", "active", "user_id", "team_id"],
    }

    lead_id = fields.Many2one("crm.lead", "Opportunity", readonly=True)
    type_id = fields.Many2one("crm.objection.type", "Objection Type", readonly=True)
    stage_id = fields.Many2one("crm.stage", "Raised in Stage", readonly=True)
    state = fields.Selection(
        lambda self: self.env["crm.lead.objection"]._fields["state"].selection,
        string="Status",
        readonly=True,
    )
    outcome = fields.Selection(
        [("won", "Won"), ("lost", "Lost"), ("pending", "In Progress")],
        string="Opportunity Outcome",
        readonly=True,
    )
    raised_on = fields.Datetime(readonly=True)
    response_hours = fields.Float(
        "Hours to Answer",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Hours between the objection and the answer (average in groups).",
    )
    on_time_count = fields.Integer("Answered in Time", readonly=True)
    late_count = fields.Integer(
        "Late", readonly=True, help="Answered after the deadline, or still open past it."
    )
    open_count = fields.Integer("Not Resolved", readonly=True)
    compliance_rate = fields.Float(
        "Answered in Time (%)",
        readonly=True,
        aggregator="avg",
        digits=(16, 1),
        help="Share of the objections answered before their deadline (answered or late ones).",
    )
    user_id = fields.Many2one("res.users", "Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)

    def init(self):
        sql_tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
                CREATE OR REPLACE VIEW %(table)s AS (
                SELECT o.id, o.lead_id, o.type_id, o.stage_id, o.state,
                       l.won_status AS outcome, o.raised_on,
                       EXTRACT(EPOCH FROM o.responded_on - o.raised_on) / 3600.0
                           AS response_hours,
                       CASE WHEN o.state <> 'open' AND NOT COALESCE(o.response_late, FALSE)
                            THEN 1 ELSE 0 END AS on_time_count,
                       CASE WHEN o.response_late OR (o.state = 'open'
                                 AND o.response_deadline < (now() AT TIME ZONE 'UTC'))
                            THEN 1 ELSE 0 END AS late_count,
                       CASE WHEN o.state <> 'resolved' THEN 1 ELSE 0 END AS open_count,
                       CASE WHEN o.response_late OR (o.state = 'open'
                                 AND o.response_deadline < (now() AT TIME ZONE 'UTC'))
                            THEN 0.0
                            WHEN o.state <> 'open' THEN 100.0 END AS compliance_rate,
                       l.user_id, l.team_id, o.company_id
                  FROM crm_lead_objection o
                  JOIN crm_lead l ON l.id = o.lead_id
                 WHERE l.active OR l.won_status = 'lost'
                )
                """,
                table=SQL.identifier(self._table),
            )
        )
