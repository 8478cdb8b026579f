import base64
import io
from datetime import date

import openpyxl
from freezegun import freeze_time

from odoo.addons.sales_funnel_std.report.crm_funnel_dashboard import find_bottleneck
from odoo.exceptions import UserError
from odoo.tests import Form, users
from odoo.tools import SQL

from .common_analytics import ROLES, AnalyticsCase


class TestFunnelDashboard(AnalyticsCase):
    """The dashboard's figures equal Funnel Analysis (pivot) and the XLSX summary.

    Current period (the day the leads were created), the fixture of test_funnel_report:
      L1 (A, s1, team 1) acquisition → qualification → discovery …        forward
      L2 (B, s1, team 1) acquisition → proposal → negotiation …           skips
      L3 (C, s1, team 1) acquisition → qualification → discovery → qualification   back
      L4 (A, s2, team 2) … discovery, lost
      L5 (A, s2, team 2) … won
      L6 (–, s2, team 2) acquisition, lost
    Previous period (the day before): P1, P2 (s1) both reached proposal, P1 won.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s1, s2 = cls.user_salesman_1, cls.user_salesman_2
        cls.source = cls.env["utm.source"].create({"name": "Dashboard trade fair"})
        cls.l1 = cls._lead(s1, name="L1 forward", source_id=cls.source.id, **cls.scores(5, 5, 5, 5))
        cls.l2 = cls._lead(s1, name="L2 skip", **cls.scores(3, 3, 3, 3))
        cls.l3 = cls._lead(s1, name="L3 back", **cls.scores(1, 1, 1, 1))
        cls.l4 = cls._lead(s2, name="L4 lost", **cls.scores(5, 4, 4, 4))
        cls.l5 = cls._lead(s2, name="L5 won", **cls.scores(4, 4, 4, 4))
        cls.l6 = cls._lead(s2, name="L6 lost early")
        cls.p1 = cls._lead(s1, name="P1 before, won", **cls.scores(5, 5, 5, 5))
        cls.p2 = cls._lead(s1, name="P2 before")
        cls._history(cls.l1, [("acquisition", 2), ("qualification", 3), ("discovery", None)])
        cls._history(cls.l2, [("acquisition", 1), ("proposal", 4), ("negotiation", None)])
        cls._history(
            cls.l3,
            [("acquisition", 2), ("qualification", 2), ("discovery", 4), ("qualification", None)],
        )
        cls._history(
            cls.l4, [("acquisition", 1), ("qualification", 6), ("discovery", None)], "lost"
        )
        cls._history(
            cls.l5,
            [(role, days) for role, days in zip(ROLES, (1, 1, 2, 3, 5, None), strict=True)],
            "won",
        )
        cls._history(cls.l6, [("acquisition", None)], "lost")
        cls._history(cls.p1, [("acquisition", 1), ("proposal", 1), ("won", None)], "won")
        cls._history(cls.p2, [("acquisition", 1), ("proposal", None)])
        cls.env.flush_all()
        cls.day = cls.l1.create_date.date()
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET create_date = create_date - interval '1 day' WHERE id IN %s",
                (cls.p1.id, cls.p2.id),
            )
        )
        cls.env["crm.lead"].invalidate_model()
        cls.current = cls.l1 | cls.l2 | cls.l3 | cls.l4 | cls.l5 | cls.l6

    def _filters(self, **values):
        day = str(self.day)
        return {"period": "custom", "date_from": day, "date_to": day, **values}

    def _data(self, **values):
        return self.env["crm.funnel.dashboard"].get_dashboard_data(self._filters(**values))

    @staticmethod
    def _by_role(figures):
        return {stage["role"]: stage for stage in figures["stages"]}

    def _pivot(self, domain):
        """Funnel Analysis as the pivot reads it (Odoo's read_group), per stage."""
        groups = (
            self.env["crm.funnel.report"]
            .with_context(active_test=False)
            .formatted_read_group(
                domain,
                ["funnel_role"],
                [
                    "reached_count:sum",
                    "conversion_rate:avg",
                    "lost_count:sum",
                    "time_limit_exceeded:sum",
                    "conversion_target:avg",
                ],
            )
        )
        return {group["funnel_role"]: group for group in groups}

    def _xlsx_summary(self, filters):
        """The Funnel Summary sheet of the workbook exported from the dashboard's button."""
        action = self.env["crm.funnel.dashboard"].action_export(filters)
        self.assertEqual(action["res_model"], "crm.funnel.export")
        wizard = Form(self.env["crm.funnel.export"].with_context(**action["context"])).save()
        wizard.action_export()
        book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(wizard.xlsx_file)))
        stages, kpis = {}, {}
        for row in book["Funnel Summary"].iter_rows(values_only=True):
            if row[0]:
                stages.setdefault(row[0], row)  # the stage table comes first ("Won")
                kpis[row[0]] = row
        return stages, kpis

    # ------------------------------------------------------------

    @users("sf_manager")
    def test_figures_equal_pivot_and_xlsx(self):
        for extra in ({}, {"team_id": self.team_1.id}, {"team_id": self.team_2.id}):
            data = self._data(**extra)
            stages = self._by_role(data["current"])
            domain = [("lead_id", "in", self.current.ids)]
            if extra:
                domain.append(("team_id", "=", extra["team_id"]))
            pivot = self._pivot(domain)
            summary, kpis = self._xlsx_summary(self._filters(**extra))
            for role in ROLES:
                stage, group = stages[role], pivot.get(role)
                name = stage["name"]
                self.assertEqual(stage["reached"], group["reached_count:sum"] if group else 0)
                self.assertEqual(stage["lost"], group["lost_count:sum"] if group else 0)
                self.assertEqual(
                    stage["over_limit"], group["time_limit_exceeded:sum"] if group else 0
                )
                if stage["conversion"] is None:
                    self.assertFalse(group)
                else:
                    self.assertAlmostEqual(stage["conversion"], group["conversion_rate:avg"])
                    self.assertAlmostEqual(stage["conversion"] / 100, summary[name][2])
                self.assertEqual(stage["reached"], summary[name][1])
                self.assertEqual(stage["lost"], summary[name][3])
                if stage["median_days"] is not None:
                    self.assertAlmostEqual(stage["median_days"], summary[name][4])
            current = data["current"]
            self.assertEqual(current["total"], kpis["Leads in Funnel"][1])
            self.assertEqual(current["won"], kpis["Won"][1])
            self.assertEqual(current["a_total"], kpis["A-Grade Leads"][1])
            self.assertEqual(current["a_won"], kpis["A-Grade Won"][1])
            if current["sla_rate"] is not None:
                self.assertAlmostEqual(
                    current["sla_rate"] / 100, kpis["First-Contact SLA Compliance"][1]
                )
        data = self._data()
        self.assertEqual(
            [stage["reached"] for stage in data["current"]["stages"]], [6, 5, 5, 2, 2, 1]
        )
        self.assertEqual(data["current"]["lost"], 2)
        self.assertAlmostEqual(data["current"]["a_win_rate"], 100 / 3)

    @users("sf_manager")
    def test_previous_period_and_bottleneck(self):
        data = self._data()
        previous = self._by_role(data["previous"])
        self.assertEqual([previous[role]["reached"] for role in ROLES], [2, 2, 2, 2, 1, 1])
        stages = self._by_role(data["current"])
        # current vs previous: qualification 83 % vs 100, proposal 40 % vs 100,
        # won 50 % vs 100: proposal drops the most (-60 points)
        self.assertAlmostEqual(stages["proposal"]["previous_conversion"], 100.0)
        self.assertEqual(stages["proposal"]["baseline_kind"], "previous")
        self.assertEqual(data["bottleneck"], "proposal")
        self.assertAlmostEqual(stages["qualification"]["next_conversion"], 100.0)
        # a team target for "won" well above the current 50 % makes Won the bottleneck
        self.env["crm.funnel.target"].sudo().create(
            {
                "level": "company",
                "company_id": self.env.company.id,
                "period_type": "month",
                "period_date": self.day,
                "line_ids": [
                    (0, 0, {"metric": "conversion", "funnel_role": "won", "target_value": 100}),
                ],
            }
        )
        self.env["crm.funnel.report"].invalidate_model()
        data = self._data()
        won = self._by_role(data["current"])["won"]
        self.assertEqual((won["conversion_target"], won["baseline_kind"]), (100.0, "target"))
        self.assertEqual(data["bottleneck"], "proposal")  # -60 points beats -50

    def test_find_bottleneck(self):
        def stage(role, conversion, baseline=None):
            return {"role": role, "conversion": conversion, "baseline": baseline}

        self.assertEqual(
            find_bottleneck([stage("a", 100), stage("b", 50, 60), stage("c", 20, 20)]), "b"
        )
        self.assertEqual(find_bottleneck([stage("a", 100), stage("b", 50), stage("c", 20)]), "c")
        self.assertIsNone(find_bottleneck([stage("a", 100), stage("b", None)]))

    @users("sf_manager")
    def test_filters(self):
        def reached(**extra):
            return [stage["reached"] for stage in self._data(**extra)["current"]["stages"]]

        self.assertEqual(reached(team_id=self.team_1.id), [3, 3, 3, 1, 1, 0])
        self.assertEqual(reached(user_id=self.user_salesman_2.id), [3, 2, 2, 1, 1, 1])
        self.assertEqual(reached(grade="a"), [3, 3, 3, 1, 1, 1])
        self.assertEqual(reached(source_id=self.source.id), [1, 1, 1, 0, 0, 0])
        self.assertEqual(
            reached(period="custom", date_from="2099-01-01", date_to="2099-01-31"), [0] * 6
        )

    @users("sf_manager")
    def test_people(self):
        people = {row["user_id"]: row for row in self._data()["people"]}
        s1, s2 = people[self.user_salesman_1.id], people[self.user_salesman_2.id]
        self.assertEqual((s1["reached"], s1["won"], s1["lost"]), (3, 0, 0))
        self.assertEqual((s2["reached"], s2["won"], s2["lost"]), (3, 1, 2))
        self.assertAlmostEqual(s2["win_rate"], 100 / 3)
        self.assertEqual(s2["name"], "Funnel Salesman 2")

    @users("sf_salesman_1")
    def test_salesman_sees_own(self):
        data = self._data()
        self.assertEqual(data["current"]["total"], 3)
        self.assertEqual([row["user_id"] for row in data["people"]], [self.user_salesman_1.id])
        self.assertEqual([user["id"] for user in data["options"]["users"]], [self.env.uid])
        ids = self.env["crm.funnel.dashboard"]._lead_ids(self._filters(), "reached")
        self.assertEqual(set(ids), set((self.l1 | self.l2 | self.l3).ids))
        # asking for another person's leads gives nothing
        ids = self.env["crm.funnel.dashboard"]._lead_ids(
            self._filters(), "reached", user_id=self.user_salesman_2.id
        )
        self.assertEqual(ids, [])

    @users("sf_manager")
    def test_drill_down(self):
        Dashboard = self.env["crm.funnel.dashboard"]
        filters = self._filters()
        cases = [
            (("reached", "proposal"), self.l2 | self.l5),
            (("reached", "discovery"), self.l1 | self.l2 | self.l3 | self.l4 | self.l5),
            (("lost", "discovery"), self.l4),
            (("lost", "acquisition"), self.l6),
            (("won", None), self.l5),
        ]
        for (kind, role), leads in cases:
            action = Dashboard.action_open_leads(filters, kind, role)
            found = self.env["crm.lead"].with_context(**action["context"]).search(action["domain"])
            self.assertEqual(found, leads, f"{kind} {role}")
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertEqual([view for _id, view in action["views"]][:2], ["list", "kanban"])
        ids = Dashboard._lead_ids(filters, "reached", "qualification", self.user_salesman_1.id)
        self.assertEqual(ids, sorted((self.l1 | self.l2 | self.l3).ids))
        # the previous period's leads are not behind the current figures
        self.assertNotIn(self.p1.id, Dashboard._lead_ids(filters, "won"))

    @users("sf_manager")
    def test_bad_filters(self):
        Dashboard = self.env["crm.funnel.dashboard"]
        with self.assertRaises(UserError) as error:
            Dashboard.get_dashboard_data({"period": "decade"})
        self.assertEqual(str(error.exception), "Unknown period decade.")
        with self.assertRaises(UserError) as error:
            Dashboard.get_dashboard_data(
                {"period": "custom", "date_from": "2026-02-01", "date_to": "2026-01-01"}
            )
        self.assertEqual(
            str(error.exception),
            "The period must start before it ends: 02/01/2026 is after 01/01/2026.",
        )
        with self.assertRaises(UserError) as error:
            Dashboard.get_dashboard_data({"period": "custom"})
        self.assertEqual(str(error.exception), "A custom period needs a start and an end day.")
        with self.assertRaises(UserError) as error:
            Dashboard.action_open_leads(self._filters(), "reached", "nowhere")
        self.assertEqual(str(error.exception), "Unknown funnel stage nowhere.")

    def test_periods(self):
        Dashboard = self.env["crm.funnel.dashboard"]
        with freeze_time("2026-11-26 10:00:00"):  # a Thursday
            self.assertEqual(
                Dashboard._period_bounds({"period": "week"}),
                (date(2026, 11, 23), date(2026, 11, 29), date(2026, 11, 16), date(2026, 11, 22)),
            )
            self.assertEqual(
                Dashboard._period_bounds({"period": "month"}),
                (date(2026, 11, 1), date(2026, 11, 30), date(2026, 10, 1), date(2026, 10, 31)),
            )
            self.assertEqual(
                Dashboard._period_bounds({"period": "quarter"}),
                (date(2026, 10, 1), date(2026, 12, 31), date(2026, 7, 1), date(2026, 9, 30)),
            )
        self.assertEqual(
            Dashboard._period_bounds(
                {"period": "custom", "date_from": "2026-03-10", "date_to": "2026-03-19"}
            ),
            # the 10 days before
            (date(2026, 3, 10), date(2026, 3, 19), date(2026, 2, 28), date(2026, 3, 9)),
        )

    @users("sf_manager")
    def test_one_call_query_count(self):
        Dashboard = self.env["crm.funnel.dashboard"]
        Dashboard.get_dashboard_data(self._filters())  # warm the caches
        # stage figures, SLA, follow-ups (one query each for both periods and every
        # person), targets, names, and the filters' choices
        with self.assertQueryCount(9):
            Dashboard.get_dashboard_data(self._filters())
