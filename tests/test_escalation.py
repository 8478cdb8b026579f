"""The escalation ladder: remind the salesperson, notify the team leader, reassign,
after X / Y / Z working hours of the company calendar without a touch."""

from datetime import datetime

from freezegun import freeze_time

from odoo import api, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.modules.registry import Registry
from odoo.tests import BaseCase, get_db_name, users

from .common import FunnelCase, run_cron_workers
from .common_cadence import GRADE_A, GRADE_B

# Asia/Shanghai calendar, Monday-Friday 08:00-12:00 / 13:00-17:00; Monday 2026-11-23 a
# public holiday. A lead created Friday 2026-11-20 09:00 (local) has 7 working hours
# that day, none on the weekend nor the holiday, 8 on Tuesday.
FRIDAY_0900 = "2026-11-20 01:00:00"  # UTC
MONDAY_1600 = "2026-11-23 08:00:00"  # 7 working hours (the holiday counts none)
TUESDAY_0830 = "2026-11-24 00:30:00"  # 7.5
TUESDAY_0930 = "2026-11-24 01:30:00"  # 8.5: remind (8)
WEDNESDAY_0930 = "2026-11-25 01:30:00"  # 16.5: notify (16)
THURSDAY_0930 = "2026-11-26 01:30:00"  # 24.5: reassign (24)


class EscalationCase(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls.env["resource.calendar"].create(
            {"name": "Shanghai Office", "tz": "Asia/Shanghai", "company_id": cls.company.id}
        )
        cls.company.resource_calendar_id = cls.calendar
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Public holiday",
                "calendar_id": cls.calendar.id,
                "date_from": "2026-11-22 16:00:00",
                "date_to": "2026-11-23 15:59:59",
            }
        )
        # the shipped rules stay out of the way: each test states its own ladder
        cls.env["crm.escalation.rule"].search([]).active = False
        cls.rule = cls.env["crm.escalation.rule"].create(
            {
                "name": "Grade A idle",
                "grade": "a",
                "trigger": "no_followup",
                "remind_hours": 8,
                "notify_hours": 16,
                "reassign_hours": 24,
                "reassign_to": "leader",
                "company_id": cls.company.id,
            }
        )
        cls.Lead = cls.env["crm.lead"]
        cls.type_remind = cls.env.ref("sales_funnel_std.mail_activity_type_escalation_remind")
        cls.type_notify = cls.env.ref("sales_funnel_std.mail_activity_type_escalation_notify")

    @classmethod
    def _lead(cls, user=None, **vals):
        """A lead created now (frozen time): CRM stamps the stage date with the
        transaction's clock, which freezegun does not move."""
        lead = super()._lead(user=user, **vals)
        lead.date_last_stage_update = fields.Datetime.now()
        return lead

    def _sweep(self):
        return self.Lead._cron_escalation_sweep(commit=False)

    def _activities(self, lead, activity_type, user):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "=", lead.id),
                ("activity_type_id", "=", activity_type.id),
                ("user_id", "=", user.id),
            ]
        )

    def _digests(self, user):
        return self.env["mail.mail"].search(
            [("recipient_ids", "in", user.partner_id.ids), ("subject", "like", "escalated")]
        )


