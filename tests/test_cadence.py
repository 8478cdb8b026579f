import threading
import time
from datetime import date, datetime
from unittest.mock import patch

import psycopg2.errors
from freezegun import freeze_time

from odoo import api
from odoo.exceptions import AccessError, ValidationError
from odoo.modules.registry import Registry
from odoo.tests import users
from odoo.tests.common import BaseCase, get_db_name
from odoo.tools import mute_logger

from .common import run_cron_workers
from .common_cadence import GRADE_A, GRADE_B, GRADE_C, CadenceCase

FRIDAY_17 = "2026-11-20 17:00:00"  # a Friday


class TestCadenceDeadlines(CadenceCase):
    @users("sf_salesman_1")
    @freeze_time(FRIDAY_17)
    def test_grade_a_first_contact_within_48_hours(self):
        lead = self._lead(**GRADE_A).with_env(self.env)
        self.assertEqual(lead.bndu_grade, "a")
        self.assertEqual(lead.sla_deadline, datetime(2026, 11, 22, 17, 0))  # Sunday 17:00
        self.assertEqual(lead.sla_state, "pending")
        self.assertFalse(lead.is_nurture)
        activity = self._open_activity(lead)
        self.assertEqual(activity.funnel_cadence, "first_contact")
        self.assertEqual(activity.activity_type_id, self.type_first)
        self.assertEqual(activity.date_deadline, date(2026, 11, 22))
        self.assertEqual(activity.user_id, self.user_salesman_1)
        self.assertEqual(lead.cadence_activity_id, activity)

    @freeze_time("2026-11-20 10:00:00")
    def test_grade_b_three_working_days(self):
        lead = self._lead(**GRADE_B)
        self.assertEqual(lead.bndu_grade, "b")
        # Mon, Tue, Wed: due Wednesday at the end of the working day
        self.assertEqual(lead.sla_deadline, datetime(2026, 11, 25, 17, 0))
        self.assertEqual(self._open_activity(lead).date_deadline, date(2026, 11, 25))

    @freeze_time("2026-11-20 10:00:00")
    def test_grade_b_public_holiday_on_monday(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": self.calendar.id,
                "date_from": "2026-11-23 00:00:00",
                "date_to": "2026-11-23 23:59:59",
            }
        )
        lead = self._lead(**GRADE_B)
        self.assertEqual(lead.sla_deadline, datetime(2026, 11, 26, 17, 0))  # Thursday

    @freeze_time("2026-11-20 10:00:00")
    def test_company_without_calendar_works_monday_to_friday(self):
        self.company.resource_calendar_id = False
        lead = self._lead(**GRADE_B)
        self.assertEqual(lead.sla_deadline, datetime(2026, 11, 25, 23, 59, 59))

    @freeze_time(FRIDAY_17)
    def test_grade_c_goes_to_nurture_pool(self):
        lead = self._lead(**GRADE_C)
        self.assertTrue(lead.is_nurture)
        self.assertFalse(lead.sla_state, "no first-contact SLA in the nurture pool")
        activity = self._open_activity(lead)
        self.assertEqual(activity.funnel_cadence, "nurture")
        self.assertEqual(activity.activity_type_id, self.type_nurture)
        self.assertEqual(activity.date_deadline, date(2026, 12, 20))
        pool = self.env["crm.lead"].search([("is_nurture", "=", True)])
        self.assertIn(lead, pool)


