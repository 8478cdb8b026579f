"""Won-deal handover (客户交接清单): wizard, project and tasks, access, bad input."""

import base64
from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, new_test_user, users

from .common import FunnelCase

TODAY = "2026-03-02 02:00:00"  # 10:00 in Shanghai
SIGNING = date(2026, 3, 2)


class TestHandover(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Handover is tested on its own: the standard checklists are made optional (rules
        # are data), so deals reach won through the Won button without gate fixtures.
        # The gates themselves are tested in test_gates.py.
        cls.env["crm.stage.checklist.item"].search([]).required = False
        cls.user_delivery = new_test_user(
            cls.env,
            login="sf_delivery",
            name="Funnel Delivery Manager",
            groups="base.group_user,project.group_project_user",
            tz="Asia/Shanghai",
            lang="en_US",
        )
        cls.user_delivery_other = new_test_user(
            cls.env,
            login="sf_delivery_other",
            name="Funnel Other Project User",
            groups="base.group_user,project.group_project_user",
            lang="en_US",
        )
        cls.user_delivery_2 = new_test_user(
            cls.env,
            login="sf_delivery_2",
            name="Funnel Delivery Manager 2",
            groups="base.group_user,project.group_project_user",
            company_id=cls.company_2.id,
            company_ids=[Command.set(cls.company_2.ids)],
            tz="Asia/Shanghai",
            lang="en_US",
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Li Wei", "parent_id": cls.partner.id, "type": "contact"}
        )
        cls.templates = cls.env["crm.handover.task.template"]._handover_lines_for(cls.company)
        cls.lead = cls._lead(
            name="ERP rollout",
            expected_revenue=120000,
            description="<p>Needs a single order-to-cash flow.</p>",
        )
        cls.other_lead = cls._lead(name="Other deal of salesman 1")
        cls.requirements = cls._attach(cls.lead, "客户需求清单.pdf", b"requirements")
        cls.minutes = cls._attach(cls.lead, "谈判纪要.pdf", b"minutes")

    @classmethod
    def _attach(cls, lead, name, content):
        return cls.env["ir.attachment"].create(
            {
                "name": name,
                "datas": base64.b64encode(content),
                "res_model": "crm.lead",
                "res_id": lead.id,
            }
        )

    def _make_won(self, lead):
        """The one place leads are marked won (checklists are optional in this class)."""
        lead.action_set_won()
        self.assertEqual(lead.won_status, "won")

    def _wizard_form(self, lead):
        return Form(self.env["crm.lead.handover"].with_context(default_lead_id=lead.id))

    def _fill(self, form, **overrides):
        values = {
            "contract_number": "HT-2026-001",
            "contract_signing_date": SIGNING,
            "payment_terms": "30% on signing, 70% on acceptance",
            "service_period": "12 months",
            "delivery_deadline": date(2026, 5, 1),
            "special_requirements": "Chinese UI",
            "delivery_manager_id": self.user_delivery,
        }
        values.update(overrides)
        for fname, value in values.items():
            setattr(form, fname, value)
        return form

    def _handover(self, lead, **overrides):
        form = self._fill(self._wizard_form(lead), **overrides)
        wizard = form.save()
        wizard.action_confirm()
        return wizard

    def _tasks(self, lead):
        return self.env["project.task"].sudo().search([("funnel_lead_id", "=", lead.id)])

    # ------------------------------------------------------------------
    # main flow
    # ------------------------------------------------------------------

    @freeze_time(TODAY)
    @users("sf_salesman_1")
    def test_handover_creates_project_tasks_documents_activity(self):
        lead = self.lead.with_env(self.env)
        self._make_won(lead)
        form = self._wizard_form(lead)
        # prefilled from the lead
        self.assertEqual(form.partner_id, self.partner)
        self.assertIn(self.contact, form.contact_ids)
        self.assertEqual(form.contract_amount, 120000)
        self.assertEqual(form.contract_signing_date, SIGNING)
        self.assertIn("order-to-cash", form.need_background)
        self.assertEqual(set(form.attachment_ids.ids), {self.requirements.id, self.minutes.id})
        self.assertEqual(len(form.line_ids), len(self.templates))
        self._fill(form)
        self.assertEqual(form.line_ids.edit(0).user_id, self.user_delivery)
        form.save().action_confirm()

        # deal info and handover state stored on the lead, still a won opportunity
        self.assertRecordValues(
            lead,
            [
                {
                    "contract_number": "HT-2026-001",
                    "contract_signing_date": SIGNING,
                    "contract_amount": 120000,
                    "service_period": "12 months",
                    "delivery_deadline": date(2026, 5, 1),
                    "handover_state": "done",
                    "handover_user_id": self.user_salesman_1.id,
                    "handover_date": datetime(2026, 3, 2, 2, 0),
                    "won_status": "won",
                    "active": True,
                    "type": "opportunity",
                }
            ],
        )
        self.assertEqual(lead.handover_task_count, len(self.templates))

        project = lead.sudo().handover_project_id
        self.assertRecordValues(
            project,
            [
                {
                    "name": "Acme Manufacturing - ERP rollout",
                    "is_template": False,
                    "company_id": self.company.id,
                    "partner_id": self.partner.id,
                    "user_id": self.user_delivery.id,
                    "privacy_visibility": "followers",
                }
            ],
        )
        # tasks from the template, due signing date + offset (18:00 Shanghai = 10:00 UTC)
        tasks = self._tasks(lead)
        self.assertEqual(tasks.project_id, project)
        self.assertEqual(
            sorted((t.name, t.date_deadline) for t in tasks),
            sorted(
                (t.name, datetime(2026, 3, 2, 10, 0) + timedelta(days=t.deadline_days))
                for t in self.templates
            ),
        )
        self.assertEqual(tasks.user_ids, self.user_delivery)
        kickoff = tasks.filtered(lambda t: t.funnel_handover_line_id.deadline_days == 3)
        self.assertEqual(kickoff.date_deadline, datetime(2026, 3, 5, 10, 0))

        # documents copied onto the project
        copies = (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", "project.project"), ("res_id", "=", project.id)])
        )
        self.assertEqual(sorted(copies.mapped("name")), ["客户需求清单.pdf", "谈判纪要.pdf"])
        self.assertEqual(sorted(copies.mapped("raw")), [b"minutes", b"requirements"])

        # summary note in the project's chatter, authored by the salesman
        note = project.sudo().message_ids.filtered(lambda m: "HT-2026-001" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertEqual(note.author_id, self.user_salesman_1.partner_id)
        self.assertIn("Chinese UI", note.body)
        self.assertEqual(note.attachment_ids, copies)

        # handover meeting for the delivery manager, due 3 days after signing
        activity = project.sudo().activity_ids
        self.assertRecordValues(
            activity,
            [
                {
                    "activity_type_id": self.env.ref(
                        "sales_funnel_std.mail_activity_type_handover_meeting"
                    ).id,
                    "user_id": self.user_delivery.id,
                    "date_deadline": date(2026, 3, 5),
                }
            ],
        )
        self.assertIn(self.user_delivery.partner_id, project.sudo().message_partner_ids)

    @freeze_time(TODAY)
    @users("sf_salesman_1")
    def test_deselected_document_not_copied_and_lines_editable(self):
        lead = self.lead.with_env(self.env)
        self._make_won(lead)
        form = self._fill(self._wizard_form(lead))
        form.attachment_ids.remove(id=self.minutes.id)
        # the signed contract uploaded in the wizard (many2many_binary: res_id 0)
        contract = self.env["ir.attachment"].create(
            {
                "name": "合同.pdf",
                "raw": b"contract",
                "res_model": "crm.lead.handover",
                "res_id": 0,
            }
        )
        form.attachment_ids.add(contract)
        with form.line_ids.edit(0) as line:
            line.name = "Kickoff with plant manager"
            line.deadline_days = 1
        with form.line_ids.new() as line:
            line.name = "Data migration"
            line.deadline_days = 20
        form.save().action_confirm()
        project = lead.sudo().handover_project_id
        copies = (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", "project.project"), ("res_id", "=", project.id)])
        )
        self.assertEqual(sorted(copies.mapped("name")), ["合同.pdf", "客户需求清单.pdf"])
        self.assertEqual((contract.res_model, contract.res_id), ("crm.lead", lead.id))
        tasks = self._tasks(lead)
        self.assertEqual(len(tasks), len(self.templates) + 1)
        kickoff = tasks.filtered(lambda t: t.name == "Kickoff with plant manager")
        self.assertEqual(kickoff.date_deadline, datetime(2026, 3, 3, 10, 0))
        migration = tasks.filtered(lambda t: t.name == "Data migration")
        self.assertEqual(migration.date_deadline, datetime(2026, 3, 22, 10, 0))
        self.assertFalse(migration.funnel_handover_line_id)

    @freeze_time(TODAY)
    @users("sf_salesman_1")
    def test_rerun_is_idempotent(self):
        lead = self.lead.with_env(self.env)
        self._make_won(lead)
        form = self._fill(self._wizard_form(lead))
        with form.line_ids.new() as line:
            line.name = "Data migration"
            line.deadline_days = 20
        form.save().action_confirm()
        project = lead.sudo().handover_project_id
        tasks = self._tasks(lead)
        self.assertEqual(len(tasks), len(self.templates) + 1)

        # a template line added since: the re-run adds its task, keeps the others
        self.env["crm.handover.task.template"].sudo().create(
            {"name": "Go-live support", "deadline_days": 50, "sequence": 70}
        )
        form = self._wizard_form(lead)
        self.assertTrue(form.is_rerun)
        self.assertEqual(form.contract_number, "HT-2026-001")
        self.assertEqual(form.delivery_manager_id, self.user_delivery)
        self.assertEqual(len(form.line_ids), len(self.templates) + 2)
        form.contract_number = "HT-2026-001-A"
        with form.line_ids.edit(0) as line:
            line.deadline_days = 4
        form.save().action_confirm()

        self.assertEqual(lead.sudo().handover_project_id, project)
        self.assertEqual(
            self.env["project.project"].sudo().search_count([("name", "=", project.name)]), 1
        )
        tasks_after = self._tasks(lead)
        self.assertEqual(len(tasks_after), len(self.templates) + 2)
        self.assertLessEqual(tasks, tasks_after, "existing tasks are kept, not recreated")
        self.assertEqual(len(tasks_after.filtered(lambda t: t.name == "Data migration")), 1)
        first_template = self.templates[0]
        first = tasks_after.filtered(lambda t: t.funnel_handover_line_id == first_template)
        self.assertEqual(first.date_deadline, datetime(2026, 3, 6, 10, 0))
        copies = (
            self.env["ir.attachment"]
            .sudo()
            .search([("res_model", "=", "project.project"), ("res_id", "=", project.id)])
        )
        self.assertEqual(len(copies), 2, "documents are not copied twice")
        self.assertEqual(len(project.sudo().activity_ids), 1, "one handover meeting")
        self.assertEqual(lead.contract_number, "HT-2026-001-A")

    # ------------------------------------------------------------------
    # won -> wizard, "handover required before won"
    # ------------------------------------------------------------------

    @users("sf_salesman_1")
    def test_won_button_opens_wizard(self):
        """The Won button returns what CRM returns (its celebration); the web client
        then asks for the handover wizard."""
        lead = self.lead.with_env(self.env)
        result = lead.action_set_won_rainbowman()
        self.assertEqual(lead.won_status, "won")
        self.assertEqual(lead.handover_state, "todo")
        self.assertTrue(result is True or set(result) == {"effect"}, "CRM's own result")
        action = lead.get_funnel_handover_action()
        self.assertEqual(action["res_model"], "crm.lead.handover")
        self.assertEqual(action["context"]["default_lead_id"], lead.id)

    def test_won_button_without_wizard_when_setting_off(self):
        self.company.handover_open_on_won = False
        lead = self.lead.with_user(self.user_salesman_1)
        action = lead.action_set_won_rainbowman()
        self.assertEqual(lead.won_status, "won")
        self.assertNotEqual(
            isinstance(action, dict) and action.get("res_model"), "crm.lead.handover"
        )

    @users("sf_salesman_1")
    def test_won_stage_by_drag_offers_wizard_once(self):
        """The web client asks after a move into a won stage (kanban drag, status bar)."""
        lead = self.lead.with_env(self.env)
        self.assertFalse(lead.get_funnel_handover_action(), "not won: nothing to offer")
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        lead.write({"stage_id": won_stage.id})
        action = lead.get_funnel_handover_action()
        self.assertEqual(action["res_model"], "crm.lead.handover")
        self.assertEqual(action["context"]["default_lead_id"], lead.id)
        self.company.sudo().handover_open_on_won = False
        self.assertFalse(lead.get_funnel_handover_action(), "setting off")

    @freeze_time(TODAY)
    def test_handover_required_before_won(self):
        self.company.handover_required_for_won = True
        lead = self.lead.with_user(self.user_salesman_1)
        self.assertFalse(lead.handover_state)
        with self.assertRaises(UserError):
            lead.action_set_won()
        won_stage = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        with self.assertRaises(UserError):
            lead.write({"stage_id": won_stage.id})
        self.assertEqual(lead.won_status, "pending")

        action = lead.action_set_won_rainbowman()
        self.assertEqual(action["res_model"], "crm.lead.handover")
        self.assertEqual(lead.won_status, "pending", "the Won button only opens the wizard")
        form = self._fill(
            Form(
                self.env["crm.lead.handover"]
                .with_user(self.user_salesman_1)
                .with_context(action["context"])
            )
        )
        result = form.save().action_confirm()
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        self.assertIn("effect", result, "CRM's celebration of the salesman's first deal")
        self.assertEqual(lead.won_status, "won")
        self.assertEqual(lead.handover_state, "done")

    # ------------------------------------------------------------------
    # access
    # ------------------------------------------------------------------

    @freeze_time(TODAY)
    @users("sf_salesman_1")
    def test_salesman_without_project_rights_gains_no_project_access(self):
        self.assertFalse(self.env.user.has_group("project.group_project_user"))
        lead = self.lead.with_env(self.env)
        self._make_won(lead)
        self._handover(lead)
        project = lead.sudo().handover_project_id
        self.assertTrue(project)
        # internal users may read projects open to employees, never this one
        self.assertFalse(self.env["project.project"].search([("id", "=", project.id)]))
        self.assertNotIn(self.user_salesman_1.partner_id, project.message_partner_ids)
        with self.assertRaises(AccessError):
            project.with_env(self.env).read(["name"])
        with self.assertRaises(AccessError):
            self._tasks(lead).with_env(self.env).read(["name"])
        with self.assertRaises(AccessError):
            lead.read(["handover_project_id"])
        # what the salesman does see: the handover state on their lead
        self.assertEqual(lead.handover_state, "done")
        self.assertEqual(lead.handover_task_count, len(self.templates))

    @freeze_time(TODAY)
    def test_salesman_cannot_hand_over_leads_of_others(self):
        lead = self.lead
        self._make_won(lead)
        with self.assertRaises(AccessError):
            Form(
                self.env["crm.lead.handover"]
                .with_user(self.user_salesman_2)
                .with_context(default_lead_id=lead.id)
            )
        # nor smuggle an attachment of another record into their own handover
        other = self._lead(user=self.user_salesman_2, name="Deal of salesman 2")
        self._make_won(other)
        foreign = self._attach(self.other_lead, "secret.pdf", b"secret")
        form = self._fill(
            Form(
                self.env["crm.lead.handover"]
                .with_user(self.user_salesman_2)
                .with_context(default_lead_id=other.id)
            )
        )
        wizard = form.save()
        wizard.sudo().attachment_ids = [Command.link(foreign.id)]
        with self.assertRaisesRegex(ValidationError, "Only documents attached"):
            wizard.action_confirm()
        self.assertFalse(self._tasks(other))

    @freeze_time(TODAY)
    def test_delivery_user_sees_tasks_not_leads(self):
        self._make_won(self.lead)
        self._handover(self.lead.with_user(self.user_salesman_1))
        project = self.lead.sudo().handover_project_id
        tasks = self._tasks(self.lead)

        delivery = self.env(user=self.user_delivery)
        self.assertEqual(delivery["project.task"].search([("project_id", "=", project.id)]), tasks)
        self.assertTrue(delivery["project.project"].browse(project.id).name)
        with self.assertRaises(AccessError):
            delivery["crm.lead"].search([])
        with self.assertRaises(AccessError):
            delivery["crm.lead"].browse(self.other_lead.id).read(["name"])
        # the opportunity link is a sales field: hidden from delivery users
        with self.assertRaises(AccessError):
            delivery["project.task"].browse(tasks[0].id).read(["funnel_lead_id"])
        self.assertFalse(delivery["project.task"].browse(tasks[0].id).funnel_lead_readable)

        # a project user who is not on the delivery team does not see the project
        outsider = self.env(user=self.user_delivery_other)
        self.assertFalse(outsider["project.project"].search([("id", "=", project.id)]))
        self.assertFalse(outsider["project.task"].search([("id", "in", tasks.ids)]))

    @freeze_time(TODAY)
    def test_task_links_back_to_lead_within_lead_access(self):
        self._make_won(self.lead)
        self._handover(self.lead.with_user(self.user_salesman_1))
        task = self._tasks(self.lead)[0]
        # a sales user who is also on the project team opens the lead from the task
        self.user_salesman_2.group_ids = [
            Command.link(self.env.ref("project.group_project_user").id)
        ]
        task.sudo().user_ids = [Command.link(self.user_salesman_2.id)]
        task_s2 = task.with_user(self.user_salesman_2)
        self.assertFalse(task_s2.funnel_lead_readable, "not their lead: no link shown")
        with self.assertRaises(AccessError):
            task_s2.action_open_funnel_lead()
        view = task_s2.get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="funnel_lead_id"', view, "the lead's name is not fetched")
        self.user_manager.group_ids = [Command.link(self.env.ref("project.group_project_user").id)]
        task.sudo().user_ids = [Command.link(self.user_manager.id)]
        self.assertTrue(task.with_user(self.user_manager).funnel_lead_readable)
        action = task.with_user(self.user_manager).action_open_funnel_lead()
        self.assertEqual(action["res_id"], self.lead.id)

    @freeze_time(TODAY)
    def test_handover_into_existing_project(self):
        """A salesman with Project rights may hand over into an existing project."""
        self.user_salesman_1.group_ids = [
            Command.link(self.env.ref("project.group_project_user").id)
        ]
        project = self.env["project.project"].create(
            {"name": "Acme framework contract", "privacy_visibility": "employees"}
        )
        projects_before = self.env["project.project"].search_count([])
        lead = self.lead.with_user(self.user_salesman_1)
        self._make_won(lead)
        form = self._fill(
            Form(
                self.env["crm.lead.handover"]
                .with_user(self.user_salesman_1)
                .with_context(default_lead_id=lead.id)
            )
        )
        form.project_mode = "existing"
        form.project_id = project
        form.save().action_confirm()
        self.assertEqual(lead.sudo().handover_project_id, project)
        self.assertEqual(self._tasks(lead).project_id, project)
        self.assertEqual(self.env["project.project"].search_count([]), projects_before)
        self.assertIn(self.user_delivery.partner_id, project.message_partner_ids)
        # the lead's smart buttons lead to that project and its tasks
        self.assertEqual(lead.action_view_handover_project()["res_id"], project.id)
        domain = lead.action_view_handover_tasks()["domain"]
        self.assertEqual(self.env["project.task"].search(domain), self._tasks(lead))

    def test_settings_saved_on_company(self):
        settings = (
            self.env["res.config.settings"]
            .with_user(self.user_admin)
            .create({"handover_open_on_won": False, "handover_required_for_won": True})
        )
        settings.execute()
        self.assertFalse(self.company.handover_open_on_won)
        self.assertTrue(self.company.handover_required_for_won)
        self.assertTrue(self.company_2.handover_open_on_won, "per company, default on")
        self.assertFalse(self.company_2.handover_required_for_won, "default off")
        views = (
            self.env["res.config.settings"].with_user(self.user_admin).get_views([(False, "form")])
        )
        self.assertIn("handover_required_for_won", views["views"]["form"]["arch"])

    # ------------------------------------------------------------------
    # multi-company
    # ------------------------------------------------------------------

    @freeze_time(TODAY)
    def test_multi_company_project_in_lead_company(self):
        env = self.env(
            user=self.user_manager,
            context=dict(
                self.env.context, allowed_company_ids=[self.company_2.id, self.company.id]
            ),
        )
        lead = env["crm.lead"].create(
            {
                "name": "Company 2 deal",
                "type": "opportunity",
                "user_id": self.user_manager.id,
                "partner_id": self.partner.id,
                "company_id": self.company_2.id,
            }
        )
        self._make_won(lead)
        form = Form(env["crm.lead.handover"].with_context(default_lead_id=lead.id))
        self._fill(form, delivery_manager_id=self.user_delivery)
        with self.assertRaisesRegex(ValidationError, "has no access to the company"):
            form.save().action_confirm()
        self.assertFalse(self._tasks(lead))
        self.assertFalse(lead.handover_state == "done")

        form = Form(env["crm.lead.handover"].with_context(default_lead_id=lead.id))
        self._fill(form, delivery_manager_id=self.user_delivery_2)
        form.save().action_confirm()
        project = lead.sudo().handover_project_id
        self.assertEqual(project.company_id, self.company_2)
        self.assertEqual(self._tasks(lead).company_id, self.company_2)

    # ------------------------------------------------------------------
    # bad input: clear errors, nothing created
    # ------------------------------------------------------------------

    def _assert_nothing_created(self, lead):
        self.assertFalse(self._tasks(lead))
        self.assertFalse(lead.sudo().handover_project_id)
        self.assertFalse(lead.handover_date)
        self.assertFalse(lead.contract_number)

    @users("sf_salesman_1")
    def test_wizard_refused_on_lead_not_won(self):
        lead = self.lead.with_env(self.env)
        with self.assertRaisesRegex(UserError, "before handing it over"):
            self._wizard_form(lead)
        with self.assertRaisesRegex(UserError, "before handing it over"):
            lead.action_open_handover_wizard()
        self._assert_nothing_created(lead)

    @freeze_time(TODAY)
    @users("sf_salesman_1")
    def test_bad_input_rejected(self):
        lead = self.lead.with_env(self.env)
        self._make_won(lead)
        projects_before = self.env["project.project"].sudo().search_count([])
        cases = [
            ({"contract_signing_date": date(2026, 4, 2)}, "more than 30 days ahead"),
            ({"contract_amount": -1}, "cannot be negative"),
            ({"delivery_deadline": date(2026, 3, 1)}, "delivery deadline cannot be before"),
            ({"delivery_manager_id": self.user_salesman_2}, "has no access to Project"),
        ]
        for overrides, message in cases:
            with self.subTest(message=message):
                form = self._fill(self._wizard_form(lead), **overrides)
                wizard = form.save()
                with self.assertRaisesRegex(ValidationError, message):
                    wizard.action_confirm()
                self._assert_nothing_created(lead)
        self.assertEqual(self.env["project.project"].sudo().search_count([]), projects_before)
        # 30 days ahead is still accepted (contract signed, date typed in advance)
        self._handover(lead, contract_signing_date=date(2026, 4, 1))
        self.assertEqual(lead.handover_state, "done")

    def test_template_deadline_cannot_be_negative(self):
        with self.assertRaises(ValidationError):
            self.env["crm.handover.task.template"].create(
                {"name": "Too early", "deadline_days": -1}
            )

    # ------------------------------------------------------------------
    # performance
    # ------------------------------------------------------------------

    @freeze_time(TODAY)
    @users("sf_salesman_1")
    def test_query_count_ten_task_handover(self):
        self.env["crm.handover.task.template"].sudo().create(
            [{"name": f"Extra task {i}", "deadline_days": 20 + i} for i in range(4)]
        )
        lead = self.lead.with_env(self.env)
        self._make_won(lead)
        form = self._fill(self._wizard_form(lead))
        wizard = form.save()
        self.assertEqual(len(wizard.line_ids), 10)
        self.env.invalidate_all()
        # 256 for the handover itself, +2 for the stage gate and cadence write hooks
        with self.assertQueryCount(sf_salesman_1=258):
            wizard.action_confirm()
        self.assertEqual(len(self._tasks(lead)), 10)

    # ------------------------------------------------------------------
    # crm.lead.action_hand_over(values): without the wizard (RPC, automation)
    # ------------------------------------------------------------------

    def _values(self, **overrides):
        values = {
            "contract_number": "RPC-7",
            "contract_signing_date": "2026-03-02",
            "contract_amount": 99000,
            "delivery_deadline": "2026-06-30",
            "delivery_manager_id": self.user_delivery.id,
            "need_background": "Two plants,\nfour modules",
            "attachment_ids": [self.requirements.id],
            "tasks": [
                {"name": "Kick-off meeting", "date_deadline": "2026-03-05"},
                {"name": "Data migration", "date_deadline": "2026-04-01"},
            ],
        }
        values.update(overrides)
        return values

    @freeze_time(TODAY)
    @users("sf_salesman_1")
    def test_hand_over_by_rpc_values(self):
        lead = self.lead.with_env(self.env)
        self._make_won(lead)
        result = lead.action_hand_over(self._values())
        self.assertEqual(result["type"], "ir.actions.act_window_close")
        self.assertEqual(lead.handover_state, "done")
        self.assertEqual(lead.contract_number, "RPC-7")
        self.assertEqual(lead.contract_amount, 99000)
        project = lead.sudo().handover_project_id
        self.assertEqual(project.user_id, self.user_delivery)
        tasks = self._tasks(lead)
        self.assertEqual(sorted(tasks.mapped("name")), ["Data migration", "Kick-off meeting"])
        self.assertEqual(tasks.user_ids, self.user_delivery, "the delivery manager by default")
        note = project.message_ids.filtered(lambda m: "RPC-7" in (m.body or ""))
        self.assertEqual(len(note), 1)
        self.assertIn("Customer handover checklist", note.body)
        self.assertIn("Two plants,<br>four modules", note.body, "text kept line by line")
        self.assertIn("Kick-off meeting", note.body)
        self.assertEqual(note.attachment_ids.mapped("name"), ["客户需求清单.pdf"])
        # a second call updates, never duplicates
        lead.action_hand_over(self._values(contract_number="RPC-7B"))
        self.assertEqual(len(self._tasks(lead)), 2)
        self.assertEqual(lead.sudo().handover_project_id, project)
        self.assertEqual(lead.contract_number, "RPC-7B")

    @freeze_time(TODAY)
    @users("sf_salesman_1")
    def test_bad_values_leave_the_lead_untouched(self):
        lead = self.lead.with_env(self.env)
        self._make_won(lead)
        cases = [
            ({"delivery_manager_id": False}, "Choose the delivery manager"),
            ({"contract_signing_date": False}, "Enter the contract signing date"),
            ({"contract_amount": -1}, "cannot be negative"),
            ({"tasks": [{"name": " ", "date_deadline": "2026-03-05"}]}, "needs a name"),
            (
                {"attachment_ids": [self._attach(self.other_lead, "x.pdf", b"x").id]},
                "Only documents",
            ),
            ({"project_mode": "existing"}, "Choose the existing project"),
        ]
        for overrides, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(ValidationError, message):
                lead.action_hand_over(self._values(**overrides))
        self.assertFalse(lead.handover_date)
        self.assertFalse(self._tasks(lead))

    def test_hand_over_needs_write_access(self):
        lead = self.lead.with_user(self.user_salesman_2)
        self._make_won(self.lead)
        with self.assertRaises(AccessError):
            lead.action_hand_over(self._values())
