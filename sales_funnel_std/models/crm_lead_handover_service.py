"""Handing a won deal over to delivery (客户交接清单): a service of ``crm.lead``.

``crm.lead.action_hand_over(values)`` does the whole handover from plain values, so RPC,
automation, the demo data and the wizard (``wizards/crm_lead_handover.py``, a form that
gathers the values) all hand over the same way.
"""

from datetime import datetime, time, timedelta

import pytz
from dateutil.relativedelta import relativedelta

from odoo import Command, _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_amount, format_date, plaintext2html

# Sanity bound for the signing date: a contract is recorded once signed, so a date
# further ahead than this is a typo (e.g. wrong year), not a real signature.
HANDOVER_MAX_SIGNING_AHEAD_DAYS = 30
# Task deadlines are due at this local hour of the delivery manager on the deadline day.
HANDOVER_TASK_DEADLINE_HOUR = 18
# The values action_hand_over() reads (see its docstring)
HANDOVER_DEAL_FIELDS = (
    "contract_number",
    "contract_signing_date",
    "contract_amount",
    "payment_terms",
    "service_period",
    "delivery_deadline",
)


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_hand_over(self, values):
        """Hand this opportunity over to delivery; returns the action the web client plays.

        ``values`` (plain values, as RPC sends them):

        - deal: ``contract_number``, ``contract_signing_date`` (required),
          ``contract_amount``, ``payment_terms``, ``service_period``, ``delivery_deadline``;
        - people: ``delivery_manager_id`` (required, a Project user of the lead's company),
          ``partner_id`` (customer, default the lead's), ``contact_ids``,
          ``service_contact_id``;
        - checklist: ``need_background``, ``special_requirements``, ``attachment_ids``
          (documents of the opportunity copied onto the project);
        - project: ``project_mode`` "existing" with ``project_id``, or "new" (default)
          with ``project_name`` (a new project from the template project); a lead handed
          over before keeps its project;
        - ``tasks``: ``[{"name", "date_deadline", "user_id", "template_id", "sequence",
          "description"}]``, matched with the tasks of a previous handover (by template
          line, else by name): a re-run updates, never duplicates.

        Creates or updates the project and its tasks, copies the documents, posts the
        summary on the project, schedules the handover meeting, stores the deal on the
        lead. Under "handover required before won" it then marks the deal won and returns
        CRM's celebration.
        """
        self.ensure_one()
        self._handover_check_can_start()  # also checks the user can write the lead
        values = self._handover_normalize(values)
        self._handover_validate(values)
        company = self.company_id or self.env.company
        project = self._handover_project(values, company)
        tasks = self._handover_tasks(values, project, company)
        documents = self._handover_copy_documents(values, project)
        self._handover_post_summary(values, project, tasks, documents)
        self._handover_schedule_meeting(values, project)
        self.write(
            {
                **{fname: values[fname] for fname in HANDOVER_DEAL_FIELDS},
                "handover_user_id": self.env.user.id,
                "handover_date": fields.Datetime.now(),
            }
        )
        # sudo: the project was just created/checked for this lead (see _handover_project);
        # the field is restricted to project users, the salesman writes it through us
        self.sudo().handover_project_id = project
        action = {"type": "ir.actions.act_window_close"}
        if self.won_status != "won":
            # "handover required before won": confirming the handover marks it won, with
            # CRM's celebration (the web client plays an action's effect)
            won = self.action_set_won_rainbowman()
            if isinstance(won, dict) and won.get("effect"):
                action["effect"] = won["effect"]
        return action

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _handover_normalize(self, values):
        """Records instead of ids, the lead's defaults where a value is missing."""
        env = self.env
        users, partners = env["res.users"], env["res.partner"]
        tasks = []
        for task in values.get("tasks") or ():
            tasks.append(
                {
                    "name": (task.get("name") or "").strip(),
                    "date_deadline": fields.Date.to_date(task.get("date_deadline")),
                    "user": users.browse(task.get("user_id") or ()),
                    "template": env["crm.handover.task.template"].browse(
                        task.get("template_id") or ()
                    ),
                    "sequence": task.get("sequence", 10),
                    "description": task.get("description") or False,
                }
            )
        return {
            **{fname: values.get(fname) or False for fname in HANDOVER_DEAL_FIELDS},
            "contract_signing_date": fields.Date.to_date(values.get("contract_signing_date")),
            "delivery_deadline": fields.Date.to_date(values.get("delivery_deadline")),
            "contract_amount": values.get("contract_amount") or 0.0,
            "delivery_manager": users.browse(values.get("delivery_manager_id") or ()),
            "partner": partners.browse(values.get("partner_id") or ())
            or self.partner_id.commercial_partner_id,
            "contacts": partners.browse(values.get("contact_ids") or ()),
            "service_contact": partners.browse(values.get("service_contact_id") or ()),
            "need_background": values.get("need_background") or False,
            "special_requirements": values.get("special_requirements") or False,
            "attachments": env["ir.attachment"].browse(values.get("attachment_ids") or ()),
            "project_mode": values.get("project_mode") or "new",
            "project": env["project.project"].browse(values.get("project_id") or ()),
            "project_name": values.get("project_name") or False,
            "tasks": tasks,
        }

    def _handover_validate(self, values):
        """Clear, translated errors for bad input, before anything is written."""
        company = self.company_id or self.env.company
        today = fields.Date.context_today(self)
        manager = values["delivery_manager"]
        signing = values["contract_signing_date"]
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
        if not signing:
            raise ValidationError(_("Enter the contract signing date."))
        bound = today + timedelta(days=HANDOVER_MAX_SIGNING_AHEAD_DAYS)
        if signing > bound:
            raise ValidationError(
                _(
                    "The signing date %(date)s is more than %(days)s days ahead: "
                    "record the contract once it is signed.",
                    date=signing,
                    days=HANDOVER_MAX_SIGNING_AHEAD_DAYS,
                )
            )
        if values["contract_amount"] < 0:
            raise ValidationError(_("The contract amount cannot be negative."))
        if values["delivery_deadline"] and values["delivery_deadline"] < signing:
            raise ValidationError(_("The delivery deadline cannot be before the signing date."))
        for task in values["tasks"]:
            if not task["name"]:
                raise ValidationError(_("Every handover task needs a name."))
            if not task["date_deadline"] or task["date_deadline"] < signing:
                raise ValidationError(
                    _(
                        "The deadline of the task %(task)s cannot be before the signing date.",
                        task=task["name"],
                    )
                )
            user = task["user"]
            if user and (user.share or company not in user.company_ids):
                raise ValidationError(
                    _(
                        "The assignee %(user)s of the task %(task)s has no access to the "
                        "company %(company)s.",
                        user=user.name,
                        task=task["name"],
                        company=company.name,
                    )
                )
        # sudo: only reads where the chosen attachments belong, to refuse foreign ones
        foreign = (
            values["attachments"]
            .sudo()
            .filtered(lambda att: not (att.res_model == "crm.lead" and att.res_id == self.id))
        )
        if foreign:
            raise ValidationError(
                _(
                    "Only documents attached to the opportunity %(lead)s can be handed over.",
                    lead=self.display_name,
                )
            )
        values["attachments"].check_access("read")

    def _handover_project(self, values, company):
        """The delivery project: the lead's previous one, the chosen one or a new one.

        sudo() is safe here: action_hand_over() has checked that the user can write the
        opportunity; the project is created for this lead only, in the lead's company,
        managed by the delivery manager; nothing of it is returned to the user.
        """
        Project = self.env["project.project"].sudo().with_company(company)
        manager = values["delivery_manager"]
        project = self.sudo().handover_project_id
        if project:
            return project
        project = values["project"]
        if values["project_mode"] == "existing" and not project:
            raise ValidationError(_("Choose the existing project to hand over to."))
        if project:
            # the user chose it: it must be a project they can read
            project.check_access("read")
            project = project.sudo()
            if project.company_id and project.company_id != company:
                raise ValidationError(
                    _(
                        "The project %(project)s belongs to another company than the opportunity.",
                        project=project.display_name,
                    )
                )
            project.message_subscribe(partner_ids=manager.partner_id.ids)
            return project
        project_values = {
            "name": values["project_name"] or self.name,
            "partner_id": values["partner"].id,
            "company_id": company.id,
            "user_id": manager.id,
            "date_start": values["contract_signing_date"],
            "date": values["delivery_deadline"],
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
                .action_create_from_template(values=project_values)
            )
        else:
            project = Project.with_context(**ctx).create(project_values)
        project.message_subscribe(partner_ids=manager.partner_id.ids)
        return project

    def _handover_tasks(self, values, project, company):
        """Create or update the tasks (sudo: see _handover_project), matched by template line."""
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
        existing = Task.with_context(active_test=False).search([("funnel_lead_id", "=", self.id)])
        by_template = {t.funnel_handover_line_id: t for t in existing if t.funnel_handover_line_id}
        by_name = {t.name: t for t in existing if not t.funnel_handover_line_id}
        to_create = []
        result = Task.browse()
        for line in values["tasks"]:
            user = line["user"] or values["delivery_manager"]
            deadline = self._handover_task_deadline(line["date_deadline"], user)
            template = line["template"]
            task = by_template.get(template) if template else by_name.get(line["name"])
            if task:
                vals = {"name": line["name"], "date_deadline": deadline}
                if user not in task.user_ids:
                    vals["user_ids"] = [Command.link(user.id)]
                if task.project_id != project:
                    vals["project_id"] = project.id
                task.write(vals)
                result |= task
                continue
            to_create.append(
                {
                    "name": line["name"],
                    "project_id": project.id,
                    "company_id": company.id,
                    "partner_id": values["partner"].id,
                    "user_ids": [Command.set(user.ids)],
                    "date_deadline": deadline,
                    "sequence": line["sequence"],
                    "description": line["description"] and plaintext2html(line["description"]),
                    "funnel_lead_id": self.id,
                    "funnel_handover_line_id": template.id,
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

    def _handover_copy_documents(self, values, project):
        """Copy the chosen documents onto the project; already copied ones are skipped."""
        attachments = values["attachments"]
        if not attachments:
            return self.env["ir.attachment"]
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
        for attachment in attachments.sudo():
            if (attachment.name, attachment.checksum) in present:
                continue
            copies |= attachment.copy({"res_model": "project.project", "res_id": project.id})
        return copies

    def _handover_post_summary(self, values, project, tasks, documents):
        """Post the handover summary (客户交接清单, a QWeb template) on the project."""
        body = self.env["ir.qweb"]._render(
            "sales_funnel_std.handover_summary",
            self._handover_summary_values(values, tasks),
            minimal_qcontext=True,
        )
        # sudo: see _handover_project; the note is authored by the current user
        project.sudo().with_context(mail_post_autofollow_author_skip=True).message_post(
            body=body,
            subject=_("Handover: %(deal)s", deal=self.name),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
            attachment_ids=documents.ids,
        )

    def _handover_summary_values(self, values, tasks):
        """What the summary template shows, formatted in the user's language."""

        def date(value):
            return format_date(self.env, value) if value else "-"

        return {
            "deal": self.name,
            "rows": [
                (_("Customer"), values["partner"].display_name or "-"),
                (_("Contract number"), values["contract_number"] or "-"),
                (_("Signing date"), date(values["contract_signing_date"])),
                (
                    _("Contract amount"),
                    format_amount(self.env, values["contract_amount"], self.company_currency),
                ),
                (_("Payment terms"), values["payment_terms"] or "-"),
                (_("Service period"), values["service_period"] or "-"),
                (_("Delivery deadline"), date(values["delivery_deadline"])),
                (_("Salesperson"), self.user_id.name or "-"),
                (_("Delivery manager"), values["delivery_manager"].name),
                (_("Service contact"), values["service_contact"].display_name or "-"),
                (
                    _("Customer contacts"),
                    ", ".join(values["contacts"].mapped("display_name")) or "-",
                ),
            ],
            "need_background": values["need_background"]
            and plaintext2html(values["need_background"]),
            "special_requirements": values["special_requirements"]
            and plaintext2html(values["special_requirements"]),
            "tasks": [
                (
                    task.name,
                    (task.date_deadline and format_date(self.env, task.date_deadline)) or "-",
                    ", ".join(task.user_ids.mapped("name")),
                )
                for task in tasks.sorted("date_deadline")
            ],
        }

    def _handover_schedule_meeting(self, values, project):
        """Handover meeting activity for the delivery manager (one per project)."""
        today = fields.Date.context_today(self)
        activity_type = self.env.ref("sales_funnel_std.mail_activity_type_handover_meeting")
        # due the type's delay after signing (data default: 3 days, playbook 阶段三)
        delay = relativedelta(**{activity_type.delay_unit: activity_type.delay_count})
        deadline = max(values["contract_signing_date"] + delay, today)
        manager = values["delivery_manager"]
        # sudo: see _handover_project
        project = project.sudo()
        meeting = project.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
        summary = _("Handover meeting: %(deal)s", deal=self.name)
        if meeting:
            meeting[:1].write(
                {"date_deadline": deadline, "user_id": manager.id, "summary": summary}
            )
            return meeting[:1]
        return project.with_context(mail_activity_quick_update=True).activity_schedule(
            activity_type_id=activity_type.id,
            date_deadline=deadline,
            summary=summary,
            user_id=manager.id,
        )