class TestCadenceFlow(CadenceCase):
    def _done_after(self, lead, when):
        with freeze_time(when):
            self._open_activity(lead).with_user(self.user_salesman_1).action_feedback("Called")

    def test_done_schedules_next_at_grade_interval(self):
        expected = {"a": date(2026, 11, 28), "b": date(2026, 12, 5), "c": date(2026, 12, 21)}
        for grade, scores in (("a", GRADE_A), ("b", GRADE_B), ("c", GRADE_C)):
            with self.subTest(grade=grade), freeze_time(FRIDAY_17):
                lead = self._lead(**scores)
            self._done_after(lead, "2026-11-21 09:00:00")
            done = self._cadence_activities(lead, active=False)
            self.assertEqual(len(done), 1, "the done activity is kept as history")
            nxt = self._open_activity(lead)
            self.assertEqual(nxt.date_deadline, expected[grade])
            self.assertEqual(nxt.funnel_cadence, "nurture" if grade == "c" else "followup")
            if grade != "c":
                self.assertEqual(lead.sla_state, "met")
                self.assertEqual(lead.sla_met_date, datetime(2026, 11, 21, 9, 0))
                self.assertEqual(nxt.activity_type_id, self.type_followup)

    def test_late_first_contact_is_breached(self):
        with freeze_time(FRIDAY_17):
            lead = self._lead(**GRADE_A).with_env(self.env)
        self._done_after(lead, "2026-11-23 09:00:00")
        self.assertEqual(lead.sla_state, "breached")
        self.assertEqual(lead.sla_met_date, datetime(2026, 11, 23, 9, 0))

    @users("sf_salesman_1")
    def test_regrade_a_to_c_moves_the_activity(self):
        with freeze_time(FRIDAY_17):
            lead = self._lead(**GRADE_A).with_env(self.env)
            activity = self._open_activity(lead)
        with freeze_time("2026-11-21 10:00:00"):
            lead.write(GRADE_C)
        self.assertEqual(lead.bndu_grade, "c")
        self.assertEqual(self._open_activity(lead), activity, "moved, not duplicated")
        self.assertFalse(self._cadence_activities(lead, active=False))
        self.assertEqual(activity.funnel_cadence, "nurture")
        self.assertEqual(activity.activity_type_id, self.type_nurture)
        self.assertEqual(activity.date_deadline, date(2026, 12, 21))
        self.assertTrue(lead.is_nurture)
        self.assertFalse(lead.sla_state, "the pending SLA no longer applies")

    def test_regrade_c_to_b_leaves_pool_with_sla(self):
        with freeze_time(FRIDAY_17):
            lead = self._lead(**GRADE_C)
            activity = self._open_activity(lead)
        with freeze_time("2026-11-23 10:00:00"):  # Monday
            lead.write(GRADE_B)
        self.assertFalse(lead.is_nurture)
        self.assertEqual(lead.sla_state, "pending")
        self.assertEqual(lead.sla_deadline, datetime(2026, 11, 26, 17, 0))  # Thursday
        self.assertEqual(self._open_activity(lead), activity)
        self.assertEqual(activity.funnel_cadence, "first_contact")
        self.assertEqual(activity.date_deadline, date(2026, 11, 26))

    def test_bulk_regrade_moves_without_chatter(self):
        with freeze_time(FRIDAY_17):
            leads = self._lead(**GRADE_B) | self._lead(**GRADE_B)
        activities = leads.mapped(lambda lead: self._open_activity(lead))
        messages = self.env["mail.message"].search_count([("model", "=", "crm.lead")])
        with freeze_time("2026-11-20 18:00:00"):
            self.company.bndu_threshold_a = 12  # 12 -> A, set-based re-grade
        self.assertEqual(set(leads.mapped("bndu_grade")), {"a"})
        for lead, activity in zip(leads, activities, strict=True):
            self.assertEqual(self._open_activity(lead), activity)
            self.assertEqual(lead.sla_deadline, datetime(2026, 11, 22, 18, 0))
        self.assertEqual(
            self.env["mail.message"].search_count([("model", "=", "crm.lead")]), messages
        )

    def test_won_lost_archived_unassigned_stop_the_cadence(self):
        leads = [self._lead(**GRADE_A) for _i in range(4)]
        won, lost, archived, unassigned = leads
        self._mark_won(won)
        self._mark_lost(lost)
        archived.action_archive()
        unassigned.user_id = False
        for lead in leads:
            self.assertFalse(self._open_activity(lead), lead.name)
            self.assertFalse(self._cadence_activities(lead, active=False), "removed, not done")
        # a restored lead catches up
        lost.action_restore()
        self.assertEqual(self._open_activity(lost).funnel_cadence, "first_contact")
        unassigned.user_id = self.user_salesman_2
        self.assertEqual(self._open_activity(unassigned).user_id, self.user_salesman_2)

    def test_salesperson_change_reassigns(self):
        with freeze_time(FRIDAY_17):
            lead = self._lead(**GRADE_A).with_env(self.env)
        activity = self._open_activity(lead)
        lead.user_id = self.user_salesman_2
        self.assertEqual(self._open_activity(lead), activity)
        self.assertEqual(activity.user_id, self.user_salesman_2)
        self.assertEqual(activity.date_deadline, date(2026, 11, 22), "deadline kept")

    def test_one_open_cadence_activity_enforced_by_database(self):
        lead = self._lead(**GRADE_A).with_env(self.env)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self.env["mail.activity"].create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                    "res_id": lead.id,
                    "activity_type_id": self.type_followup.id,
                    "user_id": self.user_salesman_1.id,
                    "funnel_cadence": "followup",
                }
            )
            self.env.flush_all()

    def test_merge_keeps_one_cadence_activity(self):
        lead_1 = self._lead(**GRADE_A)
        lead_2 = self._lead(**GRADE_B)
        merged = (lead_1 | lead_2)._merge_opportunity(auto_unlink=True)
        self.assertEqual(len(self._cadence_activities(merged)), 1)


