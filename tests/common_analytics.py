"""Fixtures of the analytics tests: funnel stages, hand-built stage histories.

Stage moves, won and lost are applied by ``_place`` only (one helper to adapt if the
stage gates change how leads move). Histories are written as ``crm.lead.stage.history``
rows when that model is installed; without it (before the gates feature), the table and
``crm_stage.funnel_role`` are created inside the test transaction (rolled back after),
with the columns of the agreed schema, so the report SQL is exercised the same way.
"""

from datetime import datetime, timedelta

from odoo.tools import SQL
from odoo.tools import sql as sql_tools

from .common import FunnelCase

ROLES = ("acquisition", "qualification", "discovery", "proposal", "negotiation", "won")
T0 = datetime(2026, 1, 5, 8, 0, 0)


class AnalyticsCase(FunnelCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cr = cls.env.cr
        cls.history_model = "crm.lead.stage.history" in cls.env
        if not sql_tools.column_exists(cr, "crm_stage", "funnel_role"):
            cr.execute("ALTER TABLE crm_stage ADD COLUMN funnel_role varchar")
        if not sql_tools.table_exists(cr, "crm_lead_stage_history"):
            cr.execute(
                """
                CREATE TABLE crm_lead_stage_history (
                    id serial PRIMARY KEY, lead_id int NOT NULL, stage_id int,
                    date_in timestamp, date_out timestamp, duration_days float)
                """
            )
        # new leads land in a stage outside the funnel (not counted), histories are built
        # by hand on the stages below
        cls.stage_inbox = cls.env["crm.stage"].create({"name": "Analytics inbox", "sequence": 0})
        cls.stages = {}
        for sequence, role in enumerate(ROLES, start=100):
            stage = cls.env["crm.stage"].create(
                {"name": f"Funnel {role}", "sequence": sequence, "is_won": role == "won"}
            )
            cr.execute(SQL("UPDATE crm_stage SET funnel_role = %s WHERE id = %s", role, stage.id))
            cls.stages[role] = stage
        cls.env["crm.stage"].invalidate_model()
        # the view reads the columns that exist now
        cls.env["crm.funnel.report"].init()

    @classmethod
    def _place(cls, lead, role, won_status="pending"):
        """Put ``lead`` in the stage of ``role`` (and mark it won / lost) without gates."""
        cls.env.flush_all()
        cls.env.cr.execute(
            SQL(
                "UPDATE crm_lead SET stage_id = %s, won_status = %s, active = %s,"
                " probability = %s WHERE id = %s",
                cls.stages[role].id,
                won_status,
                won_status != "lost",
                {"won": 100, "lost": 0}.get(won_status, 50),
                lead.id,
            )
        )
        cls.env["crm.lead"].invalidate_model()

    @classmethod
    def _history(cls, lead, stays, won_status="pending"):
        """Replace ``lead``'s history by ``stays`` = [(role, days or None if open)].

        Stays follow each other from ``T0``; the lead ends in the last stage.
        """
        cls.env.flush_all()
        cr = cls.env.cr
        cr.execute(SQL("DELETE FROM crm_lead_stage_history WHERE lead_id = %s", lead.id))
        date_in = T0
        previous = False
        for role, days in stays:
            date_out = date_in + timedelta(days=days) if days is not None else None
            stage = cls.stages[role]
            if cls.history_model:
                cls.env["crm.lead.stage.history"].sudo().create(
                    {
                        "lead_id": lead.id,
                        "stage_id": stage.id,
                        "previous_stage_id": previous and previous.id,
                        "date_in": date_in,
                        "date_out": date_out or False,
                        "duration_days": days or 0.0,
                    }
                )
            else:
                cr.execute(
                    SQL(
                        "INSERT INTO crm_lead_stage_history"
                        " (lead_id, stage_id, date_in, date_out, duration_days)"
                        " VALUES (%s, %s, %s, %s, %s)",
                        lead.id,
                        stage.id,
                        date_in,
                        date_out,
                        days,
                    )
                )
            previous = stage
            date_in = date_out or date_in
        cls._place(lead, stays[-1][0], won_status)
        cls.env.flush_all()
