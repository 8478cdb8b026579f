from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import Command, _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, format_date, html2plaintext, is_html_empty, plaintext2html

# Sanity bound for the signing date: a contract is recorded once signed, so a date
# further ahead than this is a typo (e.g. wrong year), not a real signature.
HANDOVER_MAX_SIGNING_AHEAD_DAYS = 30
# Task deadlines are due at this local hour of the delivery manager on the deadline day.
HANDOVER_TASK_DEADLINE_HOUR = 18


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
        """Create / update the delivery project and tasks in one transaction."""
        self.ensure_one()
        lead = self.lead_id
        lead._handover_check_can_start()  # also checks the user can write the lead
        self._handover_validate()
        company = lead.company_id or self.env.company
        project = self._handover_project(company)
        tasks = self._handover_tasks(project, company)
        documents = self._handover_copy_documents(project)
        self._handover_post_summary(project, tasks, documents)
        self._handover_schedule_meeting(project)
        lead.write(self._handover_lead_vals())
        # sudo: the project was just created/checked for this lead (see _handover_project);
        # the field is restricted to project users, the salesman writes it through us
        lead.sudo().handover_project_id = project
        action = {"type": "ir.actions.act_window_close"}
        if lead.won_status != "won":
            # "handover required before won": confirming the handover marks it won, with
            # CRM's celebration (the web client plays an action's effect)
            won = lead.action_set_won_rainbowman()
            if isinstance(won, dict) and won.get("effect"):
                action["effect"] = won["effect"]
        return action

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _handover_validate(self):
        lead = self.lead_id
        company = lead.company_id or self.env.company
        today = fields.Date.context_today(self)
        manager = self.delivery_manager_id
        if not manager:
            raise ValidationError(_("Choose the delivery manager who receives the handover."))
        if manager.share or company not in manager.company_ids:
            raise ValidationError(
                _(
                    "The delivery manager %(user)s has no access to the company %(company)s.",
                    user=manager.name,
                    company=company.name,
                )
            )
        if not manager.has_group("project.group_project_user"):
            raise ValidationError(
                _(
                    "The delivery manager %(user)s has no access to Project: give them "
                    "Project rights or choose another delivery manager.",
                    user=manager.name,
                )
            )
        if not self.contract_signing_date:
            raise ValidationError(_("Enter the contract signing date."))
        bound = today + timedelta(days=HANDOVER_MAX_SIGNING_AHEAD_DAYS)
        if self.contract_signing_date > bound:
            raise ValidationError(
                _(
                    "The signing date %(date)s is more than %(days)s days ahead: "
                    "record the contract once it is signed.",
                    date=self.contract_signing_date,
                    days=HANDOVER_MAX_SIGNING_AHEAD_DAYS,
                )
            )
        if self.contract_amount < 0:
            raise ValidationError(_("The contract amount cannot be negative."))
        if self.delivery_deadline and self.delivery_deadline < self.contract_signing_date:
            raise ValidationError(_("The delivery deadline cannot be before the signing date."))
        for line in self.line_ids:
            if not (line.name or "").strip():
                raise ValidationError(_("Every handover task needs a name."))
            if not line.date_deadline or line.date_deadline < self.contract_signing_date:
                raise ValidationError(
                    _(
                        "The deadline of the task %(task)s cannot be before the signing date.",
                        task=line.name,
                    )
                )
            if line.user_id and (line.user_id.share or company not in line.user_id.company_ids):
                raise ValidationError(
                    _(
                        "The assignee %(user)s of the task %(task)s has no access to the "
                        "company %(company)s.",
                        user=line.user_id.name,
                        task=line.name,
                        company=company.name,
                    )
                )
        # sudo: only reads where the chosen attachments belong, to refuse foreign ones
        bad_documents = self.sudo().attachment_ids.filtered(
            lambda att: (
                not (att.res_model == "crm.lead" and att.res_id == lead.id)
                and not self._handover_is_upload(att)
            )
        )
        if bad_documents:
            raise ValidationError(
                _(
                    "Only documents attached to the opportunity %(lead)s can be handed over.",
                    lead=lead.display_name,
                )
            )
        self.attachment_ids.check_access("read")

    def _handover_is_upload(self, attachment):
        """A file the user uploaded in this wizard (e.g. the signed contract)."""
        return (
            attachment.res_model == self._name
            and attachment.res_id in (0, self.id)
            and attachment.create_uid == self.env.user
        )

    def _handover_project(self, company):
        """The delivery project: the lead's previous one, the chosen one or a new one.

        sudo() is safe here: action_confirm() has checked that the user can write the
        opportunity; the project is created for this lead only, in the lead's company,
        managed by the delivery manager; nothing of it is returned to the user.
        """
        lead = self.lead_id
        Project = self.env["project.project"].sudo().with_company(company)
        project = lead.sudo().handover_project_id
        if project:
            return project
        if self.project_mode == "existing":
            project = self.sudo().project_id
            if not project:
                raise ValidationError(_("Choose the existing project to hand over to."))
            # the user chose it: it must be a project they can read
            project.with_env(self.env).check_access("read")
            if project.company_id and project.company_id != company:
                raise ValidationError(
                    _(
                        "The project %(project)s belongs to another company than the opportunity.",
                        project=project.display_name,
                    )
                )
            project.message_subscribe(partner_ids=self.delivery_manager_id.partner_id.ids)
            return project
        values = {
            "name": self.project_name or lead.name,
            "partner_id": self.partner_id.id,
            "company_id": company.id,
            "user_id": self.delivery_manager_id.id,
            "date_start": self.contract_signing_date,
            "date": self.delivery_deadline,
        }
        template = company._handover_template_project()
        # nosubscribe: the salesman must not become a follower (followers read the project)
        ctx = {
            "mail_create_nolog": True,
            "mail_create_nosubscribe": True,
            "mail_auto_subscribe_no_notify": True,
        }
        if template:
            project = (
                template.with_context(**ctx)
                .with_company(company)
                .action_create_from_template(values=values)
            )
        else:
            project = Project.with_context(**ctx).create(values)
        project.message_subscribe(partner_ids=self.delivery_manager_id.partner_id.ids)
        return project

    def _handover_tasks(self, project, company):
        """Create or update the tasks (sudo: see _handover_project), matched by template line."""
        lead = self.lead_id
        Task = (
            self.env["project.task"]
            .sudo()
            .with_company(company)
            .with_context(
                mail_create_nolog=True,
                mail_create_nosubscribe=True,
                mail_auto_subscribe_no_notify=True,
            )
        )
        existing = Task.with_context(active_test=False).search([("funnel_lead_id", "=", lead.id)])
        by_template = {t.funnel_handover_line_id: t for t in existing if t.funnel_handover_line_id}
        by_name = {t.name: t for t in existing if not t.funnel_handover_line_id}
        to_create = []
        result = Task.browse()
        for line in self.line_ids:
            user = line.user_id or self.delivery_manager_id
            deadline = self._handover_task_deadline(line.date_deadline, user)
            task = by_template.get(line.template_id) if line.template_id else by_name.get(line.name)
            if task:
                vals = {"name": line.name, "date_deadline": deadline}
                if user not in task.user_ids:
                    vals["user_ids"] = [Command.link(user.id)]
                if task.project_id != project:
                    vals["project_id"] = project.id
                task.write(vals)
                result |= task
                continue
            to_create.append(
                {
                    "name": line.name,
                    "project_id": project.id,
                    "company_id": company.id,
                    "partner_id": self.partner_id.id,
                    "user_ids": [Command.set(user.ids)],
                    "date_deadline": deadline,
                    "sequence": line.sequence,
                    "description": line.description and plaintext2html(line.description),
                    "funnel_lead_id": lead.id,
                    "funnel_handover_line_id": line.template_id.id,
                }
            )
        if to_create:
            created = Task.create(to_create)
            # project.task always subscribes its creator; followers may read the task,
            # so the salesman (unless on the delivery team) is removed again
            partner = self.env.user.partner_id
            created.filtered(lambda t: self.env.user not in t.user_ids).message_unsubscribe(
                partner_ids=partner.ids
            )
            result |= created
        return result

    @api.model
    def _handover_task_deadline(self, day, user):
        """Deadline datetime (UTC) of a task due on ``day``, in the assignee's timezone."""
        tz = pytz.timezone(user.tz or self.env.user.tz or "UTC")
        local = tz.localize(datetime.combine(day, time(HANDOVER_TASK_DEADLINE_HOUR)))
        return local.astimezone(pytz.UTC).replace(tzinfo=None)

    def _handover_copy_documents(self, project):
        """Copy the chosen documents onto the project; already copied ones are skipped."""
        if not self.attachment_ids:
            return self.env["ir.attachment"]
        # files uploaded in the wizard (the contract...) are kept on the opportunity too
        uploads = self.sudo().attachment_ids.filtered(self._handover_is_upload)
        if uploads:
            uploads.with_env(self.env).write({"res_model": "crm.lead", "res_id": self.lead_id.id})
        # sudo: the user can read these attachments (checked in _handover_validate) and
        # the project is the lead's delivery project (see _handover_project)
        Attachment = self.env["ir.attachment"].sudo()
        present = {
            (att.name, att.checksum)
            for att in Attachment.search(
                [("res_model", "=", "project.project"), ("res_id", "=", project.id)]
            )
        }
        copies = Attachment.browse()
        for attachment in self.attachment_ids.sudo():
            if (attachment.name, attachment.checksum) in present:
                continue
            copies |= attachment.copy({"res_model": "project.project", "res_id": project.id})
        return copies

    def _handover_post_summary(self, project, tasks, documents):
        """Post the handover summary (客户交接清单) as a note in the project's chatter."""
        body = self._handover_summary_html(tasks)
        # sudo: see _handover_project; the note is authored by the current user
        project.sudo().with_context(mail_post_autofollow_author_skip=True).message_post(
            body=body,
            subject=_("Handover: %(deal)s", deal=self.lead_id.name),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            attachment_ids=documents.ids,
        )

    def _handover_summary_html(self, tasks):
        """The customer handover checklist as HTML (values escaped by Markup)."""
        lead = self.lead_id
        amount = format_amount(self.env, self.contract_amount, self.currency_id)

        def date(value):
            return format_date(self.env, value) if value else "-"

        rows = [
            (_("Customer"), self.partner_id.display_name or "-"),
            (_("Contract number"), self.contract_number or "-"),
            (_("Signing date"), date(self.contract_signing_date)),
            (_("Contract amount"), amount),
            (_("Payment terms"), self.payment_terms or "-"),
            (_("Service period"), self.service_period or "-"),
            (_("Delivery deadline"), date(self.delivery_deadline)),
            (_("Salesperson"), lead.user_id.name or "-"),
            (_("Delivery manager"), self.delivery_manager_id.name),
            (_("Service contact"), self.service_contact_id.display_name or "-"),
            (_("Customer contacts"), ", ".join(self.contact_ids.mapped("display_name")) or "-"),
        ]
        parts = [
            Markup("<p><strong>%s</strong>: %s</p><ul>")
            % (_("Customer handover checklist"), lead.name),
            *(Markup("<li>%s: %s</li>") % row for row in rows),
            Markup("</ul>"),
        ]
        for title, text in (
            (_("Need background"), self.need_background),
            (_("Special requirements"), self.special_requirements),
        ):
            if text:
                parts.append(Markup("<p><strong>%s</strong></p>") % title)
                parts.append(plaintext2html(text))
        if tasks:
            parts.append(Markup("<p><strong>%s</strong></p><ul>") % _("Delivery tasks"))
            for task in tasks.sorted("date_deadline"):
                deadline = task.date_deadline and format_date(self.env, task.date_deadline)
                users = ", ".join(task.user_ids.mapped("name"))
                parts.append(Markup("<li>%s (%s, %s)</li>") % (task.name, deadline or "-", users))
            parts.append(Markup("</ul>"))
        return Markup("").join(parts)

    def _handover_schedule_meeting(self, project):
        """Handover meeting activity for the delivery manager (one per project)."""
        today = fields.Date.context_today(self)
        activity_type = self.env.ref("sales_funnel_std.mail_activity_type_handover_meeting")
        # due the type's delay after signing (data default: 3 days, playbook 阶段三)
        delay = relativedelta(**{activity_type.delay_unit: activity_type.delay_count})
        deadline = max(self.contract_signing_date + delay, today)
        # sudo: see _handover_project
        project = project.sudo()
        meeting = project.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        summary = _("Handover meeting: %(deal)s", deal=self.lead_id.name)
        if meeting:
            meeting[:1].write(
                {
                    "date_deadline": deadline,
                    "user_id": self.delivery_manager_id.id,
                    "summary": summary,
                }
            )
            return meeting[:1]
        return project.with_context(mail_activity_quick_update=True).activity_schedule(
            activity_type_id=activity_type.id,
            date_deadline=deadline,
            summary=summary,
            user_id=self.delivery_manager_id.id,
        )

    def _handover_lead_vals(self):
        return {
            "contract_number": self.contract_number,
            "contract_signing_date": self.contract_signing_date,
            "contract_amount": self.contract_amount,
            "payment_terms": self.payment_terms,
            "service_period": self.service_period,
            "delivery_deadline": self.delivery_deadline,
            "handover_user_id": self.env.user.id,
            "handover_date": fields.Datetime.now(),
        }


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
