from odoo.tests import users

from .common_analytics import AnalyticsCase


class TestFunnelReport(AnalyticsCase):
    """Funnel figures on a hand-built fixture equal hand-computed numbers.

    Leads (stays in days; None = ongoing):
      L1 (A, s1) acquisition 2 → qualification 3 → discovery …             forward
      L2 (B, s1) acquisition 1 → proposal 4 → negotiation …                 skips 2 stages
      L3 (C, s1) acquisition 2 → qualification 2 → discovery 4 → qualification …  goes back
      L4 (A, s2) acquisition 1 → qualification 6 → discovery …, lost         lost at discovery
      L5 (A, s2) acquisition 1 → qualification 1 → discovery 2 → proposal 3
                 → negotiation 5 → won …, won
      L6 (–, s2) acquisition …, lost                                         lost at acquisition
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s1, s2 = cls.user_salesman_1, cls.user_salesman_2
        cls.l1 = cls._lead(s1, name="L1 forward", **cls.scores(5, 5, 5, 5))
        cls.l2 = cls._lead(s1, name="L2 skip", **cls.scores(3, 3, 3, 3))
        cls.l3 = cls._lead(s1, name="L3 back", **cls.scores(1, 1, 1, 1))
        cls.l4 = cls._lead(s2, name="L4 lost", **cls.scores(5, 4, 4, 4))
        cls.l5 = cls._lead(s2, name="L5 won", **cls.scores(4, 4, 4, 4))
        cls.l6 = cls._lead(s2, name="L6 lost early")
        cls._history(cls.l1, [("acquisition", 2), ("qualification", 3), ("discovery", None)])
        cls._history(cls.l2, [("acquisition", 1), ("proposal", 4), ("negotiation", None)])
        cls._history(
            cls.l3,
            [("acquisition", 2), ("qualification", 2), ("discovery", 4), ("qualification", None)],
        )
        cls._history(
            cls.l4,
            [("acquisition", 1), ("qualification", 6), ("discovery", None)],
            won_status="lost",
        )
        cls._history(
            cls.l5,
            [
                ("acquisition", 1),
                ("qualification", 1),
                ("discovery", 2),
                ("proposal", 3),
                ("negotiation", 5),
                ("won", None),
            ],
            won_status="won",
        )
        cls._history(cls.l6, [("acquisition", None)], won_status="lost")
        cls.domain = [("team_id", "in", (cls.team_1 | cls.team_2).ids)]

    def _by_stage(self, figures):
        return {stage["role"]: stage for stage in figures["stages"]}

    def test_grades_of_fixture(self):
        self.assertEqual(
            (self.l1 | self.l2 | self.l3 | self.l4 | self.l5 | self.l6).mapped("bndu_grade"),
            ["a", "b", "c", "a", "a", "none"],
        )

    def test_reached_conversion_lost(self):
        figures = self.env["crm.funnel.report"]._funnel_figures(self.domain)
        stages = self._by_stage(figures)
        reached = {role: stage["reached"] for role, stage in stages.items()}
        self.assertEqual(
            reached,
            {
                "acquisition": 6,
                "qualification": 5,  # L2 skipped it: counts as reached
                "discovery": 5,  # L3 came back from it: counted once
                "proposal": 2,
                "negotiation": 2,
                "won": 1,
            },
        )
        conversion = {role: round(stage["conversion"], 2) for role, stage in stages.items()}
        self.assertEqual(
            conversion,
            {
                "acquisition": 100.0,
                "qualification": 83.33,
                "discovery": 100.0,
                "proposal": 40.0,
                "negotiation": 100.0,
                "won": 50.0,
            },
        )
        lost = {role: stage["lost"] for role, stage in stages.items()}
        self.assertEqual(lost["acquisition"], 1)
        self.assertEqual(lost["discovery"], 1)
        self.assertEqual(sum(lost.values()), 2)

    def test_days_in_stage(self):
        stages = self._by_stage(self.env["crm.funnel.report"]._funnel_figures(self.domain))
        # closed stays only: acquisition 2,1,2,1,1; qualification 3,2,6,1; discovery 4,2
        self.assertAlmostEqual(stages["acquisition"]["avg_days"], 1.4)
        self.assertAlmostEqual(stages["acquisition"]["median_days"], 1.0)
        self.assertAlmostEqual(stages["qualification"]["avg_days"], 3.0)
        self.assertAlmostEqual(stages["qualification"]["median_days"], 2.5)
        self.assertAlmostEqual(stages["discovery"]["avg_days"], 3.0)
        self.assertAlmostEqual(stages["proposal"]["median_days"], 3.5)
        self.assertAlmostEqual(stages["negotiation"]["avg_days"], 5.0)
        self.assertIsNone(stages["won"]["avg_days"])

    def test_win_rates(self):
        figures = self.env["crm.funnel.report"]._funnel_figures(self.domain)
        self.assertEqual((figures["total"], figures["won"]), (6, 1))
        self.assertAlmostEqual(figures["win_rate"], 100 / 6)
        self.assertEqual((figures["a_total"], figures["a_won"]), (3, 1))
        self.assertAlmostEqual(figures["a_win_rate"], 100 / 3)

    def test_read_group_matches_graph_view(self):
        """The graph/pivot measures (Odoo's read_group) give the same numbers, in stage order."""
        groups = self.env["crm.funnel.report"].formatted_read_group(
            self.domain,
            ["funnel_role"],
            ["reached_count:sum", "conversion_rate:avg", "lost_count:sum"],
        )
        self.assertEqual(
            [group["funnel_role"] for group in groups],
            ["acquisition", "qualification", "discovery", "proposal", "negotiation", "won"],
        )
        self.assertEqual([group["reached_count:sum"] for group in groups], [6, 5, 5, 2, 2, 1])
        self.assertAlmostEqual(groups[1]["conversion_rate:avg"], 500 / 6)
        self.assertEqual(groups[2]["lost_count:sum"], 1)

    def test_filter_by_grade(self):
        domain = [*self.domain, ("bndu_grade", "=", "a")]
        stages = self._by_stage(self.env["crm.funnel.report"]._funnel_figures(domain))
        self.assertEqual([stage["reached"] for stage in stages.values()], [3, 3, 3, 1, 1, 1])

    @users("sf_salesman_1")
    def test_salesman_sees_own_figures(self):
        report = self.env["crm.funnel.report"]
        self.assertEqual(
            set(report.search([]).mapped("lead_id.name")), {"L1 forward", "L2 skip", "L3 back"}
        )
        stages = self._by_stage(report._funnel_figures(self.domain))
        self.assertEqual(stages["acquisition"]["reached"], 3)
        self.assertEqual(stages["proposal"]["reached"], 1)
        self.assertEqual(stages["won"]["reached"], 0)

    def test_figures_query_count(self):
        report = self.env["crm.funnel.report"]
        report._funnel_figures(self.domain)  # warm the caches
        with self.assertQueryCount(3):  # stage figures, SLA & follow-ups (when installed)
            report._funnel_figures(self.domain)

    @users("sf_manager")
    def test_reads_without_jit(self):
        """PostgreSQL's JIT would compile the view's plan for longer than it runs: every
        read of the report turns it off for its transaction, once."""
        report = self.env["crm.funnel.report"]
        report.search_count(self.domain)  # warm the caches
        self.env.cr.execute("SET LOCAL jit = on")  # as in a new transaction
        self.env.cr.postrollback.data.clear()
        with self.assertQueryCount(2):  # SET LOCAL, then the read
            report.search_count(self.domain)
        self.env.cr.execute("SHOW jit")
        self.assertEqual(self.env.cr.fetchone()[0], "off")
        with self.assertQueryCount(1):  # not again in the same transaction
            report.formatted_read_group(self.domain, ["funnel_role"], ["reached_count:sum"])
