from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.tools import html2plaintext, is_html_empty

from ..models.crm_lead_handover_service import HANDOVER_DEAL_FIELDS


class CrmLeadHandover(models.TransientModel):
    _name = "crm.lead.handover"
    _description = "Hand Over to Delivery"

    lead_id = fields.Many2one("crm.lead", string="Opportunity", required=True, readonly=True)
    company_id = fields.Many2one("res.company", compute="_compute_company_id")
    currency_id = fields.Many2one(related="lead_id.company_currency")
    expected_revenue = fields.Monetary(
        related="lead_id.expected_revenue", currency_field="currency_id"
    )
    is_rerun = fields.Boolean(compute="_compute_is_rerun")

    # customer side
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_from_lead",
        store=True,
        readonly=False,
    )
    contact_ids = fields.Many2many(
        "res.partner",
        "crm_lead_handover_contact_rel",
        "wizard_id",
        "partner_id",
        string="Customer Contacts",
        compute="_compute_from_lead",
        store=True,
        readonly=False,
    )
    service_contact_id = fields.Many2one(
        "res.partner",
        help="Customer contact for after-sales service and delivery questions.",
    )

    # deal information
    contract_number = fields.Char(compute="_compute_from_lead", store=True, readonly=False)
    contract_signing_date = fields.Date(
        "Signing Date", compute="_compute_from_lead", store=True, readonly=False
    )
    contract_amount = fields.Monetary(
        currency_field="currency_id", compute="_compute_from_lead", store=True, readonly=False
    )
    payment_terms = fields.Char(compute="_compute_from_lead", store=True, readonly=False)
    service_period = fields.Char(compute="_compute_from_lead", store=True, readonly=False)
    delivery_deadline = fields.Date(compute="_compute_from_lead", store=True, readonly=False)

    # handover checklist (客户交接清单)
    need_background = fields.Text(compute="_compute_from_lead", store=True, readonly=False)
    special_requirements = fields.Text()
    delivery_manager_id = fields.Many2one(
        "res.users",
        compute="_compute_from_lead",
        store=True,
        readonly=False,
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "crm_lead_handover_attachment_rel",
        "wizard_id",
        "attachment_id",
        string="Documents",
        compute="_compute_from_lead",
        store=True,
        readonly=False,
        help="Documents of the opportunity (requirements list, negotiation minutes, "
        "contract) copied onto the delivery project.",
    )

    # target project
    project_mode = fields.Selection(
        [("new", "New project from template"), ("existing", "Existing project")],
        string="Target Project",
        default="new",
        required=True,
    )
    project_id = fields.Many2one(
        "project.project",
        domain="[('is_template', '=', False), ('company_id', 'in', [company_id, False])]",
        groups="project.group_project_user",
    )
    project_name = fields.Char(compute="_compute_project_name", store=True, readonly=False)

    line_ids = fields.One2many(
        "crm.lead.handover.line",
        "wizard_id",
        string="Tasks",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
    )

    # ------------------------------------------------------------
    # COMPUTES: prefilled from the opportunity
    # ------------------------------------------------------------

    @api.depends("lead_id")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard.lead_id.company_id or self.env.company

    @api.depends("lead_id")
    def _compute_is_rerun(self):
        for wizard in self:
            wizard.is_rerun = bool(wizard.lead_id.handover_date)

    @api.depends("lead_id")
    def _compute_from_lead(self):
        today = fields.Date.context_today(self)
        for wizard in self:
            lead = wizard.lead_id
            customer = lead.partner_id.commercial_partner_id
            wizard.partner_id = customer
            contacts = customer.child_ids.filtered(lambda p: p.type == "contact" and p.active)
            if lead.partner_id and lead.partner_id != customer:
                contacts |= lead.partner_id
            wizard.contact_ids = contacts[:20]
            wizard.contract_number = lead.contract_number
            wizard.contract_signing_date = lead.contract_signing_date or today
            wizard.contract_amount = lead.contract_amount or lead.expected_revenue
            wizard.payment_terms = lead.payment_terms
            wizard.service_period = lead.service_period
            wizard.delivery_deadline = lead.delivery_deadline
            wizard.need_background = (
                "" if is_html_empty(lead.description) else html2plaintext(lead.description)
            )
            wizard.delivery_manager_id = wizard._handover_previous_manager()
            wizard.attachment_ids = self.env["ir.attachment"].search(
                [("res_model", "=", "crm.lead"), ("res_id", "=", lead.id)]
            )

    @api.depends("partner_id", "lead_id")
    def _compute_project_name(self):
        for wizard in self:
            customer = wizard.partner_id.name
            deal = wizard.lead_id.name
            wizard.project_name = f"{customer} - {deal}" if customer else deal

    @api.depends("lead_id")
    def _compute_line_ids(self):
        for wizard in self:
            lead = wizard.lead_id
            if not lead:
                wizard.line_ids = False
                continue
            company = lead.company_id or self.env.company
            templates = self.env["crm.handover.task.template"]._handover_lines_for(company)
            tasks = wizard._handover_existing_tasks()
            by_template = {task.funnel_handover_line_id: task for task in tasks}
            signing = wizard.contract_signing_date or fields.Date.context_today(self)
            commands = [Command.clear()]
            for template in templates:
                task = by_template.pop(template, None)
                commands.append(Command.create(wizard._handover_line_vals(template, task, signing)))
            for task in by_template.values():  # tasks added by hand at a previous handover
                commands.append(Command.create(wizard._handover_line_vals(False, task, signing)))
            wizard.line_ids = commands

    def _handover_line_vals(self, template, task, signing):
        vals = {
            "template_id": template.id if template else False,
            "sequence": template.sequence if template else 100,
            "name": template.name if template else "",
            "deadline_days": template.deadline_days if template else 0,
            "description": template.description if template else False,
        }
        if task:
            vals["name"] = task.name
            if task.date_deadline:
                vals["deadline_days"] = max((task.date_deadline.date() - signing).days, 0)
        return vals

    def _handover_existing_tasks(self):
        """Tasks of a previous handover of the lead (sudo: matched for idempotency only)."""
        self.ensure_one()
        if not self.lead_id.handover_date:
            return self.env["project.task"]
        return (
            self.env["project.task"]
            .sudo()
            .with_context(active_test=False)
            .search([("funnel_lead_id", "=", self.lead_id.id)])
        )

    def _handover_previous_manager(self):
        self.ensure_one()
        if not self.lead_id.handover_date:
            return False
        # sudo: reads the project manager of the lead's own delivery project
        project = self.lead_id.sudo().handover_project_id
        return project.user_id.with_env(self.env)

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        lead = self.env["crm.lead"].browse(res.get("lead_id"))
        if lead:
            lead._handover_check_can_start()
        return res

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_confirm(self):
        """Hand the opportunity over with the values of the form (crm.lead.action_hand_over)."""
        self.ensure_one()
        # files uploaded in the wizard (the signed contract...) belong to the opportunity
        uploads = self.sudo().attachment_ids.filtered(self._handover_is_upload)
        if uploads:
            uploads.with_env(self.env).write({"res_model": "crm.lead", "res_id": self.lead_id.id})
        return self.lead_id.action_hand_over(self._handover_values())

    def _handover_values(self):
        """The form as the plain values of crm.lead.action_hand_over()."""
        self.ensure_one()
        return {
            **{fname: self[fname] for fname in HANDOVER_DEAL_FIELDS},
            "delivery_manager_id": self.delivery_manager_id.id,
            "partner_id": self.partner_id.id,
            "contact_ids": self.contact_ids.ids,
            "service_contact_id": self.service_contact_id.id,
            "need_background": self.need_background,
            "special_requirements": self.special_requirements,
            "attachment_ids": self.attachment_ids.ids,
            # sudo: the chosen project's id only; the lead checks the user may read it
            "project_id": self.sudo().project_id.id if self.project_mode == "existing" else False,
            "project_mode": self.project_mode,
            "project_name": self.project_name,
            "tasks": [
                {
                    "name": line.name,
                    "date_deadline": line.date_deadline,
                    "user_id": line.user_id.id,
                    "template_id": line.template_id.id,
                    "sequence": line.sequence,
                    "description": line.description,
                }
                for line in self.line_ids
            ],
        }

    def _handover_is_upload(self, attachment):
        """A file the user uploaded in this wizard (e.g. the signed contract)."""
        return (
            attachment.res_model == self._name
            and attachment.res_id in (0, self.id)
            and attachment.create_uid == self.env.user
        )


class CrmLeadHandoverLine(models.TransientModel):
    _name = "crm.lead.handover.line"
    _description = "Handover Task Line"
    _order = "sequence, id"

    wizard_id = fields.Many2one("crm.lead.handover", required=True, ondelete="cascade")
    template_id = fields.Many2one("crm.handover.task.template", string="Template Line")
    sequence = fields.Integer(default=10)
    name = fields.Char("Task", required=True)
    deadline_days = fields.Integer("Days After Signing", default=0)
    date_deadline = fields.Date(
        "Deadline", compute="_compute_date_deadline", store=True, readonly=False
    )
    user_id = fields.Many2one(
        "res.users",
        string="Assignee",
        compute="_compute_user_id",
        store=True,
        readonly=False,
        domain="[('share', '=', False)]",
    )
    description = fields.Text()

    @api.depends("deadline_days", "wizard_id.contract_signing_date")
    def _compute_date_deadline(self):
        for line in self:
            signing = line.wizard_id.contract_signing_date
            line.date_deadline = signing and signing + timedelta(days=line.deadline_days)

    @api.depends("wizard_id.delivery_manager_id")
    def _compute_user_id(self):
        for line in self:
            line.user_id = line.wizard_id.delivery_manager_id
