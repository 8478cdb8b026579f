from odoo import fields, models


class CrmLeadChecklistLineNa(models.TransientModel):
    _name = "crm.lead.checklist.line.na"
    _description = "Mark a Checklist Item Not Applicable"

    line_ids = fields.Many2many("crm.lead.checklist.line", string="Checklist Items", required=True)
    reason = fields.Text(required=True, help="Why the item does not apply to this lead.")

    def action_confirm(self):
        self.ensure_one()
        self.line_ids.action_set_not_applicable(self.reason)
        return {"type": "ir.actions.act_window_close"}
