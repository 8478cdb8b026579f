from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Deal information (recorded at handover, 成交信息)
    contract_number = fields.Char(copy=False, tracking=True)
    contract_signing_date = fields.Date("Signing Date", copy=False, tracking=True)
    contract_amount = fields.Monetary(currency_field="company_currency", copy=False, tracking=True)
    payment_terms = fields.Char(copy=False)
    service_period = fields.Char(copy=False)
    delivery_deadline = fields.Date(copy=False)

    # Handover to delivery (客户交接清单)
    handover_state = fields.Selection(
        [("todo", "To Hand Over"), ("done", "Handed Over")],
        string="Handover",
        compute="_compute_handover_state",
        store=True,
        index="btree_not_null",
        copy=False,
        tracking=True,
        help="To Hand Over: won, delivery not yet informed. Handed Over: the handover "
        "to delivery was confirmed. Empty while the opportunity is not won.",
    )
    handover_user_id = fields.Many2one(
        "res.users", string="Handed Over By", copy=False, readonly=True
    )
    handover_date = fields.Datetime("Handed Over On", copy=False, readonly=True)
    handover_project_id = fields.Many2one(
        "project.project",
        string="Delivery Project",
        copy=False,
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        groups="project.group_project_user",
    )
    handover_task_ids = fields.One2many(
        comodel_name="project.task",
        inverse_name="funnel_lead_id",
        string="Delivery Tasks",
        groups="project.group_project_user",
    )
    handover_task_count = fields.Integer(
        "Delivery Task Count", compute="_compute_handover_task_count"
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("won_status", "handover_date")
    def _compute_handover_state(self):
        for lead in self:
            if lead.handover_date:
                lead.handover_state = "done"
            elif lead.won_status == "won":
                lead.handover_state = "todo"
            else:
                lead.handover_state = False

    def _compute_handover_task_count(self):
        # sudo: a count of the tasks of leads the user can already read; the task
        # records themselves stay behind project access rights (buttons are for
        # project users only)
        counts = dict(
            self.env["project.task"]
            .sudo()
            ._read_group([("funnel_lead_id", "in", self.ids)], ["funnel_lead_id"], ["__count"])
        )
        for lead in self:
            lead.handover_task_count = counts.get(lead._origin, 0)

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_set_won_rainbowman(self):
        """The Won button. Returns what CRM returns (its rainbow man effect, or True), so
        every caller keeps CRM's behaviour; the handover wizard then opens from the web
        client when due (``get_funnel_handover_action``). Only "handover required before
        won" on an adopted team changes it: the wizard opens instead, its confirmation
        wins the deal."""
        self.ensure_one()
        company = self.company_id or self.env.company
        if (
            company.handover_required_for_won
            and self.handover_state != "done"
            and self._funnel_enforced()
        ):
            return self.action_open_handover_wizard()
        return super().action_set_won_rainbowman()

    def get_funnel_handover_action(self):
        """The handover wizard to open after the web client won this lead (Won button,
        kanban drag, form status bar) when the company opens it on won and the lead's
        team adopted the standard funnel; False otherwise
        (static/src/js/handover_on_won.js)."""
        self.ensure_one()
        company = self.company_id or self.env.company
        if (
            not company.handover_open_on_won
            or not self._funnel_enforced()
            or self.handover_state != "todo"
            or self.type != "opportunity"
            or not self.active
        ):
            return False
        return self.action_open_handover_wizard()

    def action_open_handover_wizard(self):
        """Open the "Hand over to delivery" wizard (客户交接清单) on this opportunity."""
        self.ensure_one()
        self._handover_check_can_start()
        return {
            "type": "ir.actions.act_window",
            "name": _("Hand Over to Delivery"),
            "res_model": "crm.lead.handover",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "new",
            "context": {"default_lead_id": self.id, "dialog_size": "extra-large"},
        }

    def action_view_handover_project(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Delivery Project"),
            "res_model": "project.project",
            "view_mode": "form",
            "views": [(False, "form")],
            "res_id": self.handover_project_id.id,
        }

    def action_view_handover_tasks(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("project.action_view_all_task")
        # the web client titles the view (breadcrumb) with display_name, not name
        action["name"] = action["display_name"] = _("Delivery Tasks")
        action["domain"] = [("funnel_lead_id", "=", self.id)]
        action["context"] = {
            "default_funnel_lead_id": self.id,
            "default_project_id": self.handover_project_id.id,
        }
        return action

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _handover_check_can_start(self):
        """Raise unless the current user may hand this opportunity over now."""
        self.ensure_one()
        self.check_access("write")
        company = self.company_id or self.env.company
        if self.type != "opportunity" or not self.active:
            raise UserError(
                _(
                    "Only an active opportunity can be handed over to delivery (%(lead)s).",
                    lead=self.display_name,
                )
            )
        if self.won_status != "won" and not company.handover_required_for_won:
            raise UserError(
                _(
                    "Mark the opportunity %(lead)s as won before handing it over to delivery.",
                    lead=self.display_name,
                )
            )

    def _handover_check_won_allowed(self, stage_id):
        """Write pipeline, step 2: "handover required before won" (adopted teams): no move
        into a won stage before the handover (the wizard hands over, then wins)."""
        stage = self.env["crm.stage"].browse(stage_id)
        if not stage.is_won:
            return
        blocked = self._funnel_enforced().filtered(
            lambda lead: (
                lead.handover_state != "done"
                and not lead.stage_id.is_won
                and (lead.company_id or self.env.company).handover_required_for_won
            )
        )
        if blocked:
            raise UserError(
                _(
                    "Hand the opportunity over to delivery before marking it as won: "
                    "%(leads)s. Use the Won button to open the handover.",
                    leads=", ".join(blocked.mapped("display_name")),
                )
            )
