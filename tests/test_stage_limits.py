"""Stage time limits (playbook 002 阶段三): Odoo's rotting threshold on the standard
stages, the handover limit after won, and their compliance in Funnel Analysis / XLSX."""

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook

from odoo.addons.sales_funnel_std.report.funnel_xlsx import FunnelXlsxExport
from odoo.exceptions import ValidationError
from odoo.tests import users
from odoo.tools import SQL

from .common import FunnelCase
from .common_analytics import T0, AnalyticsCase


class TestStageLimitsConfig(FunnelCase):
    def test_playbook_limits_on_standard_stages(self):
        limits = {
            xmlid: self.env.ref(f"sales_funnel_std.{xmlid}").rotting_threshold_days
            for xmlid in (
                "crm_stage_acquisition",
                "crm_stage_qualification",
                "crm_stage_discovery",
                "crm_stage_proposal",
                "crm_stage_negotiation",
            )
        }
        self.assertEqual(
            limits,
            {
                "crm_stage_acquisition": 3,  # first contact within 3 days
                "crm_stage_qualification": 0,  # no limit in the playbook
                "crm_stage_discovery": 7,  # need discovery within a week
                "crm_stage_proposal": 14,  # 1–2 weeks
                "crm_stage_negotiation": 14,
            },
        )
        self.assertEqual(self.company.handover_limit_days, 3)

    def _age_stage(self, lead, stage, days):
        """``lead`` entered ``stage`` ``days`` ago (placed directly: the gate is tested
        elsewhere)."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET stage_id = %s,"
                " date_last_stage_update = NOW() AT TIME ZONE 'UTC' - %s WHERE id = %s",
                stage.id,
                timedelta(days=days),
                lead.id,
            )
        )
        lead.invalidate_recordset(
            ["stage_id", "date_last_stage_update", "is_rotting", "rotting_days"]
        )

    @users("sf_salesman_1")
    def test_past_the_limit_the_opportunity_rots(self):
        """The limit drives Odoo's own rotting badge and filter: one "stuck" signal."""
        discovery = self.env.ref("sales_funnel_std.crm_stage_discovery")
        lead = self._lead(self.env.user, name="Stuck in discovery")
        lead = lead.with_user(self.env.user)
        self._age_stage(lead, discovery, 6)
        self.assertFalse(lead.is_rotting)
        self._age_stage(lead, discovery, 9)
        self.assertTrue(lead.is_rotting)
        self.assertEqual(lead.rotting_days, 9)
        rotting = self.env["crm.lead"].search([("is_rotting", "in", [True])])
        self.assertIn(lead, rotting)

    @users("sf_manager")
    def test_negative_limits_refused(self):
        stage = self.env.ref("sales_funnel_std.crm_stage_discovery").with_user(self.env.user)
        with self.assertRaises(ValidationError) as refused:
            stage.write({"rotting_threshold_days": -2})
        self.assertEqual(
            str(refused.exception),
            "The time limit of the stage Need discovery cannot be negative "
            "(got -2 days; 0 means no limit).",
        )
        self.assertEqual(stage.rotting_threshold_days, 7)

    def test_negative_handover_limit_refused(self):
        company = self.company.with_user(self.user_admin)
        with self.assertRaises(ValidationError) as refused:
            company.write({"handover_limit_days": -1})
        self.assertIn("cannot be negative", str(refused.exception))
        self.assertEqual(company.handover_limit_days, 3)

    def test_other_stages_keep_vanilla_behaviour(self):
        """A stage outside the standard funnel is Odoo's: not checked by the addon."""
        stage = self.env["crm.stage"].create({"name": "Own stage", "rotting_threshold_days": -1})
        self.assertEqual(stage.rotting_threshold_days, -1)


