from odoo import fields, models

from ..models.crm_lead_followup import ATTITUDES, FOLLOWUP_CHANNELS


class CrmLeadFollowupWizard(models.TransientModel):
    _name = "crm.lead.followup.wizard"
    _description = "Log Follow-up"

    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade")
    activity_id = fields.Many2one(
        "mail.activity",
        "Cadence Activity",
        ondelete="cascade",
        help="The open follow-up activity this contact completes; the next one is "
        "scheduled at the grade's interval.",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    channel = fields.Selection(FOLLOWUP_CHANNELS, required=True, default="phone")
    summary = fields.Text()
    feedback = fields.Text("Customer Feedback")
    attitude_before = fields.Selection(ATTITUDES)
    attitude_after = fields.Selection(ATTITUDES)
    next_step = fields.Char()

    def _followup_vals(self):
        return {
            "date": self.date,
            "channel": self.channel,
            "summary": self.summary,
            "feedback": self.feedback,
            "attitude_before": self.attitude_before,
            "attitude_after": self.attitude_after,
            "next_step": self.next_step,
        }

    def action_confirm(self):
        self.ensure_one()
        if self.activity_id and self.activity_id.active:
            self.activity_id.action_done_cadence(self._followup_vals())
        else:
            self.lead_id.action_log_followup(self._followup_vals())
        return {"type": "ir.actions.act_window_close"}
