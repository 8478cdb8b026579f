from odoo import fields, models

CADENCE_KINDS = [
    ("first_contact", "First Contact"),
    ("followup", "Follow-up"),
    ("nurture", "Nurture Re-evaluation"),
]
CARE_KINDS = [
    ("first_revisit", "First Revisit"),
    ("quarterly", "Quarterly Care"),
    ("repurchase_review", "Repurchase Review"),
]


class MailActivity(models.Model):
    _inherit = "mail.activity"

    funnel_cadence = fields.Selection(
        CADENCE_KINDS,
        "Follow-up Cadence",
        readonly=True,
        copy=False,
        help="Set on the activities scheduled by the grade-driven follow-up cadence.",
    )

    # exactly one open cadence activity per lead; done activities are archived
    _funnel_cadence_unique = models.UniqueIndex(
        "(res_model, res_id) WHERE funnel_cadence IS NOT NULL AND active",
        "A lead can have only one open follow-up cadence activity.",
    )

    # post-sale care (crm_lead_care_cadence.py): one open care activity per won deal
    funnel_care = fields.Selection(
        CARE_KINDS,
        "Customer Care",
        readonly=True,
        copy=False,
        help="Set on the activities scheduled by the post-sale care cadence.",
    )
    _funnel_care_unique = models.UniqueIndex(
        "(res_model, res_id) WHERE funnel_care IS NOT NULL AND active",
        "A won opportunity can have only one open customer care activity.",
    )
    # first revisits, done ones included: their deadline is the care compliance's
    _funnel_care_first_revisit = models.Index(
        "(res_id, date_deadline) WHERE funnel_care = 'first_revisit'"
    )

    # checklist owners and approvals (crm_lead_checklist_owner.py, _approval.py)
    funnel_checklist_line_id = fields.Many2one(
        "crm.lead.checklist.line",
        "Checklist Item",
        index="btree_not_null",
        ondelete="cascade",
        readonly=True,
        copy=False,
        help="The checklist line this activity asks to complete or approve.",
    )

    def _action_done(self, feedback=False, attachment_ids=None):
        cadence = self.filtered(lambda act: act.funnel_cadence and act.res_model == "crm.lead")
        done = {act.res_id: act.funnel_cadence for act in cadence if act.active}
        care = self.filtered(
            lambda act: act.funnel_care and act.res_model == "crm.lead" and act.active
        )
        result = super()._action_done(feedback=feedback, attachment_ids=attachment_ids)
        if done:
            self.env["crm.lead"].browse(done)._cadence_activity_done(done)
        if care:
            self.env["crm.lead.care"]._care_activities_done(care, feedback)
        return result

    def action_open_followup_wizard(self):
        """Done with the follow-up record (跟进记录): channel, feedback, attitude, next step."""
        self.ensure_one()
        action = self.env["crm.lead"].browse(self.res_id).action_open_followup_wizard()
        action["context"]["default_activity_id"] = self.id
        return action

    def action_done_cadence(self, followup_vals=None):
        """Mark cadence activities done with the follow-up record of the contact.

        ``followup_vals``: values of ``crm.lead.followup`` (channel, summary, feedback,
        attitude_before, attitude_after, next_step, date); validated before anything is
        written. Creates the follow-up log entry, records the SLA and schedules the next
        follow-up. Returns the created follow-up records.
        """
        Followup = self.env["crm.lead.followup"]
        vals_list = []
        if followup_vals:
            for activity in self:
                vals = dict(followup_vals, lead_id=activity.res_id, activity_id=activity.id)
                vals.setdefault("cadence_kind", activity.funnel_cadence)
                Followup._check_followup_vals(vals)
                vals_list.append(vals)
        feedback = (followup_vals or {}).get("summary") or False
        followups = Followup.create(vals_list) if vals_list else Followup
        self._action_done(feedback=feedback)
        return followups
