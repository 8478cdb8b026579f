"""The weekly review screen (playbook 002 阶段四 数据复盘): A-grade conversion, losses per
stage, per-person figures against targets."""

from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import users
from odoo.tools import SQL

from .common import FunnelCase


class ReviewCase(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = fields.Date.today()
        cls.monday = today - timedelta(days=today.weekday())
        cls.sunday = cls.monday + timedelta(days=6)
        cls.stages = {
            role: cls.env["crm.stage"].search([("funnel_role", "=", role)], limit=1)
            for role in ("qualification", "discovery", "proposal")
        }
        Reason = cls.env["crm.lost.reason"]
        cls.reason_price = Reason.create({"name": "Price too high"})
        cls.reason_timing = Reason.create({"name": "Bad timing"})
        a, b, c = cls.scores(5, 5, 5, 5), cls.scores(3, 3, 3, 3), cls.scores(1, 1, 1, 1)

        # salesman 1: A won ×2, A lost, B won, B lost, C lost ×2 this week;
        # an A lost two weeks ago and an open A lead do not count as closed this week
        cls.a_won_1 = cls._won(name="A won 1", **a)
        cls.a_won_2 = cls._won(name="A won 2", **a)
        cls.b_won = cls._won(name="B won", **b)
        cls.a_lost = cls._lost("qualification", cls.reason_price, name="A lost", **a)
        cls.b_lost = cls._lost("proposal", cls.reason_timing, name="B lost", **b)
        cls.c_lost_1 = cls._lost("qualification", cls.reason_price, name="C lost 1", **c)
        cls.c_lost_2 = cls._lost("qualification", None, name="C lost 2", **c)
        cls.a_old = cls._lost("qualification", cls.reason_timing, name="A old", **a)
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET date_closed = date_closed - interval '14 days',"
                " create_date = create_date - interval '14 days' WHERE id = %s",
                cls.a_old.id,
            )
        )
        cls.a_open = cls._lead(name="A open", **a)
        # salesman 2 (team 2): A won, A lost in need discovery
        cls.s2_won = cls._won(user=cls.user_salesman_2, name="S2 A won", **a)
        cls.s2_lost = cls._lost(
            "discovery", cls.reason_price, user=cls.user_salesman_2, name="S2 A lost", **a
        )
        # follow-ups of salesman 1: two on the open lead, one on a won deal (two first visits)
        Followup = cls.env["crm.lead.followup"]
        for lead in (cls.a_open, cls.a_open, cls.a_won_1):
            Followup.with_user(cls.user_salesman_1).create(
                {"lead_id": lead.id, "channel": "visit", "summary": "Visit"}
            )
        # salesman 1's target of the month: 2 follow-ups and 5 first visits a week
        cls.target_1 = cls.env["crm.funnel.target"].create(
            {
                "level": "user",
                "team_id": cls.team_1.id,
                "user_id": cls.user_salesman_1.id,
                "period_type": "month",
                "line_ids": [
                    (0, 0, {"metric": "followups", "target_value": 2}),
                    (0, 0, {"metric": "first_visits", "target_value": 5}),
                    (0, 0, {"metric": "revenue", "target_value": 100000}),
                ],
            }
        )
        cls.env.invalidate_all()

    @classmethod
    def _won(cls, user=None, **vals):
        lead = cls._lead(user=user, expected_revenue=10000, **vals)
        cls._make_won(lead)
        return lead

    @classmethod
    def _lost(cls, role, reason, user=None, **vals):
        lead = cls._lead(user=user, expected_revenue=5000, **vals)
        # put the lead in the stage of ``role`` without the gates (its checklist is not
        # what these tests are about)
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL("UPDATE crm_lead SET stage_id = %s WHERE id = %s", cls.stages[role].id, lead.id)
        )
        lead.invalidate_recordset()
        lead.action_set_lost(**({"lost_reason_id": reason.id} if reason else {}))
        return lead

    def _review(self, team=None, user=None):
        env = self.env(user=user) if user else self.env
        return env["crm.funnel.review"].create(
            {
                "date_from": self.monday,
                "date_to": self.sunday,
                "team_id": team.id if team else False,
            }
        )

    @staticmethod
    def _grades(values):
        return {row["grade"]: (row["won"], row["closed"], row["rate"]) for row in values["grades"]}

    @staticmethod
    def _people(values):
        return {
            row["user_id"]: {cell["metric"]: cell for cell in row["cells"]}
            for row in values["people"]
        }