class TestCadenceAsSalesman(CadenceCase):
    @users("sf_salesman_1")
    @freeze_time(FRIDAY_17)
    def test_salesman_grades_and_follows_up_own_lead(self):
        lead = self.env["crm.lead"].create(
            {"name": "Own lead", "type": "opportunity", "user_id": self.env.uid}
        )
        self.assertFalse(lead.cadence_activity_id, "not graded yet: no cadence")
        lead.write(GRADE_A)
        activity = lead.cadence_activity_id
        self.assertEqual(activity.funnel_cadence, "first_contact")
        self.assertEqual(activity.user_id, self.env.user)
        stage = self.env["crm.stage"].search(
            [
                ("is_won", "=", False),
                ("id", "!=", lead.stage_id.id),
                ("checklist_item_ids", "=", False),
            ],
            limit=1,
        )
        lead.stage_id = stage  # an ordinary (ungated) stage move keeps the cadence as it is
        self.assertEqual(lead.cadence_activity_id, activity)
        activity.action_feedback(feedback="Called the buyer")
        self.assertEqual(lead.sla_state, "met")
        self.assertEqual(lead.cadence_activity_id.funnel_cadence, "followup")
        self.assertIn(lead, self.env["crm.lead"].search([("sla_state", "=", "met")]))

    @users("sf_admin")
    def test_settings_page_shows_rules(self):
        arch = self.env["res.config.settings"].get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn("funnel_cadence_rules", arch)
        action = self.env.ref("sales_funnel_std.crm_grade_policy_action")
        policies = self.env["crm.grade.policy"].search([("company_id", "=", self.env.company.id)])
        self.assertEqual(len(policies), 3)
        self.assertTrue(action)


class TestCadencePolicy(CadenceCase):
    def test_policies_for_every_company(self):
        policies = self.env["crm.grade.policy"].search([("company_id", "=", self.company_2.id)])
        self.assertEqual(sorted(policies.mapped("grade")), ["a", "b", "c"])
        by_grade = {policy.grade: policy for policy in policies}
        self.assertEqual(
            (by_grade["a"].first_contact_delay, by_grade["a"].first_contact_unit), (48, "hours")
        )
        self.assertEqual(
            (by_grade["b"].first_contact_delay, by_grade["b"].first_contact_unit),
            (3, "working_days"),
        )
        self.assertEqual(
            [by_grade[g].interval_days for g in "abc"],
            [7, 14, 30],
            "A weekly, B biweekly, C monthly",
        )
        self.assertTrue(by_grade["c"].nurture)

    def _policy(self, grade):
        return self.env["crm.grade.policy"].search(
            [("company_id", "=", self.company.id), ("grade", "=", grade)]
        )

    @users("sf_manager")
    def test_bad_rules_rejected(self):
        policy = self._policy("a").with_user(self.env.user)
        with self.assertRaisesRegex(ValidationError, "interval of grade A"):
            policy.interval_days = 0
        with self.assertRaisesRegex(ValidationError, "first-contact delay of grade A"):
            policy.first_contact_delay = -2
        with self.assertRaisesRegex(ValidationError, "existing activity type"):
            policy.activity_type_id = 999999
        self.env.invalidate_all()
        self.assertEqual(policy.interval_days, 7, "nothing written")
        policy.interval_days = 10
        self.assertEqual(policy.interval_days, 10, "managers edit the rules")

    @users("sf_salesman_1")
    def test_salesman_cannot_change_rules(self):
        policy = self._policy("a").with_user(self.env.user)
        self.assertEqual(policy.interval_days, 7)
        with self.assertRaises(AccessError):
            policy.interval_days = 1

    @freeze_time(FRIDAY_17)
    def test_rule_change_applies_to_next_schedule(self):
        self._policy("a").interval_days = 3
        lead = self._lead(**GRADE_A).with_env(self.env)
        with freeze_time("2026-11-21 09:00:00"):
            self._open_activity(lead).action_feedback()
        self.assertEqual(self._open_activity(lead).date_deadline, date(2026, 11, 24))

    def test_nurture_rule_change_moves_existing_leads(self):
        with freeze_time(FRIDAY_17):
            lead = self._lead(**GRADE_C)
            activity = self._open_activity(lead)
            self._policy("c").with_user(self.user_manager).nurture = False
        self.assertFalse(lead.is_nurture)
        self.assertEqual(lead.sla_state, "pending")
        self.assertEqual(self._open_activity(lead), activity)
        self.assertEqual(activity.funnel_cadence, "first_contact")
        self.assertEqual(activity.date_deadline, date(2026, 11, 27), "5 working days")


