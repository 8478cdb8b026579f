from odoo import fields, models

MODES = [("request", "Request"), ("approve", "Approve"), ("reject", "Reject")]


class CrmLeadChecklistApproval(models.TransientModel):
    _name = "crm.lead.checklist.approval"
    _description = "Request or Decide a Checklist Approval"

    line_ids = fields.Many2many("crm.lead.checklist.line", string="Checklist Items", required=True)
    mode = fields.Selection(MODES, required=True, default="request")
    note = fields.Text(help="What the approvers should know (request) or why (decision).")
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "crm_lead_checklist_approval_attachment_rel",
        "wizard_id",
        "attachment_id",
        string="Attachments",
    )

    def action_confirm(self):
        self.ensure_one()
        if self.mode == "request":
            self.line_ids._funnel_request_approval(self.note, self.attachment_ids)
        else:
            self.line_ids._funnel_decide(self.mode == "approve", self.note)
        return {"type": "ir.actions.act_window_close"}