class TestReviewFigures(ReviewCase):
    @users("sf_manager")
    def test_default_period_is_this_week_monday_to_sunday(self):
        review = self.env["crm.funnel.review"].create({})
        today = fields.Date.context_today(review)
        self.assertEqual(review.date_from.weekday(), 0)
        self.assertEqual(review.date_to - review.date_from, timedelta(days=6))
        self.assertTrue(review.date_from <= today <= review.date_to)
        self.assertEqual(review.display_name, "Weekly Review")

    @users("sf_manager")
    def test_grade_conversion(self):
        grades = self._grades(self._review()._review_values())
        # A: 3 won (2 + salesman 2's) of 5 closed; the old loss and the open lead are out
        self.assertEqual(grades["a"][:2], (3, 5))
        self.assertAlmostEqual(grades["a"][2], 60.0, 2)
        self.assertEqual(grades["b"][:2], (1, 2))
        self.assertAlmostEqual(grades["b"][2], 50.0, 2)
        self.assertEqual(grades["c"][:2], (0, 2))
        self.assertEqual(grades["c"][2], 0.0)

    @users("sf_manager")
    def test_losses_per_stage(self):
        losses, total = self._review()._losses()
        self.assertEqual(total, 5)
        by_role = {row["role"]: row for row in losses}
        self.assertEqual(
            [row["role"] for row in losses],
            ["acquisition", "qualification", "discovery", "proposal", "negotiation"],
        )
        self.assertEqual(
            {role: row["count"] for role, row in by_role.items()},
            {"acquisition": 0, "qualification": 3, "discovery": 1, "proposal": 1, "negotiation": 0},
        )
        self.assertAlmostEqual(by_role["qualification"]["share"], 60.0, 2)
        self.assertEqual(
            by_role["qualification"]["reasons"], [("Price too high", 2), ("No reason given", 1)]
        )
        self.assertEqual(by_role["proposal"]["reasons"], [("Bad timing", 1)])
        self.assertEqual([row["role"] for row in losses if row["highlight"]], ["qualification"])

    @users("sf_manager")
    def test_person_figures_against_targets(self):
        people = self._people(self._review()._review_values())
        self.assertEqual(set(people), {self.user_salesman_1.id, self.user_salesman_2.id})
        s1 = people[self.user_salesman_1.id]
        self.assertEqual(
            {metric: cell["actual"] for metric, cell in s1.items()},
            {
                # 8 leads created this week (the old one was created two weeks ago)
                "new_leads": 8,
                "followups": 3,
                "first_visits": 2,
                # _make_won completes the proposal document of each won deal
                "proposals": 3,
                "won_deals": 3,
                "revenue": 30000,
            },
        )
        self.assertEqual(s1["followups"]["target"], "target 2 / week")
        self.assertIs(s1["followups"]["met"], True)
        self.assertEqual(s1["first_visits"]["target"], "target 5 / week")
        self.assertIs(s1["first_visits"]["met"], False)
        self.assertEqual(s1["revenue"]["target"], f"30% of the {self.target_1.period_label} target")
        self.assertFalse(s1["proposals"]["target"])
        s2 = people[self.user_salesman_2.id]
        self.assertEqual((s2["won_deals"]["actual"], s2["revenue"]["actual"]), (1, 10000))
        self.assertFalse(any(cell["target"] for cell in s2.values()))

    @users("sf_manager")
    def test_html_shows_the_three_blocks(self):
        html = str(self._review().summary_html)
        self.assertIn("A-grade conversion", html)
        self.assertIn("60.0 %", html)
        self.assertIn('data-role="qualification"', html)
        self.assertRegex(html, r'class="table-danger fw-bold" data-role="qualification"')
        self.assertIn("Funnel Salesman 1", html)
        self.assertIn("Funnel Salesman 2", html)
        self.assertIn("✗", html)

    @users("sf_manager")
    def test_previous_and_next_week_shift_the_period(self):
        review = self._review()
        action = review.action_previous_week()
        self.assertEqual((action["res_model"], action["res_id"]), (review._name, review.id))
        self.assertEqual(
            (review.date_from, review.date_to),
            (self.monday - timedelta(days=7), self.sunday - timedelta(days=7)),
        )
        self.assertEqual(self._grades(review._review_values())["a"][:2], (0, 0))
        # two weeks ago: none of the figures of this week, the old loss is there
        review.action_previous_week()
        self.assertEqual(self._grades(review._review_values())["a"][:2], (0, 1))
        review.action_next_week()
        review.action_next_week()
        self.assertEqual((review.date_from, review.date_to), (self.monday, self.sunday))


