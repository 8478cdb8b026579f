from odoo import fields, models

ESCALATION_LEVELS = [
    ("remind", "Salesperson Reminded"),
    ("notify", "Team Leader Notified"),
    ("reassign", "Reassigned"),
]


class CrmLeadEscalation(models.Model):
    """One escalation step taken on a lead by the hourly sweep: who, when, which rule.

    Written by the sweep only (set-based SQL, no user creates or edits one); visible
    with the lead (CRM's record rules). ``reset_on``: when a touch (follow-up, stage
    move, logged message) restarted the lead's clock and closed the episode.
    """

    _name = "crm.lead.escalation"
    _description = "Lead Escalation Step"
    _order = "date desc, id desc"
    _rec_name = "level"

    lead_id = fields.Many2one(
        "crm.lead", required=True, index=True, ondelete="cascade", readonly=True
    )
    rule_id = fields.Many2one("crm.escalation.rule", ondelete="set null", readonly=True)
    level = fields.Selection(ESCALATION_LEVELS, "Step", required=True, readonly=True)
    date = fields.Datetime("Escalated On", required=True, readonly=True, index=True)
    user_id = fields.Many2one(
        "res.users",
        "Escalated To",
        index=True,
        readonly=True,
        help="The salesperson reminded, the team leader notified, or the new salesperson.",
    )
    salesperson_id = fields.Many2one(
        "res.users", readonly=True, help="The lead's salesperson at the time."
    )
    team_id = fields.Many2one("crm.team", "Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", index=True, readonly=True)
    reset_on = fields.Datetime(
        "Clock Restarted On",
        readonly=True,
        help="When a follow-up, a stage move or a logged message restarted the clock.",
    )
    _current_step_unique = models.UniqueIndex("(lead_id, level) WHERE is_current")

    is_current = fields.Boolean(
        "Current",
        readonly=True,
        default=True,
        index=True,
        help="Part of the lead's current escalation (no touch since).",
    )
