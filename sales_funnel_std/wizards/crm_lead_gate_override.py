from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.crm_lead_gate import GATE_FORCE_KEY, MANAGER_GROUP


class CrmLeadGateOverride(models.TransientModel):
    _name = "crm.lead.gate.override"
    _description = "Force a Stage Change (Manager Override)"

    lead_ids = fields.Many2many("crm.lead", string="Leads", required=True)
    stage_id = fields.Many2one("crm.stage", string="Move To", required=True)
    reason = fields.Text(required=True, help="Why the move is forced despite open items.")
    missing_items = fields.Text(compute="_compute_missing_items")

    @api.depends("lead_ids", "stage_id")
    def _compute_missing_items(self):
        for wizard in self:
            if not wizard.stage_id or not wizard.lead_ids:
                wizard.missing_items = False
                continue
            leads = wizard.lead_ids._origin.filtered(
                lambda lead, w=wizard: lead.stage_id != w.stage_id
            )
            missing = leads._funnel_missing_items(wizard.stage_id)
            breaks = leads._funnel_enforced()._funnel_rule_breaks(wizard.stage_id)
            wizard.missing_items = (
                leads._funnel_gate_message(missing, breaks)
                if missing or breaks
                else _("No open required items.")
            )

    def action_confirm(self):
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only sales managers can force a stage change."))
        if not (self.reason or "").strip():
            raise UserError(_("Give the reason for forcing the stage change."))
        self.lead_ids.with_context(**{GATE_FORCE_KEY: self.reason.strip()}).write(
            {"stage_id": self.stage_id.id}
        )
        return {"type": "ir.actions.act_window_close"}