class TestCadenceCron(CadenceCase):
    def _strip_cadence(self, leads):
        """Simulate imported / legacy leads: graded, without cadence activity."""
        self.env.flush_all()
        self.env.cr.execute(
            "DELETE FROM mail_activity WHERE res_model = 'crm.lead' AND res_id = ANY(%s)",
            [leads.ids],
        )
        self.env.invalidate_all()

    def _run_cron(self, **kwargs):
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            return self.env(cr=cr)["crm.lead"]._cron_sync_cadence(**kwargs)

    @freeze_time(FRIDAY_17)
    def test_cron_catches_up_and_is_idempotent(self):
        leads = self.env["crm.lead"]
        for scores in (GRADE_A, GRADE_B, GRADE_C) * 3:
            leads |= self._lead(**scores)
        ungraded = self._lead()
        self._strip_cadence(leads)
        self.assertEqual(self._run_cron(batch_size=4), len(leads))
        for lead in leads:
            self.assertEqual(len(self._open_activity(lead)), 1)
        self.assertFalse(self._open_activity(ungraded))
        count = self.env["mail.activity"].search_count([("funnel_cadence", "!=", False)])
        self.assertEqual(self._run_cron(), 0, "second run does nothing")
        self.assertEqual(
            self.env["mail.activity"].search_count([("funnel_cadence", "!=", False)]), count
        )

    def test_cron_marks_sla_breaches(self):
        with freeze_time(FRIDAY_17):
            lead = self._lead(**GRADE_A).with_env(self.env)
        with freeze_time("2026-11-23 08:00:00"):
            self.assertEqual(lead.sla_state, "pending")
            self.assertTrue(lead.sla_breached, "live value before the cron runs")
            self.assertIn(lead, self.env["crm.lead"].search([("sla_breached", "=", True)]))
            self.assertTrue(lead.cadence_overdue)
            self.assertIn(lead, self.env["crm.lead"].search([("cadence_overdue", "=", True)]))
            self._run_cron()
            self.assertEqual(lead.sla_state, "breached")

    def test_cron_skips_won_and_unassigned(self):
        won = self._lead(**GRADE_A)
        self._mark_won(won)
        unassigned = self._lead(user=self.user_salesman_1, **GRADE_A)
        unassigned.user_id = False
        self._run_cron()
        self.assertFalse(self._open_activity(won))
        self.assertFalse(self._open_activity(unassigned))