class TestStageLimitsReport(AnalyticsCase):
    """Compliance with the limits (acquisition 3, discovery 7, proposal 14 days here):

    L1 acquisition 2 → discovery 5 → proposal … (since T0: far past 14)
    L2 acquisition 5 → discovery 10 → proposal, lost 3 days after entering it
    L3 acquisition 1 → discovery … since yesterday (within, not decided yet)
    W1 won, handed over 2 days later; W2 won 10 days ago, not handed over;
    W3 won, handed over 5 days later (handover limit 3 days)
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for role, days in (("acquisition", 3), ("discovery", 7), ("proposal", 14)):
            cls.stages[role].rotting_threshold_days = days
        cls.env["crm.funnel.report"].init()
        s1 = cls.user_salesman_1
        cls.l1 = cls._lead(s1, name="L1")
        cls.l2 = cls._lead(s1, name="L2")
        cls.l3 = cls._lead(s1, name="L3")
        cls.w1 = cls._lead(s1, name="W1")
        cls.w2 = cls._lead(s1, name="W2")
        cls.w3 = cls._lead(s1, name="W3")
        cls._history(cls.l1, [("acquisition", 2), ("discovery", 5), ("proposal", None)])
        cls._history(
            cls.l2, [("acquisition", 5), ("discovery", 10), ("proposal", None)], won_status="lost"
        )
        cls._set(cls.l2, date_closed=T0 + timedelta(days=18))
        cls._history(cls.l3, [("acquisition", 1), ("discovery", None)])
        yesterday = datetime.now().replace(microsecond=0) - timedelta(days=1)
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead_stage_history SET date_in = %s WHERE lead_id = %s"
                " AND date_out IS NULL",
                yesterday,
                cls.l3.id,
            )
        )
        cls._set(cls.l3, date_last_stage_update=yesterday)
        won_stays = [("acquisition", 1), ("discovery", 2), ("proposal", 3), ("won", None)]
        for lead in (cls.w1, cls.w2, cls.w3):
            cls._history(lead, won_stays, won_status="won")
        won_on = T0 + timedelta(days=6)
        cls._set(cls.w1, date_closed=won_on, handover_date=won_on + timedelta(days=2))
        cls._set(cls.w2, date_closed=datetime.now().replace(microsecond=0) - timedelta(days=10))
        cls._set(cls.w3, date_closed=won_on, handover_date=won_on + timedelta(days=5))
        cls.leads = cls.l1 | cls.l2 | cls.l3 | cls.w1 | cls.w2 | cls.w3
        cls.domain = [("lead_id", "in", cls.leads.ids)]

    @classmethod
    def _set(cls, lead, **values):
        cls.env.flush_all()
        assignments = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(fname), value) for fname, value in values.items()
        )
        cls.env.cr.execute(SQL("UPDATE crm_lead SET %s WHERE id = %s", assignments, lead.id))
        cls.env["crm.lead"].invalidate_model()

    def _rows(self, Report=None):
        """``{(lead id, role): (limit, within limit or None, over limit)}`` (SQL NULLs kept)."""
        Report = Report or self.env["crm.funnel.report"]
        query = Report._search(self.domain)
        rows = self.env.execute_query(
            query.select(
                *(
                    SQL("%s", SQL.identifier(Report._table, fname))
                    for fname in (
                        "lead_id",
                        "funnel_role",
                        "time_limit",
                        "time_limit_met",
                        "time_limit_exceeded",
                    )
                )
            )
        )
        return {(lead_id, role): tuple(figures) for lead_id, role, *figures in rows}

    def test_rows(self):
        rows = self._rows()
        self.assertEqual(rows[self.l1.id, "acquisition"], (3, 100.0, 0))
        self.assertEqual(rows[self.l1.id, "discovery"], (7, 100.0, 0))
        self.assertEqual(rows[self.l1.id, "proposal"], (14, 0.0, 1))  # still there since T0
        self.assertEqual(rows[self.l2.id, "acquisition"], (3, 0.0, 1))
        self.assertEqual(rows[self.l2.id, "discovery"], (7, 0.0, 1))
        self.assertEqual(rows[self.l2.id, "proposal"], (14, 100.0, 0))  # lost after 3 days
        self.assertEqual(rows[self.l3.id, "discovery"], (7, None, 0))  # within, ongoing
        # no limit: no figure
        self.assertEqual(rows[self.l1.id, "qualification"], (None, None, 0))
        # won: handed over within the company's 3 days, not yet (10 days), too late (5)
        self.assertEqual(rows[self.w1.id, "won"], (3, 100.0, 0))
        self.assertEqual(rows[self.w2.id, "won"], (3, 0.0, 1))
        self.assertEqual(rows[self.w3.id, "won"], (3, 0.0, 1))

    def test_figures_per_stage(self):
        figures = self.env["crm.funnel.report"]._funnel_figures(self.domain)
        by_role = {stage["role"]: stage for stage in figures["stages"]}
        compliance = {
            role: (stage["time_limit"], stage["within_limit"], stage["over_limit"])
            for role, stage in by_role.items()
        }
        self.assertEqual(compliance["acquisition"], (3, 100.0 * 5 / 6, 1))
        self.assertEqual(compliance["discovery"], (7, 100.0 * 4 / 5, 1))
        self.assertEqual(compliance["proposal"], (14, 100.0 * 4 / 5, 1))
        self.assertEqual(compliance["won"], (3, 100.0 / 3, 2))

    @users("sf_salesman_2")
    def test_other_salesman_sees_none_of_it(self):
        self.assertEqual(self._rows(self.env["crm.funnel.report"]), {})

    def test_xlsx_summary_columns(self):
        content = FunnelXlsxExport(
            self.env(user=self.user_manager), [("id", "in", self.leads.ids)]
        ).build(sheets=("summary",))
        sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        header = rows[2]
        self.assertEqual(header[6:9], ("Time Limit (Days)", "Within Time Limit", "Over Time Limit"))
        acquisition = rows[3]
        self.assertEqual(acquisition[6], 3)
        self.assertAlmostEqual(acquisition[7], 5 / 6)
        self.assertEqual(acquisition[8], 1)
