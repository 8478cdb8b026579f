from odoo import _, fields, models


class ProjectTask(models.Model):
    _inherit = "project.task"

    funnel_lead_id = fields.Many2one(
        "crm.lead",
        string="Opportunity",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        groups="sales_team.group_sale_salesman",
        help="Won opportunity this delivery task was handed over from.",
    )
    funnel_lead_readable = fields.Boolean(
        "Opportunity Readable",
        compute="_compute_funnel_lead_readable",
        help="The current user may open the opportunity of this task.",
    )
    funnel_handover_line_id = fields.Many2one(
        "crm.handover.task.template",
        string="Handover Template Line",
        copy=False,
        readonly=True,
        ondelete="set null",
        groups="sales_team.group_sale_salesman",
    )

    _funnel_handover_line_unique = models.UniqueIndex(
        "(funnel_lead_id, funnel_handover_line_id) "
        "WHERE funnel_lead_id IS NOT NULL AND funnel_handover_line_id IS NOT NULL",
        "An opportunity has only one delivery task per handover template line.",
    )

    def _compute_funnel_lead_readable(self):
        # sudo: reads only which lead each task links to; the answer is the user's own
        # read access to those leads (checked without sudo below)
        leads = self.sudo().funnel_lead_id.with_env(self.env)
        readable = leads._filtered_access("read")
        for task in self:
            task.funnel_lead_readable = task.sudo().funnel_lead_id in readable

    def action_open_funnel_lead(self):
        """Open the opportunity of this task; access rights of the lead apply."""
        self.ensure_one()
        self.funnel_lead_id.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": _("Opportunity"),
            "res_model": "crm.lead",
            "view_mode": "form",
            "views": [(False, "form")],
            "res_id": self.funnel_lead_id.id,
        }
