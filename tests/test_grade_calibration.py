"""The BNDU grade explained and calibrated against the company's closed deals."""

from odoo.addons.sales_funnel_std.models.grade_calibration import rate, suggest_thresholds
from odoo.tests import Form, users
from odoo.tools import SQL

from .common import FunnelCase

# ------------------------------------------------------------
# the pure threshold suggestion (no database)
# ------------------------------------------------------------


def test_rate():
    assert rate(0, 0) is None
    assert rate(4, 1) == 25.0


def test_suggestion_separates_outcomes():
    # totals 6..20: low totals mostly lost, then about half won, 18+ nearly all won:
    # C = 6, 8 (10 %), B = 10..16 (52.5 %), A = 18, 20 (95 %) — both gaps 42.5 points
    histogram = [
        (6, 10, 1),
        (8, 10, 1),
        (10, 10, 2),
        (12, 10, 5),
        (14, 10, 5),
        (16, 10, 9),
        (18, 10, 9),
        (20, 10, 10),
    ]
    assert suggest_thresholds(histogram) == (18, 10)


def test_no_suggestion_without_history():
    assert suggest_thresholds([(16, 3, 2), (8, 2, 0)]) is None
    assert suggest_thresholds([]) is None


def test_no_suggestion_when_scores_do_not_matter():
    # the same win rate whatever the total: no split is better than none
    assert suggest_thresholds([(total, 10, 5) for total in range(4, 21, 2)]) is None


class TestGradeInsight(FunnelCase):
    """Closed history of the company (all scored; thresholds A ≥ 15, B ≥ 8):

    12 A deals (5/5/5/5 = 20: 8 of 10 won; 4/4/4/4 = 16: 1 of 2);
    12 B deals (3/3/3/3 = 12): 9 won as well (B wins as often as A);
    20 C deals (2/2/1/1 = 6: 4 of 10 won; 1/1/1/1 = 4: 1 of 10).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        history = (
            [((5, 5, 5, 5), True)] * 8
            + [((5, 5, 5, 5), False)] * 2
            + [((4, 4, 4, 4), True)] * 1
            + [((4, 4, 4, 4), False)] * 1
            + [((3, 3, 3, 3), True)] * 9
            + [((3, 3, 3, 3), False)] * 3
            + [((2, 2, 1, 1), True)] * 4
            + [((2, 2, 1, 1), False)] * 6
            + [((1, 1, 1, 1), True)] * 1
            + [((1, 1, 1, 1), False)] * 9
        )
        cls.closed = cls.env["crm.lead"]
        for index, (scores, won) in enumerate(history):
            lead = cls._lead(name=f"Closed {index}", **cls.scores(*scores))
            cls.closed |= lead
            cls.env.flush_all()
            cls.env.cr.execute(
                SQL(
                    "UPDATE crm_lead SET won_status = %s, active = %s, date_closed = NOW(),"
                    " probability = %s WHERE id = %s",
                    "won" if won else "lost",
                    won,
                    100 if won else 0,
                    lead.id,
                )
            )
        cls.env["crm.lead"].invalidate_model()
        cls.open_a = cls._lead(name="Open A", **cls.scores(5, 5, 5, 4))

    @users("sf_salesman_1")
    def test_insight_beside_the_learned_probability(self):
        lead = self.open_a.with_user(self.env.user)
        self.assertEqual(lead.bndu_grade, "a")
        self.assertAlmostEqual(lead.bndu_grade_win_rate, 75.0)  # 9 of 12
        self.assertEqual(
            lead.bndu_insight,
            "A – High intent: 75 % of the company's closed deals of this grade were won "
            "(9 of 12). Budget (B) separates won from lost deals most: deals scored 5 on "
            "it were won 80 % of the time (10 closed).",
        )

    def test_daily_snapshot(self):
        """After the daily refresh, the explanation reads the company's snapshot: a form
        display does not scan the company's deals."""
        self.env["res.company"]._cron_refresh_bndu_outcomes()
        self.assertTrue(self.company.bndu_outcomes_date)
        lead = self.open_a.with_user(self.user_salesman_1)
        expected = lead.bndu_insight
        self.closed[:12].sudo().unlink()  # the A deals: not seen until the next refresh
        self.env.invalidate_all()
        with self.assertQueryCount(2):  # the lead, its company's snapshot
            self.assertEqual(lead.bndu_insight, expected)
        self.env["res.company"]._cron_refresh_bndu_outcomes()
        self.env.invalidate_all()
        self.assertIn("Not enough closed deals", lead.bndu_insight)

    @users("sf_salesman_1")
    def test_not_enough_history(self):
        lead = self._lead(name="Open C", **self.scores(1, 1, 2, 1)).with_user(self.env.user)
        self.closed.filtered(lambda lead: lead.bndu_grade == "c")[:15].sudo().unlink()
        self.assertEqual(
            lead.bndu_insight,
            "Not enough closed deals yet to measure C – Low intent (5 closed, 10 needed).",
        )
        self.assertEqual(lead.bndu_grade_win_rate, 0.0)

    @users("sf_manager")
    def test_rules_form_warns_and_suggests(self):
        form = Form(self.env["crm.bndu.rules"])
        self.assertEqual(
            form.calibration_warning,
            "B – Medium intent deals are won as often as A – High intent deals (75 % vs "
            "75 %): the thresholds do not separate outcomes.",
        )
        # history by total: 4 → 1/10, 6 → 4/10, 12 → 9/12, 16 → 1/2, 20 → 8/10
        self.assertEqual((form.suggested_threshold_a, form.suggested_threshold_b), (12, 6))
        self.assertEqual(
            form.calibration_summary,
            "From 44 closed deals, A ≥ 12.0 and B ≥ 6.0 would separate outcomes best: "
            "A 75 %, B 40 %, C 10 % won.",
        )
        wizard = form.save()
        wizard.action_use_suggested_thresholds()
        self.assertEqual((wizard.bndu_threshold_a, wizard.bndu_threshold_b), (12, 6))
        self.assertEqual(self.env.company.bndu_threshold_a, 15)  # saved by Apply only

    @users("sf_manager")
    def test_calibration_pivot(self):
        groups = self.env["crm.grade.calibration"]._read_group(
            [("dimension", "=", "grade"), ("lead_id", "in", self.closed.ids)],
            ["value"],
            ["closed_count:sum", "won_count:sum", "win_rate:avg"],
        )
        self.assertEqual(
            {value: (closed, won, round(win_rate)) for value, closed, won, win_rate in groups},
            {"a": (12, 9, 75), "b": (12, 9, 75), "c": (20, 5, 25)},
        )

    @users("sf_salesman_1")
    def test_calibration_view_is_for_managers(self):
        from odoo.exceptions import AccessError

        with self.assertRaises(AccessError):
            self.env["crm.grade.calibration"].search([])