class TestCadenceConcurrency(BaseCase):
    """Two real transactions (own cursors, committed data), as two cron workers."""

    test_tags = {"standard", "post_install"}
    test_module = "sales_funnel_std"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            user = env.ref("base.user_admin")
            leads = env["crm.lead"].create(
                [
                    {"name": f"Concurrent lead {i}", "type": "opportunity", "user_id": user.id}
                    | (GRADE_A if i % 2 else GRADE_B)
                    for i in range(40)
                ]
            )
            cls.lead_ids = leads.ids
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM mail_activity WHERE res_model = 'crm.lead' AND res_id = ANY(%s)",
                [cls.lead_ids],
            )
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["crm.lead"].with_context(active_test=False).browse(cls.lead_ids).unlink()

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            cr.execute(
                "DELETE FROM mail_activity WHERE res_model = 'crm.lead' AND res_id = ANY(%s)",
                [self.lead_ids],
            )

    def _open_counts(self):
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT res_id, COUNT(*) FROM mail_activity
                    WHERE res_model = 'crm.lead' AND res_id = ANY(%s)
                      AND funnel_cadence IS NOT NULL AND active GROUP BY res_id""",
                [self.lead_ids],
            )
            return dict(cr.fetchall())

    def test_two_cron_workers_at_once(self):
        results, errors = run_cron_workers(
            self.registry, lambda env: env["crm.lead"]._cron_sync_cadence(batch_size=5), timeout=60
        )
        self.assertFalse(errors)
        counts = self._open_counts()
        self.assertEqual(set(counts), set(self.lead_ids), "every lead caught up")
        self.assertEqual(set(counts.values()), {1}, "no duplicate")
        self.assertGreaterEqual(sum(results), len(self.lead_ids))

    def test_same_lead_in_two_transactions(self):
        """The second transaction waits for the first one and never duplicates.

        Under Odoo's REPEATABLE READ isolation it either creates nothing or fails with
        a serialization error, which the server retries: the retry creates nothing.
        """
        lead_id = self.lead_ids[0]
        outcome = []

        def sync():
            with self.registry.cursor() as cr:
                env = api.Environment(cr, api.SUPERUSER_ID, {})
                env["crm.lead"].browse(lead_id)._cadence_sync()

        def second():
            try:
                sync()
                outcome.append("done")
            except psycopg2.errors.SerializationFailure:
                sync()  # what odoo.service.model.retrying does
                outcome.append("retried")
            except Exception as error:  # reported by the assertion below
                outcome.append(error)

        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["crm.lead"].browse(lead_id)._cadence_sync()
            thread = threading.Thread(target=second)
            thread.start()
            time.sleep(0.5)
            self.assertTrue(thread.is_alive(), "blocked on the first transaction's activity")
        thread.join(timeout=30)
        self.assertIn(outcome, (["done"], ["retried"]))
        self.assertEqual(self._open_counts().get(lead_id), 1)


class TestCadenceCounters(CadenceCase):
    """The engine writes activities set-based; the assignees' "to do" counters are told
    once per user, with the notification the ORM sends (mail.activity/updated)."""

    @freeze_time("2026-11-23 09:00:00")  # a Monday
    def test_assignee_counter_notified_once_per_user(self):
        policy = self.env["crm.grade.policy"].search(
            [("company_id", "=", self.company.id), ("grade", "=", "a")]
        )
        policy.write({"first_contact_unit": "hours", "first_contact_delay": 1})  # due today
        sent = []

        def spy(user, notification_type, message, *args, **kwargs):
            sent.append((user.id, notification_type, message))

        Users = type(self.env["res.users"])
        with patch.object(Users, "_bus_send", spy):
            leads = self._lead(name="Counter 1") | self._lead(name="Counter 2")
            leads.write(GRADE_A)
        self.assertEqual(len(self._open_activity(leads[0])), 1)
        self.assertEqual(
            sent,
            [
                (
                    self.user_salesman_1.id,
                    "mail.activity/updated",
                    {"activity_created": True, "count_diff": 2},
                )
            ],
        )
        # re-assigned: one less for salesman 1, one more for salesman 2
        sent.clear()
        with patch.object(Users, "_bus_send", spy):
            leads[0].write({"user_id": self.user_salesman_2.id})
        self.assertEqual(
            sorted(sent),
            sorted(
                [
                    (
                        self.user_salesman_1.id,
                        "mail.activity/updated",
                        {"activity_deleted": True, "count_diff": -1},
                    ),
                    (
                        self.user_salesman_2.id,
                        "mail.activity/updated",
                        {"activity_created": True, "count_diff": 1},
                    ),
                ]
            ),
        )


class TestCadenceCaches(CadenceCase):
    def test_rules_and_main_company_read_without_query(self):
        """A save that grades a lead costs what vanilla's write + activity_schedule costs:
        the main company and the rules per grade come from registry caches."""
        Lead, Policy = self.env["crm.lead"], self.env["crm.grade.policy"]
        Lead._bndu_default_company()
        Policy._policies_by_company({self.company.id})
        with self.assertQueryCount(0):
            main = Lead._bndu_default_company()
            rules = Policy._policies_by_company({self.company.id})
        self.assertEqual(main, self.env["res.company"].search([], order="id", limit=1))
        self.assertEqual({grade for _company, grade in rules}, {"a", "b", "c"})
        # a new company's rules are seen at once (the cache is cleared on rule creation)
        company = self.env["res.company"].create({"name": "Cached Rules Co"})
        keys = Policy._policies_by_company({company.id})
        self.assertEqual({key[0] for key in keys}, {company.id})
        self.assertEqual(len(keys), 3)