class TestEscalationLadder(EscalationCase):
    def test_ladder_counts_working_hours_across_weekend_and_holiday(self):
        with freeze_time(FRIDAY_0900):
            lead = self._lead(**GRADE_A)
        for moment in (MONDAY_1600, TUESDAY_0830):
            with freeze_time(moment):
                self.assertEqual(self._sweep(), 0, moment)
                self.assertFalse(lead.escalation_level)
        with freeze_time(TUESDAY_0930):
            self.assertEqual(self._sweep(), 1)
            self.assertEqual(lead.escalation_level, "remind")
            self.assertEqual(lead.escalation_rule_id, self.rule)
            self.assertIn("Salesperson Reminded", lead.escalation_summary)
            self.assertIn("Grade A idle", lead.escalation_summary)
            self.assertEqual(len(self._activities(lead, self.type_remind, self.user_salesman_1)), 1)
            self.assertFalse(self._digests(self.user_manager), "a reminder sends no e-mail")
            self.assertEqual(self._sweep(), 0, "nothing new due")
        with freeze_time(WEDNESDAY_0930):
            self.assertEqual(self._sweep(), 1)
            self.assertEqual(lead.escalation_level, "notify")
            self.assertEqual(len(self._activities(lead, self.type_notify, self.user_manager)), 1)
            self.assertEqual(len(self._digests(self.user_manager)), 1)
        with freeze_time(THURSDAY_0930):
            self.assertEqual(self._sweep(), 1)
            self.assertEqual(lead.escalation_level, "reassign")
            self.assertEqual(lead.user_id, self.user_manager, "reassigned to the team leader")
        log = lead.escalation_ids.sorted("id")
        self.assertEqual(log.mapped("level"), ["remind", "notify", "reassign"])
        self.assertEqual(
            log.mapped("user_id"), self.user_salesman_1 | self.user_manager | self.user_manager
        )
        self.assertEqual(set(log.mapped("salesperson_id")), {self.user_salesman_1})
        self.assertTrue(all(log.mapped("is_current")))
        self.assertEqual(set(log.mapped("rule_id")), {self.rule})

    def test_first_sweep_takes_the_most_advanced_step_due(self):
        with freeze_time(FRIDAY_0900):
            lead = self._lead(**GRADE_A)
        self.rule.reassign_hours = 0
        with freeze_time(THURSDAY_0930):
            self.assertEqual(self._sweep(), 1)
        self.assertEqual(lead.escalation_level, "notify", "no reassignment configured")
        self.assertEqual(len(lead.escalation_ids), 1, "one step, not a burst of three")
        self.assertEqual(lead.user_id, self.user_salesman_1)

    def test_one_digest_per_recipient_per_sweep(self):
        with freeze_time(FRIDAY_0900):
            leads = self._lead(**GRADE_A) | self._lead(name="Second", **GRADE_A)
            other = self._lead(user=self.user_salesman_2, name="Team 2", **GRADE_A)
        self.rule.reassign_hours = 0
        with freeze_time(WEDNESDAY_0930):
            self.assertEqual(self._sweep(), 3)
        digests = self._digests(self.user_manager)
        self.assertEqual(len(digests), 1, "both teams are led by the same manager")
        for lead in leads | other:
            self.assertIn(lead.name, digests.body_html)
        self.assertIn("3", digests.subject)

    def test_touch_restarts_the_clock(self):
        with freeze_time(FRIDAY_0900):
            by_followup = self._lead(name="Follow-up", **GRADE_A)
            by_message = self._lead(name="Message", **GRADE_A)
        with freeze_time(TUESDAY_0930):
            self._sweep()
            self.assertEqual((by_followup | by_message).mapped("escalation_level"), ["remind"] * 2)
        with freeze_time("2026-11-24 02:00:00"):
            by_followup.with_user(self.user_salesman_1).action_log_followup(
                {"channel": "phone", "summary": "Called back"}
            )
            self.assertFalse(by_followup.escalation_level, "reset at once")
            self.Lead.browse()._escalation_touched()
            self.assertEqual(by_message.escalation_level, "remind", "no lead, nothing reset")
            self.assertFalse(by_followup.escalation_ids.is_current)
            by_message.with_user(self.user_salesman_1).message_post(
                body="Customer asked for a demo", message_type="comment"
            )
        with freeze_time(WEDNESDAY_0930):
            self._sweep()
            self.assertFalse(by_message.escalation_level, "the sweep saw the message")
            self.assertFalse(by_followup.escalation_level, "7.5 working hours since the call")

    def test_stage_move_restarts_the_clock(self):
        with freeze_time(FRIDAY_0900):
            lead = self._lead(
                stage_id=self.env.ref("sales_funnel_std.crm_stage_acquisition").id, **GRADE_A
            )
        with freeze_time(TUESDAY_0930):
            self._sweep()
            self.assertEqual(lead.escalation_level, "remind")
            self._complete_checklists(lead)
            lead.with_user(self.user_salesman_1).stage_id = self.env.ref(
                "sales_funnel_std.crm_stage_qualification"
            )
            self.assertFalse(lead.escalation_level, "reset at once")
            self._sweep()
            self.assertFalse(lead.escalation_ids.is_current, "the log closed by the sweep")

    def test_only_open_assigned_leads_of_adopted_teams(self):
        with freeze_time(FRIDAY_0900):
            advisory = self._lead(user=self.user_salesman_2, **GRADE_A)
            grade_b = self._lead(**GRADE_B)
            unassigned = self._lead(**GRADE_A)
            unassigned.user_id = False
            lost = self._lead(**GRADE_A)
            lost.action_set_lost()
        self.team_2.funnel_adopted = False
        with freeze_time(THURSDAY_0930):
            self.assertEqual(self._sweep(), 0)
        self.assertFalse(any((advisory | grade_b | unassigned | lost).mapped("escalation_level")))

    def test_first_contact_and_stage_limit_triggers(self):
        first_contact = self.env.ref("sales_funnel_std.crm_escalation_rule_first_contact")
        first_contact.active = True
        with freeze_time(FRIDAY_0900):
            lead = self._lead(**GRADE_A)  # first contact within 48 h: Sunday 09:00
        self.assertEqual(lead.sla_state, "pending")
        self.rule.active = False
        with freeze_time(TUESDAY_0930):
            # deadline Sunday, Monday a holiday: 1.5 working hours late
            self.assertEqual(self._sweep(), 0)
        with freeze_time("2026-11-24 05:30:00"):  # Tuesday 13:30: 4.5 working hours late
            self.assertEqual(self._sweep(), 1)
        self.assertEqual(lead.escalation_level, "remind")
        self.assertEqual(lead.escalation_rule_id, first_contact)

    def test_stage_time_limit_trigger(self):
        """Lead acquisition: 3 days (the stage's rotting threshold), then the rule's
        working hours."""
        stage_limit = self.env.ref("sales_funnel_std.crm_escalation_rule_stage_limit")
        stage_limit.active = True
        self.rule.active = False
        acquisition = self.env.ref("sales_funnel_std.crm_stage_acquisition")
        self.assertEqual(acquisition.rotting_threshold_days, 3)
        with freeze_time(FRIDAY_0900):
            lead = self._lead(stage_id=acquisition.id, **GRADE_B)
        # limit reached Monday 09:00 (a holiday): 8 working hours are Tuesday's
        with freeze_time("2026-11-24 08:30:00"):  # Tuesday 16:30
            self.assertEqual(self._sweep(), 0)
        with freeze_time(WEDNESDAY_0930):
            self.assertEqual(self._sweep(), 1)
        self.assertEqual(lead.escalation_level, "remind")
        self.assertEqual(lead.escalation_rule_id, stage_limit)

    def test_escalated_filters(self):
        with freeze_time(FRIDAY_0900):
            mine = self._lead(**GRADE_A)
            theirs = self._lead(user=self.user_salesman_2, **GRADE_A)
        self.rule.reassign_hours = 0
        with freeze_time(WEDNESDAY_0930):
            self._sweep()
        escalated = [("escalation_level", "!=", False)]
        to_me = [("escalated_to_me", "=", True)]
        as_salesman = self.Lead.with_user(self.user_salesman_1)
        self.assertEqual(as_salesman.search(escalated), mine, "own leads only")
        self.assertEqual(
            self.env["crm.lead.escalation"].with_user(self.user_salesman_1).search([]),
            mine.escalation_ids,
        )
        as_leader = self.Lead.with_user(self.user_manager)
        self.assertEqual(as_leader.search(to_me), mine | theirs)
        self.assertFalse(
            as_salesman.search([("escalation_ids.user_id", "=", self.user_salesman_1.id)])
        )


