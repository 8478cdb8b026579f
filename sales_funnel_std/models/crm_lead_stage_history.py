from odoo import api, fields, models
from odoo.tools import SQL


class CrmLeadStageHistory(models.Model):
    """One row per stay of a lead in a stage (written set-based by the lead)."""

    _name = "crm.lead.stage.history"
    _description = "Lead Stage History"
    _order = "date_in desc, id desc"
    _rec_name = "stage_id"

    lead_id = fields.Many2one("crm.lead", required=True, index=True, ondelete="cascade")
    stage_id = fields.Many2one("crm.stage", index=True, ondelete="restrict")
    previous_stage_id = fields.Many2one("crm.stage", ondelete="set null")
    date_in = fields.Datetime("Entered On", required=True, index=True)
    date_out = fields.Datetime("Left On", index=True)
    duration_days = fields.Float(
        "Days in Stage",
        digits=(16, 2),
        help="Time spent in the stage, set when the lead leaves it.",
    )
    user_id = fields.Many2one("res.users", "Moved By", ondelete="set null")
    salesperson_id = fields.Many2one("res.users", ondelete="set null")
    team_id = fields.Many2one("crm.team", "Sales Team", ondelete="set null")
    company_id = fields.Many2one("res.company", index=True, ondelete="cascade")
    forced = fields.Boolean(help="Moved by a manager override of the stage gate.")
    force_reason = fields.Text("Override Reason")
    missing_items = fields.Text("Items Missing at Override")

    _open_per_lead = models.UniqueIndex("(lead_id) WHERE date_out IS NULL")
    # a lead's latest stay (previous stage of a move) without scanning other leads' rows
    _lead_latest_idx = models.Index("(lead_id, date_in DESC, id DESC)")

    @api.model
    def _funnel_record_moves(self, leads, forced_info=None):
        """Close the open rows of ``leads`` and open one for their current stage.

        Set-based: one UPDATE and one INSERT whatever the number of leads.
        ``forced_info``: ``{lead_id: (reason, missing_items_text)}`` for overrides.
        """
        if not leads:
            return
        self.env.flush_all()
        now = fields.Datetime.now()
        forced_info = forced_info or {}
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead_stage_history h
                   SET date_out = %(now)s,
                       duration_days = EXTRACT(EPOCH FROM (%(now)s - h.date_in)) / 86400.0,
                       write_uid = %(uid)s, write_date = %(now)s
                  FROM crm_lead lead
                 WHERE h.lead_id = lead.id
                   AND h.lead_id = ANY(%(ids)s)
                   AND h.date_out IS NULL
                   AND h.stage_id IS DISTINCT FROM lead.stage_id
                """,
                now=now,
                uid=self.env.uid,
                ids=leads.ids,
            )
        )
        forced_ids = list(forced_info)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_lead_stage_history (
                    lead_id, stage_id, previous_stage_id, date_in, user_id, salesperson_id,
                    team_id, company_id, forced, force_reason, missing_items,
                    create_uid, create_date, write_uid, write_date)
                SELECT lead.id, lead.stage_id, prev.stage_id, %(now)s, %(uid)s, lead.user_id,
                       lead.team_id, lead.company_id, forced.lead_id IS NOT NULL,
                       forced.reason, forced.missing,
                       %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM crm_lead lead
             LEFT JOIN LATERAL (
                        SELECT h.stage_id FROM crm_lead_stage_history h
                         WHERE h.lead_id = lead.id
                      ORDER BY h.date_in DESC, h.id DESC LIMIT 1
                       ) prev ON TRUE
             LEFT JOIN unnest(%(forced_ids)s::int[], %(reasons)s::text[], %(missing)s::text[])
                       AS forced(lead_id, reason, missing) ON forced.lead_id = lead.id
                 WHERE lead.id = ANY(%(ids)s)
                   AND lead.stage_id IS NOT NULL
                   AND NOT EXISTS (
                        SELECT 1 FROM crm_lead_stage_history o
                         WHERE o.lead_id = lead.id AND o.date_out IS NULL)
                """,
                now=now,
                uid=self.env.uid,
                ids=leads.ids,
                forced_ids=forced_ids,
                reasons=[forced_info[i][0] for i in forced_ids],
                missing=[forced_info[i][1] for i in forced_ids],
            )
        )
        self.invalidate_model()
