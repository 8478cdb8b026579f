from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .mail_activity import CADENCE_KINDS

FOLLOWUP_CHANNELS = [
    ("phone", "Phone"),
    ("visit", "Visit"),
    ("email", "Email"),
    ("meeting", "Meeting"),
    ("im", "Instant Message / WeChat"),
    ("other", "Other"),
]
ATTITUDES = [
    ("cold", "Cold"),
    ("wait_and_see", "Wait and See"),
    ("interested", "Interested"),
    ("strong", "Strong Interest"),
    ("ready", "Ready to Buy"),
]


class CrmLeadFollowup(models.Model):
    _name = "crm.lead.followup"
    _description = "Follow-up Record"
    _order = "date desc, id desc"
    _rec_name = "summary"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade")
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    channel = fields.Selection(FOLLOWUP_CHANNELS, required=True, default="phone")
    summary = fields.Text(help="What was discussed and the goal of this follow-up.")
    feedback = fields.Text("Customer Feedback")
    attitude_before = fields.Selection(ATTITUDES)
    attitude_after = fields.Selection(ATTITUDES)
    next_step = fields.Char()
    user_id = fields.Many2one(
        "res.users", "Salesperson", required=True, index=True, default=lambda s: s.env.user
    )
    team_id = fields.Many2one(
        "crm.team",
        "Sales Team",
        compute="_compute_from_lead",
        store=True,
        readonly=False,
        precompute=True,
        index=True,
    )
    company_id = fields.Many2one(
        "res.company",
        compute="_compute_from_lead",
        store=True,
        precompute=True,
        index=True,
    )
    activity_id = fields.Many2one("mail.activity", ondelete="set null", readonly=True)
    cadence_kind = fields.Selection(CADENCE_KINDS, "Cadence", readonly=True)
    lead_grade = fields.Selection(related="lead_id.bndu_grade", string="Grade")

    @api.depends("lead_id")
    def _compute_from_lead(self):
        for followup in self:
            followup.team_id = followup.lead_id.team_id
            followup.company_id = followup.lead_id.company_id

    @api.model
    def _check_followup_vals(self, vals):
        """Clear message for bad input, raised before anything is written."""
        channels = dict(FOLLOWUP_CHANNELS)
        channel = vals.get("channel", "phone")
        if channel not in channels:
            raise ValidationError(
                _(
                    "Unknown follow-up channel %(channel)r; use one of: %(channels)s.",
                    channel=channel,
                    channels=", ".join(channels),
                )
            )
        attitudes = dict(ATTITUDES)
        for fname in ("attitude_before", "attitude_after"):
            value = vals.get(fname)
            if value and value not in attitudes:
                raise ValidationError(
                    _(
                        "Unknown customer attitude %(value)r; use one of: %(values)s.",
                        value=value,
                        values=", ".join(attitudes),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_followup_vals(vals)
        followups = super().create(vals_list)
        # a follow-up restarts the escalation clock of its lead
        followups.lead_id._escalation_touched()
        return followups

    def write(self, vals):
        self._check_followup_vals({"channel": self[:1].channel or "phone", **vals})
        return super().write(vals)
