from datetime import date, datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, users

from .common_cadence import GRADE_A, CadenceCase

FOLLOWUP = {
    "channel": "im",
    "summary": "Sent the manufacturing case study on WeChat",
    "feedback": "Wants a demo for the plant manager",
    "attitude_before": "wait_and_see",
    "attitude_after": "interested",
    "next_step": "Demo next Tuesday",
}


class TestFollowupLog(CadenceCase):
    @users("sf_salesman_1")
    def test_done_with_feedback_logs_and_schedules_next(self):
        with freeze_time("2026-11-20 17:00:00"):
            lead = self._lead(**GRADE_A).with_env(self.env)
        activity = lead.cadence_activity_id
        with freeze_time("2026-11-21 09:00:00"):
            followup = activity.action_done_cadence(FOLLOWUP)
        self.assertRecordValues(
            followup,
            [
                {
                    **FOLLOWUP,
                    "lead_id": lead.id,
                    "user_id": self.user_salesman_1.id,
                    "team_id": self.team_1.id,
                    "company_id": self.company.id,
                    "activity_id": activity.id,
                    "cadence_kind": "first_contact",
                }
            ],
        )
        self.assertEqual(followup.date, datetime(2026, 11, 21, 9, 0))
        self.assertFalse(activity.active, "marked done")
        self.assertEqual(activity.feedback, FOLLOWUP["summary"])
        self.assertEqual(lead.sla_state, "met")
        self.assertEqual(lead.followup_count, 1)
        self.assertEqual(lead.followup_ids, followup)
        self.assertEqual(lead.cadence_activity_id.date_deadline, date(2026, 11, 28))

    @users("sf_salesman_1")
    def test_invalid_channel_writes_nothing(self):
        lead = self._lead(**GRADE_A).with_env(self.env)
        activity = lead.cadence_activity_id
        for bad in ({"channel": "pigeon"}, {"channel": "phone", "attitude_after": "furious"}):
            with self.subTest(vals=bad), self.assertRaisesRegex(ValidationError, "Unknown"):
                lead.action_log_followup(dict(FOLLOWUP, **bad))
        self.assertTrue(activity.active, "activity still open")
        self.assertFalse(lead.followup_ids)
        self.assertEqual(lead.sla_state, "pending")

    @users("sf_salesman_1")
    def test_log_directly_completes_open_activity(self):
        lead = self._lead(**GRADE_A).with_env(self.env)
        first = lead.cadence_activity_id
        followup = lead.action_log_followup(FOLLOWUP)
        self.assertEqual(followup.activity_id, first)
        self.assertFalse(first.active)
        self.assertTrue(lead.cadence_activity_id)
        ungraded = self._lead()
        entry = ungraded.action_log_followup({"channel": "visit", "summary": "Walk-in"})
        self.assertEqual(entry.lead_id, ungraded)
        self.assertFalse(ungraded.cadence_activity_id, "no cadence for an ungraded lead")

    @users("sf_salesman_1")
    def test_wizard(self):
        lead = self._lead(**GRADE_A).with_env(self.env)
        activity = lead.cadence_activity_id
        action = lead.action_open_followup_wizard()
        wizard_form = Form(self.env[action["res_model"]].with_context(action["context"]))
        wizard_form.channel = "phone"
        wizard_form.summary = "Discussed the budget"
        wizard_form.attitude_after = "strong"
        wizard_form.save().action_confirm()
        self.assertFalse(activity.active)
        self.assertEqual(lead.followup_ids.summary, "Discussed the budget")
        self.assertEqual(lead.followup_ids.attitude_after, "strong")

    @users("sf_salesman_1")
    def test_wizard_from_activity_popup(self):
        lead = self._lead(**GRADE_A).with_env(self.env)
        activity = lead.cadence_activity_id
        action = activity.action_open_followup_wizard()
        wizard_form = Form(self.env[action["res_model"]].with_context(action["context"]))
        wizard_form.channel = "visit"
        wizard_form.feedback = "Needs approval from the plant manager"
        wizard_form.save().action_confirm()
        self.assertFalse(activity.active)
        self.assertEqual(lead.followup_ids.channel, "visit")
        self.assertEqual(lead.followup_ids.activity_id, activity)

    def test_salesman_access(self):
        lead_1 = self._lead(**GRADE_A)
        lead_2 = self._lead(user=self.user_salesman_2, **GRADE_A)
        log_1 = lead_1.action_log_followup({"channel": "phone"})
        log_2 = lead_2.action_log_followup({"channel": "phone"})
        Followup = self.env["crm.lead.followup"]
        logs = log_1 | log_2
        self.assertEqual(
            Followup.with_user(self.user_salesman_1).search([("id", "in", logs.ids)]), log_1
        )
        self.assertEqual(
            Followup.with_user(self.user_manager).search([("id", "in", logs.ids)]), logs
        )
        with self.assertRaises(AccessError):
            log_2.with_user(self.user_salesman_1).read(["summary"])
        with self.assertRaises(AccessError):
            lead_2.with_user(self.user_salesman_1).action_log_followup({"channel": "phone"})
        with self.assertRaises(AccessError):
            log_1.with_user(self.user_salesman_1).unlink()

    def test_multi_company(self):
        lead = self._lead(user=self.user_manager, team_id=False, company_id=self.company_2.id)
        log = lead.action_log_followup({"channel": "email"})
        self.assertEqual(log.company_id, self.company_2)
        Followup = self.env["crm.lead.followup"].with_user(self.user_manager)
        self.assertFalse(
            Followup.with_context(allowed_company_ids=self.company.ids).search(
                [("id", "=", log.id)]
            )
        )
        self.assertEqual(
            Followup.with_context(allowed_company_ids=self.company_2.ids).search(
                [("id", "=", log.id)]
            ),
            log,
        )

    @users("sf_salesman_1")
    def test_done_with_feedback_query_count(self):
        leads = [self._lead(**GRADE_A).with_env(self.env) for _i in range(2)]
        # warm-up: first call fills caches (ir.model, templates...)
        leads[0].cadence_activity_id.action_done_cadence(FOLLOWUP)
        activity = leads[1].cadence_activity_id
        self.env.invalidate_all()
        with self.assertQueryCount(sf_salesman_1=23):
            activity.action_done_cadence(FOLLOWUP)
        self.assertEqual(leads[1].followup_count, 1)
