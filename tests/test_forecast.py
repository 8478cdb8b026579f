"""Weighted revenue forecast (crm.funnel.forecast): won + pipeline × probability per
closing month against the revenue targets, the stage-probability option, access, XLSX."""

import io
from datetime import date, datetime

from openpyxl import load_workbook

from odoo.addons.sales_funnel_std.report.funnel_xlsx import FunnelXlsxExport
from odoo.exceptions import ValidationError
from odoo.tests import users
from odoo.tools import SQL

from .common import FunnelCase


class TestForecast(FunnelCase):
    """Fixture (team 1: salesman 1; team 2: salesman 2), closing in 2026:

    O1 s1 100,000 × 40 % closing 2026-03-10 → 40,000 weighted
    O2 s1  50,000 × 10 % closing 2026-03-20 →  5,000
    O3 s2  80,000 × 50 % closing 2026-04-02 → 40,000
    W1 s1  30,000 won 2026-03-05
    L1 s1  70,000 lost (not in the forecast)
    Targets: team 1 March 60,000; team 1 Q2 90,000 (30,000 a month);
             salesman 1 March 50,000 (personal)
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        s1, s2 = cls.user_salesman_1, cls.user_salesman_2
        cls.o1 = cls._deal(s1, "O1", 100000, 40, date(2026, 3, 10))
        cls.o2 = cls._deal(s1, "O2", 50000, 10, date(2026, 3, 20))
        cls.o3 = cls._deal(s2, "O3", 80000, 50, date(2026, 4, 2))
        cls.w1 = cls._deal(s1, "W1", 30000, 100, date(2026, 3, 1))
        cls.l1 = cls._deal(s1, "L1", 70000, 30, date(2026, 3, 15))
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET won_status = 'won', probability = 100, date_closed = %s"
                " WHERE id = %s",
                datetime(2026, 3, 5, 10, 0),
                cls.w1.id,
            )
        )
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET won_status = 'lost', active = FALSE, probability = 0"
                " WHERE id = %s",
                cls.l1.id,
            )
        )
        cls.env["crm.lead"].invalidate_model()
        Target = cls.env["crm.funnel.target"].with_user(cls.user_manager)
        for level, team, user, period, day, value in (
            ("team", cls.team_1, None, "month", date(2026, 3, 1), 60000),
            ("team", cls.team_1, None, "quarter", date(2026, 4, 1), 90000),
            ("user", cls.team_1, s1, "month", date(2026, 3, 1), 50000),
        ):
            Target.create(
                {
                    "level": level,
                    "team_id": team.id,
                    "user_id": user and user.id,
                    "period_type": period,
                    "period_date": day,
                    "line_ids": [(0, 0, {"metric": "revenue", "target_value": value})],
                }
            )
        cls.domain = [("date", ">=", date(2026, 1, 1)), ("date", "<=", date(2026, 12, 31))]

    @classmethod
    def _deal(cls, user, name, revenue, probability, closing):
        return cls._lead(
            user,
            name=name,
            expected_revenue=revenue,
            probability=probability,
            date_deadline=closing,
        )

    def _by_month(self, Forecast, groupby="team_id"):
        return {
            (f"{line['month']:%Y-%m}", line["group"].display_name): (
                line["won"],
                line["pipeline"],
                line["forecast"],
                line["target"],
            )
            for line in Forecast._forecast_by_month(self.domain, groupby)
        }

    @users("sf_manager")
    def test_forecast_per_team_and_month(self):
        figures = self._by_month(self.env["crm.funnel.forecast"])
        self.assertEqual(
            figures,
            {
                ("2026-03", "Funnel Team 1"): (30000, 45000, 75000, 60000),
                ("2026-04", "Funnel Team 1"): (0, 0, 0, 30000),
                ("2026-05", "Funnel Team 1"): (0, 0, 0, 30000),
                ("2026-06", "Funnel Team 1"): (0, 0, 0, 30000),
                ("2026-04", "Funnel Team 2"): (0, 40000, 40000, 0),
            },
        )

    @users("sf_manager")
    def test_forecast_per_salesperson_uses_personal_targets(self):
        figures = self._by_month(self.env["crm.funnel.forecast"], "user_id")
        self.assertEqual(figures[("2026-03", "Funnel Salesman 1")], (30000, 45000, 75000, 50000))
        self.assertEqual(figures[("2026-04", "Funnel Salesman 2")], (0, 40000, 40000, 0))

    @users("sf_manager")
    def test_weighted_pipeline_is_odoo_prorated_revenue(self):
        Forecast = self.env["crm.funnel.forecast"]
        rows = Forecast.search_read(
            [("kind", "=", "pipeline"), ("lead_id", "in", (self.o1 | self.o2 | self.o3).ids)],
            ["lead_id", "pipeline_revenue"],
        )
        self.assertEqual(
            {row["lead_id"][0]: row["pipeline_revenue"] for row in rows},
            {lead.id: lead.prorated_revenue for lead in self.o1 | self.o2 | self.o3},
        )

    @users("sf_manager")
    def test_stage_default_probabilities(self):
        """A company that forecasts by stage weighs each deal by its stage's default."""
        self.env.user.company_id.sudo().forecast_probability_source = "stage"
        stage = self.o1.stage_id.sudo()
        stage.funnel_probability = 25
        figures = self._by_month(self.env["crm.funnel.forecast"])
        in_stage = (self.o1 | self.o2).filtered(lambda lead: lead.stage_id == stage)
        self.assertEqual(in_stage, self.o1 | self.o2)  # both land in the first stage
        self.assertEqual(figures[("2026-03", "Funnel Team 1")][1], 150000 * 0.25)

    @users("sf_salesman_1")
    def test_salesman_sees_own_pipeline_and_own_targets(self):
        Forecast = self.env["crm.funnel.forecast"]
        figures = self._by_month(Forecast)
        self.assertEqual(figures[("2026-03", "Funnel Team 1")], (30000, 45000, 75000, 60000))
        self.assertNotIn(("2026-04", "Funnel Team 2"), figures)  # salesman 2's deal
        self.assertFalse(Forecast.search([("lead_id", "=", self.o3.id)]))

    @users("sf_manager")
    def test_bad_stage_probability_refused(self):
        stage = self.o1.stage_id
        with self.assertRaises(ValidationError) as refused:
            stage.write({"funnel_probability": 120})
        self.assertEqual(
            str(refused.exception),
            f"The default probability of the stage {stage.name} must be between 0 and 100 % "
            "(got 120).",
        )

    @users("sf_manager")
    def test_xlsx_forecast_sheet(self):
        content = FunnelXlsxExport(
            self.env,
            [("id", "in", (self.o1 | self.o2 | self.o3 | self.w1).ids)],
            forecast_domain=self.domain,
        ).build(sheets=("forecast",))
        sheet = load_workbook(io.BytesIO(content), read_only=True)["Forecast"]
        rows = [row for row in sheet.iter_rows(values_only=True) if any(row)]
        self.assertEqual(
            rows[0],
            (
                "Month",
                "Sales Team",
                "Won Revenue",
                "Weighted Pipeline",
                "Forecast",
                "Revenue Target",
                "Forecast vs Target",
            ),
        )
        self.assertEqual(rows[1], ("2026-03", "Funnel Team 1", 30000, 45000, 75000, 60000, 1.25))
        self.assertIn(("2026-03", "Funnel Salesman 1", 30000, 45000, 75000, 50000, 1.5), rows)
