"""Lead sources, screening, senior-first assignment and intake timeliness (003 (一), 001)."""

from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, users

from .common import FunnelCase

FRIDAY_10 = datetime(2026, 11, 20, 10, 0)  # a Friday


class ScreeningCase(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # a UTC Monday-Friday 08:00-12:00 / 13:00-17:00 calendar: deterministic deadlines
        cls.calendar = cls.env["resource.calendar"].create(
            {"name": "Screening Office Hours", "tz": "UTC", "company_id": cls.company.id}
        )
        cls.company.resource_calendar_id = cls.calendar
        Rule = cls.env["crm.screening.rule"]
        Rule.search([]).active = False  # own criteria, not the shipped ones
        cls.rule_invalid = Rule.create(
            {
                "name": "Unreachable",
                "sequence": 1,
                "result": "invalid",
                "domain": "[('email_from', '=', False), ('phone', '=', False)]",
            }
        )
        cls.rule_high = Rule.create(
            {
                "name": "Big budget, urgent",
                "sequence": 2,
                "result": "high",
                "domain": str(
                    [("funnel_budget_range", "=", "gte_1m"), ("bndu_urgency", "in", ["4", "5"])]
                ),
            }
        )
        cls.source_referral = cls.env.ref("utm.utm_source_referral")
        cls.source_exhibition = cls.env.ref("sales_funnel_std.utm_source_exhibition")
        cls.reason = cls.env.ref("sales_funnel_std.crm_lost_reason_not_followed_up")

    @classmethod
    def _prospect(cls, **vals):
        values = {"email_from": "buyer@prospect.example", "partner_id": False}
        values.update(vals)
        return cls._lead(**values)


class TestPlaybookDefaults(ScreeningCase):
    def test_an_upgrade_keeps_the_admin_s_ranking(self):
        """The data ranks each playbook source once: the next upgrade (the same data
        function) leaves what the admin changed."""
        self.source_exhibition.funnel_priority = 7
        self.env["utm.source"]._funnel_install_sources()
        self.assertEqual(self.source_exhibition.funnel_priority, 7)
        self.assertEqual(self.env.ref("sales_funnel_std.utm_source_referral"), self.source_referral)

    def test_shipped_values(self):
        online_ads = self.env.ref("sales_funnel_std.utm_source_online_ads")
        self.assertEqual(
            [self.source_referral.funnel_priority, self.source_exhibition.funnel_priority],
            [1, 2],
        )
        self.assertEqual(online_ads.funnel_priority, 3)
        other = self.env["utm.source"].create({"name": "Trade magazine"})
        self.assertEqual(other.funnel_priority, 10)
        self.assertEqual(self.reason.name, "Not followed up for now")
        self.assertEqual(self.company.funnel_intake_days, 1)
        self.assertEqual(self.company.funnel_first_touch_hours, 24)
        shipped = (
            self.env["crm.screening.rule"]
            .with_context(active_test=False)
            .search([("id", "not in", (self.rule_invalid | self.rule_high).ids)])
        )
        self.assertEqual(shipped.mapped("result"), ["invalid", "invalid", "high", "high"])


class TestSources(ScreeningCase):
    @users("sf_salesman_1")
    def test_source_priority_on_lead(self):
        lead = self._prospect(source_id=self.source_exhibition.id).with_env(self.env)
        self.assertEqual(lead.source_priority, 2)
        self.source_exhibition.with_user(self.user_manager).funnel_priority = 5
        self.assertEqual(lead.source_priority, 5)
        leads = self.env["crm.lead"].search(
            [("id", "in", (lead | self._prospect(source_id=self.source_referral.id)).ids)],
            order="source_priority",
        )
        self.assertEqual(leads.mapped("source_priority"), [1, 5])
        # no source: ranks with the other sources, never before the ranked ones
        self.assertEqual(self._prospect().source_priority, 10)

    @users("sf_salesman_1")
    def test_unknown_source_refused(self):
        Lead = self.env["crm.lead"]
        count = Lead.search_count([])
        with self.assertRaisesRegex(ValidationError, "Unknown lead source 999999"):
            Lead.create({"name": "Ghost source", "source_id": 999999})
        self.assertEqual(Lead.search_count([]), count)
        lead = self._prospect(source_id=self.source_referral.id).with_env(self.env)
        with self.assertRaisesRegex(ValidationError, "choose an existing source"):
            lead.write({"source_id": 999999})
        self.assertEqual(lead.source_id, self.source_referral)

    @users("sf_manager")
    def test_priority_must_be_positive(self):
        source = self.source_exhibition.with_env(self.env)
        with self.assertRaisesRegex(ValidationError, "whole number of 1 or more"):
            source.write({"funnel_priority": -1})
        self.assertEqual(source.funnel_priority, 2)

    @users("sf_salesman_1")
    def test_salesman_cannot_rank_sources(self):
        source = self.source_exhibition.with_env(self.env)
        with self.assertRaisesRegex(AccessError, "Only sales managers"):
            source.write({"funnel_priority": 1})
        self.assertEqual(source.funnel_priority, 2)
        # creating a source from a lead (quick create) stays possible
        self.assertEqual(self.env["utm.source"].create({"name": "Walk-in"}).funnel_priority, 10)


class TestScreeningSuggestion(ScreeningCase):
    @users("sf_salesman_1")
    def test_suggestion_from_rules(self):
        high = self._prospect(funnel_budget_range="gte_1m", bndu_urgency="5")
        normal = self._prospect(funnel_budget_range="gte_1m", bndu_urgency="2")
        invalid = self._prospect(email_from=False)
        # first rule by sequence wins: unreachable even with a big budget
        both = self._prospect(email_from=False, funnel_budget_range="gte_1m", bndu_urgency="5")
        leads = (high | normal | invalid | both).with_env(self.env)
        self.assertEqual(
            leads.mapped("screening_suggestion"), ["high", "normal", "invalid", "invalid"]
        )
        self.assertEqual(leads.mapped("screening_result"), ["high", "normal", "invalid", "invalid"])
        # the profile changes: the suggestion follows until the rep confirms
        leads[1].bndu_urgency = "4"
        self.assertEqual(leads[1].screening_result, "high")
        leads[2].phone = "+86 21 5555 0000"
        self.assertEqual(leads[2].screening_suggestion, "normal")

    def test_rule_of_other_company_ignored(self):
        rule = self.env["crm.screening.rule"].create(
            {
                "name": "Company 2 only",
                "sequence": 0,
                "result": "high",
                "company_id": self.company_2.id,
                "domain": "[]",
            }
        )
        lead = self._prospect()
        self.assertEqual(lead.screening_suggestion, "normal")
        rule.company_id = self.company
        self.assertEqual(lead.screening_suggestion, "high")

    @users("sf_manager")
    def test_rule_change_rescreens_unconfirmed_leads(self):
        confirmed = self._prospect(name="confirmed").with_env(self.env)
        confirmed.action_screening_confirm()
        pending = self._prospect(name="pending").with_env(self.env)
        self.assertEqual((confirmed | pending).mapped("screening_result"), ["normal", "normal"])
        self.rule_high.with_env(self.env).domain = "[('email_from', 'ilike', 'prospect')]"
        self.assertEqual(pending.screening_result, "high")
        # confirmed leads keep what the rep confirmed
        self.assertEqual(confirmed.screening_result, "normal")

    @users("sf_manager")
    def test_bad_domain_refused(self):
        Rule = self.env["crm.screening.rule"]
        count = Rule.search_count([])
        for domain, error in (
            ("[('no_such_field', '=', 1)]", "not a valid condition on leads"),
            ("[('name', '=',", "not a valid condition on leads"),
            ("import os", "not a valid condition on leads"),
        ):
            with self.assertRaisesRegex(ValidationError, error):
                Rule.create({"name": "Broken", "domain": domain, "result": "high"})
        self.assertEqual(Rule.search_count([]), count)
        rule = self.rule_high.with_env(self.env)
        old = rule.domain
        with self.assertRaisesRegex(ValidationError, "Big budget, urgent"):
            rule.write({"domain": "[('funnel_budget_range', 'like')]"})
        self.assertEqual(rule.domain, old)
        with self.assertRaisesRegex(ValidationError, "High Potential, Normal or Invalid"):
            rule.write({"result": "maybe"})
        self.assertEqual(rule.result, "high")

    @users("sf_salesman_1")
    def test_salesman_reads_rules_only(self):
        rule = self.rule_high.with_env(self.env)
        self.assertEqual(rule.name, "Big budget, urgent")
        with self.assertRaises(AccessError):
            rule.write({"result": "normal"})

    def test_rescreening_query_count(self):
        """Re-screening 100 leads: one search, one read, one UPDATE per result; the
        rules' domains are evaluated once over the batch."""
        self.env["crm.lead"].create(
            [
                {
                    "name": f"Batch {i}",
                    "email_from": f"b{i}@prospect.example",
                    "funnel_budget_range": "gte_1m" if i % 2 else "lt_100k",
                    "bndu_urgency": "5",
                }
                for i in range(100)
            ]
        )
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(11):
            self.rule_high.domain = "[('funnel_budget_range', 'in', ['gte_1m', '500k_1m'])]"
            self.env.flush_all()


class TestScreeningConfirmation(ScreeningCase):
    @users("sf_salesman_1")
    def test_confirm_suggestion(self):
        lead = self._prospect().with_env(self.env)
        self.assertFalse(lead.screening_date)
        with freeze_time("2026-11-20 10:00:00"):
            self.assertIs(lead.action_screening_confirm(), True)
        self.assertEqual(lead.screening_user_id, self.user_salesman_1)
        self.assertEqual(lead.screening_date, FRIDAY_10)
        self.assertEqual(lead.screening_result, "normal")
        # confirmed: a later profile change moves the suggestion, not the result
        lead.write({"funnel_budget_range": "gte_1m", "bndu_urgency": "5"})
        self.assertEqual(lead.screening_suggestion, "high")
        self.assertEqual(lead.screening_result, "normal")

    @users("sf_salesman_1")
    def test_confirm_another_value(self):
        lead = self._prospect().with_env(self.env)
        lead.action_screening_set("high")
        self.assertEqual((lead.screening_suggestion, lead.screening_result), ("normal", "high"))
        self.assertTrue(lead.screening_date)
        with self.assertRaisesRegex(Exception, "High Potential, Normal or Invalid"):
            lead.action_screening_set("urgent")
        with self.assertRaisesRegex(ValidationError, "High Potential, Normal or Invalid"):
            lead.write({"screening_result": "urgent"})
        self.assertEqual(lead.screening_result, "high")

    @users("sf_salesman_1")
    def test_invalid_closed_through_lost_wizard(self):
        lead = self._prospect(email_from=False).with_env(self.env)
        self.assertEqual(lead.screening_suggestion, "invalid")
        action = lead.action_screening_confirm()
        self.assertEqual(action["res_model"], "crm.lead.lost")
        wizard = Form(self.env["crm.lead.lost"].with_context(action["context"]))
        self.assertEqual(wizard.lost_reason_id, self.reason)
        wizard.save().action_lost_reason_apply()
        lead = self.env["crm.lead"].with_context(active_test=False).browse(lead.id)
        self.assertTrue(lead.exists(), "an invalid lead is never deleted")
        self.assertFalse(lead.active)
        self.assertEqual(lead.won_status, "lost")
        self.assertEqual(lead.lost_reason_id, self.reason)
        self.assertEqual(lead.screening_result, "invalid")

    @users("sf_manager")
    def test_invalid_batch_closed_at_once(self):
        leads = (self._prospect(email_from=False) | self._prospect()).with_env(self.env)
        self.assertIs(leads.action_screening_confirm(), True)
        self.assertEqual(leads.mapped("active"), [False, True])
        self.assertEqual(leads[0].lost_reason_id, self.reason)
        self.assertTrue(all(leads.mapped("screening_date")))


class TestScreeningAssignment(ScreeningCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_salesman_3 = cls._new_salesman("sf_salesman_3", "Funnel Salesman 3")
        cls.belgium = cls.env.ref("base.be")
        cls.france = cls.env.ref("base.fr")
        cls.team = cls.env["crm.team"].create({"name": "Screening Team", "use_leads": True})
        Member = cls.env["crm.team.member"]
        cls.senior = Member.create(
            {
                "crm_team_id": cls.team.id,
                "user_id": cls.user_salesman_2.id,
                "assignment_max": 300,
                "funnel_senior": True,
            }
        )
        cls.member_be = Member.create(
            {
                "crm_team_id": cls.team.id,
                "user_id": cls.user_salesman_1.id,
                "assignment_max": 300,
                "assignment_domain": str([("country_id", "=", cls.belgium.id)]),
            }
        )
        cls.member_fr = Member.create(
            {
                "crm_team_id": cls.team.id,
                "user_id": cls.user_salesman_3.id,
                "assignment_max": 300,
                "assignment_domain": str([("country_id", "=", cls.france.id)]),
            }
        )

    def _new_lead(self, name, country, high):
        values = {
            "name": name,
            "type": "lead",
            "user_id": False,
            "team_id": False,
            "partner_id": False,
            "email_from": f"{name.lower().replace(' ', '.')}@prospect.example",
            "country_id": country.id,
        }
        if high:
            values.update(funnel_budget_range="gte_1m", bndu_urgency="5")
        return self.env["crm.lead"].create(values)

    def _assign(self):
        self.team.with_user(self.user_manager).action_assign_leads()

    def test_high_potential_to_senior_normal_by_region(self):
        highs = [self._new_lead(f"High {i}", self.belgium, True) for i in range(3)]
        highs.append(self._new_lead("High FR", self.france, True))
        normal_be = self._new_lead("Normal BE", self.belgium, False)
        normal_fr = self._new_lead("Normal FR", self.france, False)
        self.assertEqual({lead.screening_result for lead in highs}, {"high"})
        self._assign()
        for lead in highs:
            self.assertEqual(lead.user_id, self.user_salesman_2, lead.name)
            self.assertEqual(lead.type, "opportunity")
        self.assertEqual(normal_be.user_id, self.user_salesman_1)
        self.assertEqual(normal_fr.user_id, self.user_salesman_3)

    def test_high_potential_to_others_when_seniors_are_full(self):
        self.senior.assignment_max = 30  # one lead a day
        highs = [self._new_lead(f"High {i}", self.belgium, True) for i in range(2)]
        self._assign()
        self.assertEqual(
            sorted(lead.user_id.login for lead in highs), ["sf_salesman_1", "sf_salesman_2"]
        )

    def test_team_without_senior_is_vanilla(self):
        self.senior.funnel_senior = False
        self.senior.assignment_domain = str([("country_id", "=", self.france.id)])
        high_be = self._new_lead("High BE", self.belgium, True)
        self._assign()
        self.assertEqual(high_be.user_id, self.user_salesman_1)

    @users("sf_salesman_1")
    def test_salesman_cannot_flag_seniors(self):
        with self.assertRaises(AccessError):
            self.senior.with_env(self.env).funnel_senior = False


class TestIntakeTimeliness(ScreeningCase):
    @users("sf_salesman_1")
    def test_entered_on_time_by_default(self):
        lead = self._prospect().with_env(self.env)
        self.assertEqual(lead.funnel_capture_date, lead.create_date)
        self.assertFalse(lead.intake_late)
        self.assertGreater(lead.intake_deadline, lead.create_date)

    @users("sf_salesman_1")
    def test_entered_late(self):
        lead = self._prospect(funnel_capture_date=FRIDAY_10).with_env(self.env)
        # one working day after Friday: Monday, end of the working day
        self.assertEqual(lead.intake_deadline, datetime(2026, 11, 23, 17, 0))
        self.assertTrue(lead.intake_late)
        on_time = self._prospect()
        found = self.env["crm.lead"].search(
            [("id", "in", (lead | on_time).ids), ("intake_late", "=", True)]
        )
        self.assertEqual(found, lead)

    def test_entry_delay_setting(self):
        lead = self._prospect(funnel_capture_date=FRIDAY_10)
        self.company.funnel_intake_days = 3
        self.assertEqual(lead.intake_deadline, datetime(2026, 11, 25, 17, 0))

    @users("sf_salesman_1")
    def test_capture_in_the_future_refused(self):
        future = fields.Datetime.now() + timedelta(days=2)
        with self.assertRaisesRegex(ValidationError, "cannot be captured in the future"):
            self._prospect(funnel_capture_date=future)

    @users("sf_salesman_1")
    def test_first_touch_of_high_potential(self):
        high = {
            "funnel_budget_range": "gte_1m",
            "bndu_urgency": "5",
            "funnel_capture_date": FRIDAY_10,
        }
        met = self._prospect(name="met", **high).with_env(self.env)
        late = self._prospect(name="late", **high).with_env(self.env)
        pending = self._prospect(name="pending", **high).with_env(self.env)
        normal = self._prospect(name="normal", funnel_capture_date=FRIDAY_10).with_env(self.env)
        self.assertEqual(met.first_touch_deadline, datetime(2026, 11, 21, 10, 0))
        self.assertFalse(normal.first_touch_deadline)
        self.assertFalse(normal.first_touch_state)
        Followup = self.env["crm.lead.followup"]
        Followup.create({"lead_id": met.id, "date": "2026-11-20 15:00:00", "summary": "Call"})
        Followup.create({"lead_id": late.id, "date": "2026-11-23 09:00:00", "summary": "Call"})
        self.assertEqual(
            [met.first_touch_state, late.first_touch_state, pending.first_touch_state],
            ["met", "breached", "pending"],
        )
        self.assertEqual(met.first_touch_date, datetime(2026, 11, 20, 15, 0))
        ids = (met | late | pending | normal).ids
        with freeze_time("2026-11-20 20:00:00"):
            overdue = self.env["crm.lead"].search(
                [("id", "in", ids), ("first_touch_overdue", "=", True)]
            )
            self.assertEqual(overdue, late)
        with freeze_time("2026-11-21 11:00:00"):
            overdue = self.env["crm.lead"].search(
                [("id", "in", ids), ("first_touch_overdue", "=", True)]
            )
            self.assertEqual(overdue, late | pending)
            pending.invalidate_recordset(["first_touch_overdue"])
            self.assertTrue(pending.first_touch_overdue)

    def test_first_touch_hours_setting(self):
        lead = self._prospect(
            funnel_budget_range="gte_1m", bndu_urgency="5", funnel_capture_date=FRIDAY_10
        )
        self.company.funnel_first_touch_hours = 4
        self.assertEqual(lead.first_touch_deadline, datetime(2026, 11, 20, 14, 0))

    @users("sf_admin")
    def test_settings_validation(self):
        company = self.company.with_env(self.env)
        for fname, value in (
            ("funnel_intake_days", 0),
            ("funnel_first_touch_hours", -24),
        ):
            with self.assertRaisesRegex(ValidationError, "must be a whole number greater than 0"):
                self.env["res.config.settings"].create({fname: value}).execute()
        self.assertEqual((company.funnel_intake_days, company.funnel_first_touch_hours), (1, 24))
        settings = self.env["res.config.settings"].create(
            {"funnel_intake_days": 2, "funnel_first_touch_hours": 12}
        )
        settings.execute()
        self.assertEqual((company.funnel_intake_days, company.funnel_first_touch_hours), (2, 12))


class TestFunnelReportScreening(ScreeningCase):
    def test_report_columns(self):
        lead = self._prospect(
            source_id=self.source_exhibition.id,
            funnel_budget_range="gte_1m",
            bndu_urgency="5",
            funnel_capture_date=FRIDAY_10,
        )
        self.env.flush_all()
        rows = self.env["crm.funnel.report"].search([("lead_id", "=", lead.id)])
        self.assertTrue(rows)
        row = rows[0]
        self.assertEqual(row.source_priority, 2)
        self.assertEqual(row.screening_result, "high")
        self.assertTrue(row.intake_late)
        self.assertEqual(row.first_touch_state, "pending")
        figures = self.env["crm.funnel.report"]._funnel_figures([("lead_id", "=", lead.id)])
        self.assertEqual(figures["sla"]["intake_late"], 1)
        self.assertEqual(figures["sla"]["first_touch_pending"], 1)
