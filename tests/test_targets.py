"""Targets company → team → person and actual versus target (playbook 002 阶段一, 000)."""

import base64
import io
from contextlib import contextmanager
from datetime import timedelta
from operator import itemgetter

import openpyxl

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, users

from .common import FunnelCase


class TargetCase(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_salesman_3 = cls._new_salesman("sf_salesman_3", "Funnel Salesman 3")
        cls.team_1.member_ids = cls.user_salesman_1 | cls.user_salesman_3
        cls.today = fields.Date.context_today(cls.env["crm.funnel.target"])
        Target = cls.env["crm.funnel.target"]
        cls.company_target = Target.create(
            {
                "level": "company",
                "period_type": "month",
                "line_ids": [(0, 0, {"metric": "revenue", "target_value": 250000})],
            }
        )
        cls.team_target = Target.create(
            {
                "level": "team",
                "team_id": cls.team_1.id,
                "period_type": "month",
                "line_ids": [
                    (0, 0, {"metric": "revenue", "target_value": 100000}),
                    (0, 0, {"metric": "new_leads", "target_value": 11}),
                    (0, 0, {"metric": "new_customers", "target_value": 3}),
                    (
                        0,
                        0,
                        {
                            "metric": "conversion",
                            "funnel_role": "qualification",
                            "target_value": 30,
                        },
                    ),
                    (0, 0, {"metric": "first_visits", "target_value": 5}),
                    (0, 0, {"metric": "proposals", "target_value": 3}),
                    (0, 0, {"metric": "followups", "target_value": 10}),
                ],
            }
        )
        cls.team_2_target = Target.create(
            {
                "level": "team",
                "team_id": cls.team_2.id,
                "period_type": "month",
                "line_ids": [(0, 0, {"metric": "revenue", "target_value": 200000})],
            }
        )

    @contextmanager
    def assertRefused(self, exception, pattern):
        """Like assertRaisesRegex, inside Odoo's savepoint (nothing of the refused
        operation stays)."""
        with self.assertRaises(exception) as refused:
            yield
        self.assertRegex(str(refused.exception), pattern)

    def _progress(self, target):
        rows = self.env["crm.funnel.target.progress"].search([("target_id", "=", target.id)])
        return {(row.metric, row.funnel_role or False): row for row in rows}


class TestTargetBreakdown(TargetCase):
    def test_period_is_the_calendar_period_containing_the_day(self):
        target = self.team_target
        self.assertEqual(target.date_from, self.today.replace(day=1))
        self.assertEqual(target.date_to.month, self.today.month)
        self.assertEqual((target.date_to + timedelta(days=1)).day, 1)
        self.assertEqual(target.period_label, f"{self.today.year}-{self.today.month:02d}")
        quarter = self.env["crm.funnel.target"].create(
            {
                "level": "team",
                "team_id": self.team_1.id,
                "period_type": "quarter",
                "period_date": "2026-08-15",
            }
        )
        self.assertEqual(
            (quarter.date_from, quarter.date_to, quarter.period_label),
            (fields.Date.to_date("2026-07-01"), fields.Date.to_date("2026-09-30"), "2026 Q3"),
        )
        self.assertAlmostEqual(quarter.weeks, 92 / 7, places=2)

    @users("sf_manager")
    def test_split_evenly_parts_add_up_exactly(self):
        target = self.team_target.with_env(self.env)
        wizard = Form(self.env["crm.funnel.target.split"].with_context(default_target_id=target.id))
        self.assertEqual(len(wizard.line_ids), 2)
        wizard.save().action_split()
        people = target.child_ids
        self.assertEqual(people.user_id, self.user_salesman_1 | self.user_salesman_3)
        figures = [person._figures() for person in people]
        self.assertEqual([f[("revenue", False)] for f in figures], [50000, 50000])
        # 11 leads over two people: whole numbers that add up
        self.assertEqual(sorted(f[("new_leads", False)] for f in figures), [5, 6])
        # a rate is not split
        self.assertEqual([f[("conversion", "qualification")] for f in figures], [30, 30])
        self.assertEqual(people.parent_id, target)
        target.action_agree()
        self.assertEqual(target.state, "agreed")

    @users("sf_manager")
    def test_split_by_weight(self):
        target = self.team_target.with_env(self.env)
        wizard = Form(self.env["crm.funnel.target.split"].with_context(default_target_id=target.id))
        wizard.mode = "weight"
        with wizard.line_ids.edit(0) as line:
            line.weight = 3
        wizard.save().action_split()
        revenue = {p.user_id: p._figures()[("revenue", False)] for p in target.child_ids}
        self.assertEqual(revenue[self.user_salesman_1], 75000)
        self.assertEqual(revenue[self.user_salesman_3], 25000)

    @users("sf_manager")
    def test_parts_not_adding_up_is_refused_with_the_figures(self):
        target = self.team_target.with_env(self.env)
        target._split({self.user_salesman_1: 1.0, self.user_salesman_3: 1.0})
        person = target.child_ids.filtered(lambda t: t.user_id == self.user_salesman_3)
        person.line_ids.filtered(lambda line: line.metric == "revenue").target_value = 40000
        with self.assertRefused(
            ValidationError,
            r"do not add up for Won revenue: 90000.0 split over 2 targets, 100000.0 expected",
        ):
            target.action_agree()
        self.assertEqual(target.state, "draft")
        # the company's target is not the sum of its two teams' either
        with self.assertRefused(ValidationError, "300000.0 split over 2 targets, 250000.0"):
            self.company_target.with_env(self.env).action_agree()

    @users("sf_manager")
    def test_bad_input_is_refused_and_nothing_is_written(self):
        Target = self.env["crm.funnel.target"]
        with self.assertRefused(ValidationError, "A target cannot be negative."):
            Target.create(
                {
                    "level": "team",
                    "team_id": self.team_1.id,
                    "period_type": "quarter",
                    "line_ids": [(0, 0, {"metric": "revenue", "target_value": -1})],
                }
            )
        with self.assertRefused(ValidationError, "between 0 and 100"):
            self.team_target.with_env(self.env).line_ids.filtered(
                lambda line: line.metric == "conversion"
            ).target_value = 130
        with self.assertRefused(ValidationError, "is not a member of the sales team"):
            Target.create(
                {
                    "level": "user",
                    "team_id": self.team_1.id,
                    "user_id": self.user_salesman_2.id,
                    "period_type": "month",
                }
            )
        with self.assertRefused(ValidationError, "Weights must be zero or more"):
            self.team_target.with_env(self.env)._split(
                {self.user_salesman_1: -1.0, self.user_salesman_3: 1.0}
            )
        self.assertEqual(
            Target.search_count([("team_id", "=", self.team_1.id)]), 1, "nothing was written"
        )
        self.assertEqual(
            self.team_target.line_ids.filtered(
                lambda line: line.metric == "conversion"
            ).target_value,
            30,
        )

    @users("sf_manager")
    def test_one_target_per_scope_and_period(self):
        Target = self.env["crm.funnel.target"]
        # a quarter and a year next to the month are fine: other periods
        Target.create({"level": "team", "team_id": self.team_1.id, "period_type": "quarter"})
        Target.create({"level": "team", "team_id": self.team_1.id, "period_type": "year"})
        with self.assertRefused(
            ValidationError,
            r"Sales Team already has a target for the period \d{4}-\d{2} "
            r"\(\d{4}-\d{2} · Funnel Team 1\): edit that one instead.",
        ):
            Target.create({"level": "team", "team_id": self.team_1.id, "period_type": "month"})

    @users("sf_manager")
    def test_agreed_target_is_locked_until_back_to_draft(self):
        target = self.team_2_target.with_env(self.env)
        target.action_agree()
        self.assertEqual(target.agreed_by_id, self.user_manager)
        with self.assertRefused(UserError, "is agreed: set it back to draft"):
            target.line_ids.target_value = 1
        target.action_reset_draft()
        target.line_ids.target_value = 1
        self.assertEqual(target.line_ids.target_value, 1)

    @users("sf_salesman_1")
    def test_salesman_sees_own_and_team_targets_and_cannot_set_them(self):
        self.team_target._split({self.user_salesman_1: 1.0, self.user_salesman_3: 1.0})
        Target = self.env["crm.funnel.target"]
        visible = Target.search([])
        self.assertIn(self.team_target, visible)
        self.assertEqual(
            visible.filtered(lambda t: t.level == "user").user_id, self.user_salesman_1
        )
        self.assertNotIn(self.team_2_target, visible)
        self.assertNotIn(self.company_target, visible)
        progress = self.env["crm.funnel.target.progress"].search([])
        self.assertEqual(progress.target_id, visible)
        with self.assertRaises(AccessError):
            Target.create({"level": "team", "team_id": self.team_1.id, "period_type": "year"})
        with self.assertRefused(UserError, "Only sales managers"):
            self.team_target.with_env(self.env).action_agree()


class TestTargetActuals(TargetCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_target._split({cls.user_salesman_1: 1.0, cls.user_salesman_3: 1.0})
        cls.person_1 = cls.team_target.child_ids.filtered(
            lambda t: t.user_id == cls.user_salesman_1
        )
        # salesman 1: three leads this month, one won (a new customer), one of last month
        cls.won = cls._lead(name="Won deal", expected_revenue=20000)
        cls._make_won(cls.won)
        cls.open_1 = cls._lead(name="Open 1")
        cls.open_2 = cls._lead(name="Open 2")
        old = cls._lead(name="Last month")
        cls.env.cr.execute(
            "UPDATE crm_lead SET create_date = create_date - interval '45 days' WHERE id = %s",
            [old.id],
        )
        # salesman 3 wins a deal for a customer already won: revenue, no new customer
        cls.won_3 = cls._lead(user=cls.user_salesman_3, name="Repeat deal", expected_revenue=5000)
        cls._make_won(cls.won_3)
        # follow-ups: two on Open 1 (one first visit), one on Open 2 (a first visit)
        Followup = cls.env["crm.lead.followup"]
        for lead in (cls.open_1, cls.open_1, cls.open_2):
            Followup.with_user(cls.user_salesman_1).create(
                {"lead_id": lead.id, "channel": "visit", "summary": "Visit"}
            )
        # another team's won deal counts for its team and the company only
        cls.won_team_2 = cls._lead(
            user=cls.user_salesman_2, name="Team 2 deal", expected_revenue=7000
        )
        cls._make_won(cls.won_team_2)
        cls.env.invalidate_all()

    def test_actuals_per_person_team_and_company(self):
        person = self._progress(self.person_1)
        self.assertEqual(person[("revenue", False)].actual_value, 20000)
        self.assertEqual(person[("revenue", False)].progress, 40.0)
        self.assertEqual(person[("new_leads", False)].actual_value, 3)
        self.assertEqual(person[("new_customers", False)].actual_value, 1)
        self.assertEqual(person[("followups", False)].actual_value, 3)
        self.assertEqual(person[("first_visits", False)].actual_value, 2)
        # _make_won completed the proposal document of both wins: one for salesman 1
        self.assertEqual(person[("proposals", False)].actual_value, 1)
        weeks = self.person_1.weeks
        self.assertAlmostEqual(person[("followups", False)].period_target, 10 / 2 * weeks, 2)
        self.assertAlmostEqual(person[("followups", False)].actual_per_week, 3 / weeks, 2)

        team = self._progress(self.team_target)
        self.assertEqual(team[("revenue", False)].actual_value, 25000)
        self.assertEqual(team[("new_customers", False)].actual_value, 1)
        self.assertEqual(team[("new_leads", False)].actual_value, 4)
        self.assertEqual(team[("proposals", False)].actual_value, 2)
        company = self._progress(self.company_target)
        self.assertEqual(company[("revenue", False)].actual_value, 32000)

    def test_conversion_equals_funnel_analysis_for_the_same_leads(self):
        """The actual conversion into Qualification is Funnel Analysis's figure for the
        team's leads created in the period."""
        target = self.team_target
        groups = self.env["crm.funnel.report"]._read_group(
            [
                ("team_id", "=", self.team_1.id),
                ("funnel_role", "=", "qualification"),
                ("lead_create_date", ">=", target.date_from),
                ("lead_create_date", "<", target.date_to + timedelta(days=1)),
            ],
            aggregates=["conversion_rate:avg", "__count", "conversion_target:avg"],
        )
        expected, count, target_there = groups[0]
        self.assertEqual(target_there, 30.0, "the team's target shows in Funnel Analysis")
        self.assertEqual(count, 4)
        self.assertAlmostEqual(expected, 50.0, 2)  # the two won leads of the four
        actual = self._progress(target)[("conversion", "qualification")].actual_value
        self.assertAlmostEqual(actual, expected, 2)

    def test_team_card_shows_the_current_revenue_target(self):
        team = self.team_1.with_user(self.user_salesman_1)
        self.assertEqual(team.funnel_target_id, self.team_target)
        self.assertEqual(team.funnel_target_revenue, 100000)
        self.assertEqual(team.funnel_target_revenue_actual, 25000)
        self.assertEqual(team.funnel_target_progress, 25.0)
        self.assertEqual(self.team_2.funnel_target_revenue_actual, 7000)

    def test_figures_of_some_targets_equal_the_report(self):
        Progress = self.env["crm.funnel.target.progress"]
        domain = [("id", "in", (self.person_1 | self.company_target).ids)]
        rows = Progress._read_figures(domain)
        report = Progress.search_read(
            [("target_id", "in", (self.person_1 | self.company_target).ids)]
        )
        self.assertEqual(len(rows), 8)
        key = itemgetter("id")
        for row, expected in zip(sorted(rows, key=key), sorted(report, key=key), strict=True):
            self.assertEqual(row["actual_value"], expected["actual_value"])
            self.assertEqual(row["progress"], expected["progress"])

    def test_actuals_cost_the_same_queries_for_one_or_all_targets(self):
        Progress = self.env["crm.funnel.target.progress"]
        Progress.search_read([("target_id", "=", self.person_1.id)], ["actual_value"])
        with self.assertQueryCount(2):
            Progress.search_read([("target_id", "=", self.person_1.id)], ["actual_value"])
        with self.assertQueryCount(2):
            rows = Progress.search_read([], ["actual_value", "progress"])
        self.assertEqual(len(rows), 1 + 7 + 1 + 7 * 2)

    def test_agreement_pdf_has_both_signature_lines(self):
        report = self.env.ref("sales_funnel_std.crm_funnel_target_agreement_report")
        html = (
            report.with_user(self.user_salesman_1)
            ._render_qweb_html(report.report_name, self.person_1.ids)[0]
            .decode()
        )
        self.assertIn("Sales Target Agreement", html)
        self.assertIn("Sales Manager (signature)", html)
        self.assertIn("Salesperson (signature)", html)
        self.assertIn("Funnel Salesman 1", html)
        self.assertIn("50,000.00", html)

    @users("sf_salesman_1")
    def test_xlsx_targets_sheet_has_the_user_s_targets_of_the_period(self):
        wizard = self.env["crm.funnel.export"].create({})
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.xlsx_file)))
        sheet = book["Targets"]
        header = [cell.value for cell in sheet[1]]
        rows = [
            dict(zip(header, row, strict=True))
            for row in sheet.iter_rows(min_row=2, values_only=True)
        ]
        # the team's 7 figures and salesman 1's 7: not salesman 3's, nor team 2's
        self.assertEqual(len(rows), 14)
        self.assertEqual({row["Salesperson"] for row in rows}, {None, "Funnel Salesman 1"})
        revenue = next(
            row
            for row in rows
            if row["Salesperson"] == "Funnel Salesman 1" and row["Figure"] == "Won revenue"
        )
        self.assertEqual(revenue["Actual"], 20000)
        self.assertEqual(revenue["Progress (%)"], 0.4)
        # a past period has no target
        wizard = self.env["crm.funnel.export"].create(
            {"date_from": "2020-01-01", "date_to": "2020-12-31"}
        )
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.xlsx_file)))
        self.assertEqual(book["Targets"]["A2"].value, "No target for the selected period.")

    def test_agreement_pdf_is_in_the_salesperson_s_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.user_salesman_1.lang = "zh_CN"
        report = self.env.ref("sales_funnel_std.crm_funnel_target_agreement_report")
        html = (
            report.with_user(self.user_manager)
            ._render_qweb_html(report.report_name, self.person_1.ids)[0]
            .decode()
        )
        self.assertIn("销售目标责任书", html)
        self.assertIn("销售主管（签字）", html)
        self.assertIn("销售人员（签字）", html)
        self.assertIn("成交金额", html)
        self.assertNotIn("Sales Target Agreement", html)