class TestEscalationRules(EscalationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead_template = cls.env["mail.template"].create(
            {"name": "On leads", "model_id": cls.env["ir.model"]._get_id("crm.lead")}
        )

    @users("sf_manager")
    def test_invalid_ladders_are_refused(self):
        Rule = self.env["crm.escalation.rule"]
        count = Rule.with_context(active_test=False).search_count([])
        cases = [
            ({"remind_hours": 0}, "more than 0"),
            ({"remind_hours": -4}, "more than 0"),
            ({"remind_hours": 16, "notify_hours": 8}, "must come after the salesperson"),
            ({"notify_hours": 16, "reassign_hours": 10}, "use 0 to never reassign"),
            ({"remind_hours": "8"}, "whole number"),
            ({"mail_template_id": 999999}, "e-mail template on Users"),
            ({"mail_template_id": self.lead_template.id}, "e-mail template on Users"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals):
                with self.assertRaises(ValidationError) as error:
                    Rule.create({"name": "Bad", **vals})
                self.assertIn(message, str(error.exception))
        self.assertEqual(Rule.with_context(active_test=False).search_count([]), count)
        rule = self.rule.with_user(self.env.user)
        with self.assertRaises(ValidationError):
            rule.write({"notify_hours": 4})
        self.assertEqual(rule.notify_hours, 16, "nothing written")

    @users("sf_salesman_1")
    def test_salesman_cannot_change_rules_nor_the_log(self):
        with self.assertRaises(AccessError):
            self.rule.with_user(self.env.user).write({"remind_hours": 80})
        with self.assertRaises(AccessError):
            self.env["crm.escalation.rule"].create({"name": "Mine"})
        lead = self._lead(**GRADE_A).with_user(self.env.user)
        with self.assertRaises(AccessError):
            self.env["crm.lead.escalation"].create({"lead_id": lead.id, "level": "remind"})
        self.assertFalse(lead.escalation_ids)

    def test_cutoffs_follow_the_company_calendar(self):
        (row,) = self.rule._escalation_cutoffs(datetime(2026, 11, 24, 1, 30), self.company)
        # 8 working hours back from Tuesday 09:30 (Shanghai), Monday a holiday: Friday
        # 09:30 local; 16: Thursday 09:30; 24: Wednesday 09:30
        self.assertEqual(row["remind"], datetime(2026, 11, 20, 1, 30))
        self.assertEqual(row["notify"], datetime(2026, 11, 19, 1, 30))
        self.assertEqual(row["reassign"], datetime(2026, 11, 18, 1, 30))
        self.rule.reassign_hours = 0
        (row,) = self.rule._escalation_cutoffs(datetime(2026, 11, 24, 1, 30), self.company)
        self.assertIsNone(row["reassign"])


class TestEscalationConcurrency(BaseCase):
    """Two cron workers at once (own cursors, committed data) escalate each lead once."""

    test_tags = {"standard", "post_install"}
    test_module = "sales_funnel_std"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.registry = Registry(get_db_name())
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            cls.rule_ids = env["crm.escalation.rule"].search([]).ids
            env["crm.escalation.rule"].browse(cls.rule_ids).active = False
            user = env.ref("base.user_admin")
            team = env["crm.team"].create(
                {"name": "Concurrent Escalation Team", "user_id": user.id, "funnel_adopted": True}
            )
            cls.team_id = team.id
            rule = env["crm.escalation.rule"].create(
                {"name": "Concurrent", "remind_hours": 1, "notify_hours": 2}
            )
            cls.test_rule_id = rule.id
            leads = env["crm.lead"].create(
                [
                    {
                        "name": f"Escalation lead {i}",
                        "type": "opportunity",
                        "user_id": user.id,
                        "team_id": team.id,
                    }
                    for i in range(30)
                ]
            )
            cls.lead_ids = leads.ids
            env.flush_all()
            # a month without any touch
            cr.execute(
                """UPDATE crm_lead SET create_date = now() - interval '30 days',
                          date_last_stage_update = now() - interval '30 days'
                    WHERE id = ANY(%s)""",
                [cls.lead_ids],
            )
            cr.execute(
                """UPDATE mail_message SET date = now() - interval '30 days'
                    WHERE model = 'crm.lead' AND res_id = ANY(%s)""",
                [cls.lead_ids],
            )
        cls.addClassCleanup(cls._cleanup)

    @classmethod
    def _cleanup(cls):
        with cls.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            cr.execute(
                "DELETE FROM mail_activity WHERE res_model = 'crm.lead' AND res_id = ANY(%s)",
                [cls.lead_ids],
            )
            cr.execute(
                """DELETE FROM mail_mail WHERE mail_message_id IN (
                    SELECT id FROM mail_message WHERE subject LIKE 'Leads escalated%%')"""
            )
            env["crm.lead"].with_context(active_test=False).browse(cls.lead_ids).unlink()
            env["crm.escalation.rule"].browse(cls.test_rule_id).unlink()
            env["crm.escalation.rule"].browse(cls.rule_ids).active = True
            env["crm.team"].browse(cls.team_id).unlink()

    def test_two_sweeps_at_once(self):
        results, errors = run_cron_workers(
            self.registry,
            lambda env: env["crm.lead"]._cron_escalation_sweep(batch_size=4),
            timeout=120,
        )
        self.assertFalse(errors)
        self.assertEqual(sum(results), len(self.lead_ids), results)
        with self.registry.cursor() as cr:
            cr.execute(
                """SELECT lead_id, COUNT(*) FROM crm_lead_escalation
                    WHERE lead_id = ANY(%s) GROUP BY lead_id""",
                [self.lead_ids],
            )
            counts = dict(cr.fetchall())
            cr.execute(
                """SELECT COUNT(*) FROM mail_mail mail
                      JOIN mail_message msg ON msg.id = mail.mail_message_id
                     WHERE msg.subject LIKE 'Leads escalated%%'
                       AND mail.create_date > now() - interval '10 minutes'"""
            )
            (mails,) = cr.fetchone()
        self.assertEqual(set(counts), set(self.lead_ids), "every lead escalated")
        self.assertEqual(set(counts.values()), {1}, "each lead once")
        self.assertEqual(sum(results), len(self.lead_ids))
        self.assertLessEqual(mails, 2, "one digest per recipient and sweep")
