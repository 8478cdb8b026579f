from odoo import api, fields, models

OBJECTION_CLEAR_FIELD = "objection_clear"


class CrmLead(models.Model):
    _inherit = "crm.lead"

    objection_ids = fields.One2many("crm.lead.objection", "lead_id", "Objections")
    # stored: kanban cards, filters and the checklist's "No open objection" item read them
    # with the lead; recomputed by the ORM when an objection is added, answered, resolved
    objection_open_count = fields.Integer(
        "Open Objections",
        compute="_compute_objection_counts",
        store=True,
        precompute=True,
        help="Customer objections not resolved yet.",
    )
    objection_clear = fields.Boolean(
        "No Open Objection",
        compute="_compute_objection_counts",
        store=True,
        precompute=True,
        help="Every customer objection is resolved (a checklist item of the negotiation "
        "stage can require it).",
    )
    objection_overdue = fields.Boolean(
        compute="_compute_objection_overdue",
        search="_search_objection_overdue",
        help="An objection was not answered before its deadline.",
    )

    @api.depends("objection_ids.state")
    def _compute_objection_counts(self):
        for lead in self:
            count = sum(objection.state != "resolved" for objection in lead.objection_ids)
            lead.objection_open_count = count
            lead.objection_clear = not count

    def _compute_objection_overdue(self):
        overdue = set()
        open_leads = self.filtered("objection_open_count")
        if open_leads.ids:
            # sudo: one flag per lead the user reads; no objection value is returned
            groups = (
                self.env["crm.lead.objection"]
                .sudo()
                ._read_group(
                    [("lead_id", "in", open_leads.ids), ("is_overdue", "=", True)], ["lead_id"]
                )
            )
            overdue = {lead.id for (lead,) in groups}
        for lead in self:
            lead.objection_overdue = lead.id in overdue

    def _search_objection_overdue(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        domain = [("objection_ids", "any", [("is_overdue", "=", True)])]
        return domain if (operator == "=") == bool(value) else ["!", *domain]

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_view_objections(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_funnel_std.crm_lead_objection_action"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"default_lead_id": self.id, "search_default_filter_not_resolved": 1}
        return action

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _objection_refresh_checklist(self):
        """Objections changed: the "No open objection" checklist lines follow (same path
        as a lead field written, see the write pipeline's step 8)."""
        self._funnel_refresh_field_lines({OBJECTION_CLEAR_FIELD: True})
