from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import users

from .common import FunnelCase

MONDAY_10 = "2026-11-23 10:00:00"  # a Monday
PRICE_WORDS = "The price is 10% above our budget."


class ObjectionCase(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # UTC Monday-Friday 08:00-12:00 / 13:00-17:00: 24 working hours = three days
        cls.calendar = cls.env["resource.calendar"].create(
            {"name": "Objection Office Hours", "tz": "UTC", "company_id": cls.company.id}
        )
        cls.company.resource_calendar_id = cls.calendar
        cls.company.objection_response_hours = 24
        cls.type_price = cls.env.ref("sales_funnel_std.crm_objection_type_price")
        cls.type_decision = cls.env.ref("sales_funnel_std.crm_objection_type_decision")
        cls.activity_type = cls.env.ref("sales_funnel_std.mail_activity_type_objection")
        cls.escalation_type = cls.env.ref("sales_funnel_std.mail_activity_type_objection_escalated")
        cls.stage_acquisition = cls.env.ref("sales_funnel_std.crm_stage_acquisition")
        cls.lead_1 = cls._lead(name="Objection lead 1", stage_id=cls.stage_acquisition.id)
        cls.lead_2 = cls._lead(
            user=cls.user_salesman_2, name="Objection lead 2", stage_id=cls.stage_acquisition.id
        )

    def _objection(self, lead=None, **vals):
        values = {
            "lead_id": (lead or self.lead_1).id,
            "type_id": self.type_price.id,
            "customer_words": PRICE_WORDS,
        }
        values.update(vals)
        return self.env["crm.lead.objection"].create(values)

    def _activities(self, lead, activity_type, active=True):
        return (
            self.env["mail.activity"]
            .sudo()
            .with_context(active_test=False)
            .search(
                [
                    ("res_model", "=", "crm.lead"),
                    ("res_id", "=", lead.id),
                    ("activity_type_id", "=", activity_type.id),
                    ("active", "=", active),
                ]
            )
        )


class TestObjectionLog(ObjectionCase):
    @users("sf_salesman_1")
    @freeze_time(MONDAY_10)
    def test_log_objection_schedules_answer(self):
        objection = self._objection()
        lead = objection.lead_id
        self.assertRecordValues(
            objection,
            [
                {
                    "state": "open",
                    "stage_id": self.stage_acquisition.id,
                    "raised_on": datetime(2026, 11, 23, 10, 0),
                    # Mon 10-12, 13-17 (6 h), Tue and Wed (16 h), Thu 08-10 (2 h)
                    "response_deadline": datetime(2026, 11, 26, 10, 0),
                    "company_id": self.company.id,
                    "team_id": self.team_1.id,
                    "user_id": self.user_salesman_1.id,
                    "response_late": False,
                    "is_overdue": False,
                }
            ],
        )
        self.assertEqual(objection.guidance, self.type_price.guidance)
        activity = objection.activity_id
        self.assertRecordValues(
            activity,
            [
                {
                    "activity_type_id": self.activity_type.id,
                    "user_id": self.user_salesman_1.id,
                    "date_deadline": date(2026, 11, 26),
                    "res_id": lead.id,
                }
            ],
        )
        self.assertEqual(lead.objection_open_count, 1)
        self.assertFalse(lead.objection_clear)
        self.assertFalse(lead.objection_overdue)

    @users("sf_salesman_1")
    def test_respond_then_resolve(self):
        with freeze_time(MONDAY_10):
            objection = self._objection()
        activity = objection.activity_id
        with freeze_time("2026-11-24 09:00:00"):
            objection.action_respond("Offered payment in three instalments.")
        self.assertRecordValues(
            objection,
            [
                {
                    "state": "answered",
                    "response": "Offered payment in three instalments.",
                    "responded_on": datetime(2026, 11, 24, 9, 0),
                    "responded_by_id": self.user_salesman_1.id,
                    "response_late": False,
                }
            ],
        )
        self.assertFalse(activity.sudo().active, "the answer activity is done")
        self.assertEqual(objection.lead_id.objection_open_count, 1, "answered, not resolved")
        with freeze_time("2026-11-25 11:00:00"):
            objection.action_resolve()
        self.assertRecordValues(
            objection,
            [
                {
                    "state": "resolved",
                    "resolved_by_id": self.user_salesman_1.id,
                    "resolved_on": datetime(2026, 11, 25, 11, 0),
                }
            ],
        )
        self.assertEqual(objection.lead_id.objection_open_count, 0)
        self.assertTrue(objection.lead_id.objection_clear)

    @users("sf_salesman_1")
    def test_answer_in_the_list_is_answered_and_late_after_deadline(self):
        with freeze_time(MONDAY_10):
            objection = self._objection()
        with freeze_time("2026-11-26 11:00:00"):
            self.assertTrue(objection.is_overdue)
            self.assertTrue(objection.lead_id.objection_overdue)
            self.assertIn(
                objection.lead_id,
                self.env["crm.lead"].search([("objection_overdue", "=", True)]),
            )
            objection.write({"response": "Sent the ROI analysis."})
        self.assertEqual(objection.state, "answered")
        self.assertTrue(objection.response_late)
        self.assertFalse(objection.is_overdue)

    @freeze_time(MONDAY_10)
    def test_no_calendar_counts_calendar_hours(self):
        self.company.resource_calendar_id = False
        objection = self._objection()
        self.assertEqual(objection.response_deadline, datetime(2026, 11, 24, 10, 0))
        self.company.objection_response_hours = 8
        objection = self._objection()
        self.assertEqual(objection.response_deadline, datetime(2026, 11, 23, 18, 0))


class TestObjectionBadInput(ObjectionCase):
    @users("sf_salesman_1")
    def test_answer_before_objection_writes_nothing(self):
        with freeze_time(MONDAY_10):
            objection = self._objection()
        with self.assertRaises(ValidationError) as error:
            objection.action_respond("Too early", responded_on=datetime(2026, 11, 22, 9, 0))
        self.assertEqual(
            str(error.exception),
            "The answer (2026-11-22 09:00:00) cannot come before the objection was raised "
            "(2026-11-23 10:00:00).",
        )
        self.assertRecordValues(
            objection, [{"state": "open", "response": False, "responded_on": False}]
        )
        self.assertTrue(objection.activity_id.active)

    @users("sf_salesman_1")
    def test_resolve_without_answer_refused(self):
        objection = self._objection()
        with self.assertRaises(ValidationError) as error:
            objection.action_resolve()
        self.assertEqual(
            str(error.exception),
            "An objection can be resolved only once the response given to the customer is "
            "written down.",
        )
        self.assertEqual(objection.state, "open")
        self.assertFalse(objection.resolved_by_id)

    @users("sf_salesman_1")
    def test_blank_customer_words_refused(self):
        with self.assertRaises(ValidationError) as error:
            self._objection(customer_words="   ")
        self.assertIn("the customer's own words", str(error.exception))
        self.assertFalse(self.env["crm.lead.objection"].search([("lead_id", "=", self.lead_1.id)]))

    @users("sf_salesman_1")
    def test_system_fields_refused(self):
        with freeze_time(MONDAY_10):
            objection = self._objection()
        with self.assertRaises(UserError) as error:
            objection.write({"response_late": False, "escalated_on": False})
        self.assertEqual(
            str(error.exception),
            "Who answered or resolved an objection, its lateness and its escalation are set "
            "by the system; they cannot be written (escalated_on, response_late).",
        )
        with self.assertRaises(UserError):
            objection.write({"resolved_by_id": self.user_admin.id})
        with self.assertRaises(UserError):
            objection.write({"lead_id": self.lead_2.id})
        self.assertEqual(objection.lead_id, self.lead_1)
        self.assertFalse(objection.resolved_by_id)

    @users("sf_salesman_1")
    @freeze_time(MONDAY_10)
    def test_dates_in_the_future_refused(self):
        with self.assertRaises(ValidationError) as error:
            self._objection(raised_on="2026-11-24 10:00:00")
        self.assertEqual(
            str(error.exception), "Raised On cannot be in the future (2026-11-24 10:00:00)."
        )
        self.assertFalse(self.env["crm.lead.objection"].search([("lead_id", "=", self.lead_1.id)]))
        objection = self._objection()
        with self.assertRaises(ValidationError) as error:
            objection.action_respond("Later", responded_on="2026-11-25 10:00:00")
        self.assertEqual(
            str(error.exception), "Answered On cannot be in the future (2026-11-25 10:00:00)."
        )
        self.assertEqual(objection.state, "open")

    def test_response_hours_must_be_positive(self):
        for bad in (0, -4):
            with self.subTest(value=bad), self.assertRaises(ValidationError) as error:
                self.company.objection_response_hours = bad
            self.assertEqual(
                str(error.exception),
                "The objection response time must be a whole number of hours greater than 0 "
                f"(got {bad}).",
            )
        self.assertEqual(self.company.objection_response_hours, 24)


class TestObjectionAccess(ObjectionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.objection_1 = cls.env["crm.lead.objection"].create(
            {
                "lead_id": cls.lead_1.id,
                "type_id": cls.type_price.id,
                "customer_words": PRICE_WORDS,
            }
        )

    @users("sf_salesman_2")
    def test_other_team_objections_invisible(self):
        Objection = self.env["crm.lead.objection"]
        self.assertFalse(Objection.search([("id", "=", self.objection_1.id)]))
        with self.assertRaises(AccessError):
            Objection.browse(self.objection_1.id).customer_words  # noqa: B018
        with self.assertRaises(AccessError):
            Objection.create(
                {
                    "lead_id": self.lead_1.id,
                    "type_id": self.type_decision.id,
                    "customer_words": "Our CFO must approve.",
                }
            )
        with self.assertRaises(AccessError):
            Objection.browse(self.objection_1.id).action_respond("Not mine")
        self.assertFalse(self.env["crm.objection.report"].search([]).lead_id & self.lead_1)
        # own lead: allowed
        own = self._objection(self.lead_2)
        self.assertEqual(own.activity_id.user_id, self.user_salesman_2)

    @users("sf_salesman_1")
    def test_salesman_cannot_delete_or_configure(self):
        with self.assertRaises(AccessError):
            self.objection_1.with_env(self.env).unlink()
        with self.assertRaises(AccessError):
            self.env["crm.objection.type"].create({"name": "Color"})

    @users("sf_manager")
    def test_manager_sees_and_answers_all(self):
        objections = self.env["crm.lead.objection"].search([("id", "=", self.objection_1.id)])
        self.assertEqual(objections, self.objection_1)
        objections.action_respond("Manager approved a 5% discount.")
        self.assertEqual(objections.responded_by_id, self.user_manager)
        self.assertFalse(objections.activity_id.sudo().active)
        kind = self.env["crm.objection.type"].create({"name": "Color"})
        self.assertTrue(kind.active)


class TestObjectionSweep(ObjectionCase):
    def test_sweep_escalates_once_to_team_leader(self):
        with freeze_time(MONDAY_10):
            late_1 = self._objection()
            late_2 = self._objection(type_id=self.type_decision.id, customer_words="CFO decides.")
            answered = self._objection()
            answered.action_respond("Instalments offered.")
            other = self._objection(self.lead_2)
        with freeze_time("2026-11-25 12:00:00"):
            self.assertEqual(self.env["crm.lead.objection"]._cron_objection_sweep(commit=False), 0)
        with freeze_time("2026-11-26 11:00:00"):
            count = self.env["crm.lead.objection"]._cron_objection_sweep(commit=False)
        self.assertEqual(count, 3)
        self.assertRecordValues(
            late_1 | late_2 | other | answered,
            [
                {"response_late": True, "escalated_to_id": self.user_manager.id},
                {"response_late": True, "escalated_to_id": self.user_manager.id},
                {"response_late": True, "escalated_to_id": self.user_manager.id},
                {"response_late": False, "escalated_to_id": False},
            ],
        )
        self.assertEqual(late_1.escalated_on, datetime(2026, 11, 26, 11, 0))
        escalations = self._activities(self.lead_1, self.escalation_type)
        self.assertEqual(len(escalations), 1, "one per opportunity and leader, not per objection")
        self.assertEqual(escalations.user_id, self.user_manager)
        self.assertEqual(escalations.date_deadline, date(2026, 11, 26))
        self.assertEqual(escalations.summary, "Objection not answered in time")
        self.assertEqual(len(self._activities(self.lead_2, self.escalation_type)), 1)
        # a second sweep finds nothing: never escalated twice
        with freeze_time("2026-11-26 12:00:00"):
            third = self._objection()  # not due yet
            self.assertEqual(self.env["crm.lead.objection"]._cron_objection_sweep(commit=False), 0)
        self.assertEqual(len(self._activities(self.lead_1, self.escalation_type)), 1)
        self.assertFalse(third.escalated_on)


class TestObjectionChecklist(ObjectionCase):
    def test_shipped_negotiation_item_is_advisory(self):
        item = self.env.ref("sales_funnel_std.crm_stage_checklist_item_negotiation_objections")
        self.assertRecordValues(
            item,
            [
                {
                    "stage_id": self.env.ref("sales_funnel_std.crm_stage_negotiation").id,
                    "kind": "field",
                    "required": False,
                }
            ],
        )
        self.assertEqual(item.field_id.name, "objection_clear")

    def test_no_open_objection_line_follows_objections(self):
        item = self.env["crm.stage.checklist.item"].create(
            {
                "stage_id": self.stage_acquisition.id,
                "name": "No open objection (test)",
                "kind": "field",
                "field_id": self.env.ref("sales_funnel_std.field_crm_lead__objection_clear").id,
                "required": True,
            }
        )
        lead = self.lead_1.with_user(self.user_salesman_1)
        line = lead.checklist_line_ids.filtered(lambda line: line.item_id == item)
        self.assertTrue(line.is_done, "no objection yet")
        objection = self._objection().with_user(self.user_salesman_1)
        self.assertFalse(line.is_done)
        objection.action_respond("ROI analysis sent.")
        self.assertFalse(line.is_done, "answered is not resolved")
        objection.action_resolve()
        self.assertTrue(line.is_done)


class TestObjectionAnalysis(ObjectionCase):
    def test_types_before_a_loss(self):
        with freeze_time(MONDAY_10):
            self._objection()
            self._objection(type_id=self.type_decision.id, customer_words="CFO decides.")
            self._objection(self.lead_2).action_respond("Discount offered.")
        self.lead_1.action_set_lost()
        Report = self.env["crm.objection.report"].with_user(self.user_manager)
        groups = Report._read_group(
            [("lead_id", "in", (self.lead_1 | self.lead_2).ids)],
            ["type_id", "outcome"],
            ["__count", "on_time_count:sum"],
        )
        self.assertEqual(
            sorted(
                (kind.name, outcome, count, on_time) for kind, outcome, count, on_time in groups
            ),
            [("Decision Chain", "lost", 1, 0), ("Price", "lost", 1, 0), ("Price", "pending", 1, 1)],
        )
        mine = Report.with_user(self.user_salesman_2).search([])
        self.assertEqual(mine.lead_id, self.lead_2)


class TestObjectionExport(ObjectionCase):
    @users("sf_salesman_1")
    def test_objections_sheet_own_leads_only(self):
        import io

        import openpyxl

        from odoo.addons.sales_funnel_std.report.funnel_xlsx import FunnelXlsxExport

        with freeze_time(MONDAY_10):
            mine = self._objection()
            self.env["crm.lead.objection"].sudo().create(
                {
                    "lead_id": self.lead_2.id,
                    "type_id": self.type_decision.id,
                    "customer_words": "Not visible to salesman 1.",
                }
            )
        mine.action_respond("Instalments offered.")
        content = FunnelXlsxExport(
            self.env, [("id", "in", (self.lead_1 | self.lead_2).ids)]
        ).build()
        book = openpyxl.load_workbook(io.BytesIO(content))
        sheet = book["Objections"]
        header = [cell.value for cell in sheet[1]]
        rows = [list(row) for row in sheet.iter_rows(min_row=2, values_only=True)]
        self.assertEqual(len(rows), 1)
        row = dict(zip(header, rows[0], strict=True))
        self.assertEqual(row["Opportunity"], "Objection lead 1")
        self.assertEqual(row["Objection Type"], "Price")
        self.assertEqual(row["Customer's Words"], PRICE_WORDS)
        self.assertEqual(row["Response"], "Instalments offered.")
        self.assertEqual(row["Status"], "Answered")

    def test_funnel_analysis_objections_per_stage(self):
        with freeze_time(MONDAY_10):
            self._objection()
            self._objection(type_id=self.type_decision.id, customer_words="CFO decides.")
        with freeze_time("2026-11-27 10:00:00"):
            rows = self.env["crm.funnel.report"].search(
                [("lead_id", "=", self.lead_1.id), ("funnel_role", "=", "acquisition")]
            )
            self.assertEqual(rows.objection_count, 2)
