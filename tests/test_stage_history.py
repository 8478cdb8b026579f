from datetime import datetime

from freezegun import freeze_time

from odoo.addons.sales_funnel_std.hooks import backfill_stage_history
from odoo.tests import users

from .common_gates import GatesCase


class TestStageHistory(GatesCase):
    @users("sf_salesman_1")
    def test_rows_on_create_and_moves(self):
        with freeze_time("2026-03-01 09:00:00"):
            lead = self._acq_lead()
            lead.env.flush_all()
        rows = lead.stage_history_ids
        self.assertEqual(len(rows), 1)
        self.assertEqual(rows.stage_id, self.stage_acquisition)
        self.assertEqual(rows.date_in, datetime(2026, 3, 1, 9, 0))
        self.assertFalse(rows.date_out)
        self._tick_acquisition(lead)
        with freeze_time("2026-03-04 21:00:00"):
            lead.write({"stage_id": self.stage_qualification.id})
        self.env.invalidate_all()
        closed, opened = (
            lead.stage_history_ids.filtered("date_out"),
            lead.stage_history_ids.filtered(lambda h: not h.date_out),
        )
        self.assertEqual(closed.date_out, datetime(2026, 3, 4, 21, 0))
        self.assertAlmostEqual(closed.duration_days, 3.5)
        self.assertEqual(opened.stage_id, self.stage_qualification)
        self.assertEqual(opened.previous_stage_id, self.stage_acquisition)
        self.assertEqual(opened.user_id, self.user_salesman_1)
        self.assertEqual(opened.salesperson_id, self.user_salesman_1)
        self.assertEqual(opened.team_id, self.team_1)
        self.assertFalse(opened.forced)
        # moving back opens a new stay, same-stage writes add nothing
        lead.write({"stage_id": self.stage_acquisition.id})
        lead.write({"stage_id": self.stage_acquisition.id})
        self.assertEqual(len(lead.stage_history_ids), 3)

    def test_backfill_from_tracking_values(self):
        lead = self._lead(stage_id=self.stage_acquisition.id)
        field = self.env["ir.model.fields"]._get("crm.lead", "stage_id")
        self.env.cr.execute(
            "UPDATE crm_lead SET create_date = '2026-01-01 08:00:00', stage_id = %s WHERE id = %s",
            (self.stage_discovery.id, lead.id),
        )
        for date, old, new in (
            ("2026-01-03 08:00:00", self.stage_acquisition, self.stage_qualification),
            ("2026-01-10 20:00:00", self.stage_qualification, self.stage_discovery),
        ):
            self.env["mail.message"].create(
                {
                    "model": "crm.lead",
                    "res_id": lead.id,
                    "date": date,
                    "message_type": "notification",
                    "tracking_value_ids": [
                        (
                            0,
                            0,
                            {
                                "field_id": field.id,
                                "old_value_integer": old.id,
                                "new_value_integer": new.id,
                            },
                        )
                    ],
                }
            )
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM crm_lead_stage_history WHERE lead_id = %s", (lead.id,))
        backfill_stage_history(self.env)
        self.env.invalidate_all()
        rows = lead.stage_history_ids.sorted("date_in")
        self.assertEqual(
            rows.mapped("stage_id"),
            self.stage_acquisition | self.stage_qualification | self.stage_discovery,
        )
        self.assertEqual(rows[0].date_in, datetime(2026, 1, 1, 8, 0))
        self.assertAlmostEqual(rows[0].duration_days, 2.0)
        self.assertAlmostEqual(rows[1].duration_days, 7.5)
        self.assertEqual(rows[1].previous_stage_id, self.stage_acquisition)
        self.assertFalse(rows[2].date_out, "current stay open")
        # idempotent: a second run adds nothing
        backfill_stage_history(self.env)
        self.assertEqual(
            len(self.env["crm.lead.stage.history"].search([("lead_id", "=", lead.id)])), 3
        )

    def test_backfill_lead_without_tracking(self):
        lead = self._lead(stage_id=self.stage_acquisition.id)
        self.env.flush_all()
        self.env.cr.execute("DELETE FROM crm_lead_stage_history WHERE lead_id = %s", (lead.id,))
        backfill_stage_history(self.env)
        self.env.invalidate_all()
        self.assertEqual(lead.stage_history_ids.stage_id, self.stage_acquisition)
        self.assertFalse(lead.stage_history_ids.date_out)

    @users("sf_salesman_2")
    def test_history_read_only_and_private(self):
        lead = self._acq_lead(user=self.user_salesman_1)
        History = self.env["crm.lead.stage.history"]
        self.assertFalse(History.search([("lead_id", "=", lead.id)]))