class TestReviewAccess(ReviewCase):
    @users("sf_salesman_1")
    def test_salesman_sees_only_his_own_figures(self):
        review = self._review()
        values = review._review_values()
        self.assertEqual(set(self._people(values)), {self.user_salesman_1.id})
        # A: his two wins and his loss, not salesman 2's
        self.assertEqual(self._grades(values)["a"][:2], (2, 3))
        losses = {row["role"]: row["count"] for row in values["losses"]}
        self.assertEqual(losses["discovery"], 0)
        html = str(review.summary_html)
        self.assertIn("Funnel Salesman 1", html)
        self.assertNotIn("Funnel Salesman 2", html)
        self.assertNotIn("S2 A", html)

    @users("sf_salesman_1")
    def test_salesman_filtering_another_team_sees_nothing_of_it(self):
        values = self._review(self.team_2)._review_values()
        self.assertEqual(self._grades(values)["a"][:2], (0, 0))
        self.assertEqual(values["lost_total"], 0)
        people = self._people(values)
        self.assertEqual(set(people), {self.user_salesman_1.id})
        self.assertEqual(people[self.user_salesman_1.id]["won_deals"]["actual"], 0)

    @users("sf_salesman_1")
    def test_salesman_cannot_delete_a_review(self):
        review = self._review()
        with self.assertRaises(AccessError):
            review.unlink()

    @users("sf_manager")
    def test_manager_team_filter(self):
        values = self._review(self.team_2)._review_values()
        self.assertEqual(set(self._people(values)), {self.user_salesman_2.id})
        self.assertEqual(self._grades(values)["a"][:2], (1, 2))
        self.assertEqual(values["lost_total"], 1)
        self.assertNotIn("Funnel Salesman 1", str(self._review(self.team_2).summary_html))

    def test_other_company_leads_are_not_counted(self):
        other = self._lead(
            user=self.user_manager,
            name="Other company",
            company_id=self.company_2.id,
            team_id=False,
            **self.scores(5, 5, 5, 5),
        )
        self._make_won(other)
        review = self._review(user=self.user_manager)
        review = review.with_context(allowed_company_ids=self.company.ids)
        values = review._review_values()
        self.assertEqual(self._grades(values)["a"][:2], (3, 5))
        self.assertNotIn(self.user_manager.id, self._people(values))
        review = review.with_context(allowed_company_ids=(self.company | self.company_2).ids)
        values = review._review_values()
        self.assertEqual(self._grades(values)["a"][:2], (4, 6))
        self.assertEqual(self._people(values)[self.user_manager.id]["won_deals"]["actual"], 1)


class TestReviewPerformance(ReviewCase):
    def _query_count(self, review):
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        html = str(review.summary_html)
        self.assertIn("o_funnel_review_people", html)
        return self.env.cr.sql_log_count - before

    def test_constant_number_of_queries(self):
        """The figures of 2 or 10 salespeople cost the same number of queries."""
        teams = {}
        for size in (2, 10):
            people = self.env["res.users"]
            for index in range(size):
                people |= self._new_salesman(f"sf_review_{size}_{index}", f"Review {size} {index}")
            team = self.env["crm.team"].create(
                {"name": f"Review team {size}", "member_ids": [(6, 0, people.ids)]}
            )
            for user in people:
                lead = self._lead(user=user, team_id=team.id, expected_revenue=1000)
                self.env["crm.lead.followup"].with_user(user).create(
                    {"lead_id": lead.id, "channel": "phone", "summary": "Call"}
                )
                self.env["crm.funnel.target"].create(
                    {
                        "level": "user",
                        "team_id": team.id,
                        "user_id": user.id,
                        "period_type": "month",
                        "line_ids": [(0, 0, {"metric": "followups", "target_value": 1})],
                    }
                )
            teams[size] = team
        manager = self.user_manager
        reviews = {size: self._review(team, user=manager) for size, team in teams.items()}
        for size, review in reviews.items():
            # warm-up: template compiled, rule and group caches filled
            self.assertEqual(len(review._review_values()["people"]), size)
            review.summary_html  # noqa: B018
        # twice: the first round also reloads what invalidate_all() dropped
        for _round in range(2):
            counts = {size: self._query_count(review) for size, review in reviews.items()}
        self.assertEqual(counts[2], counts[10])
