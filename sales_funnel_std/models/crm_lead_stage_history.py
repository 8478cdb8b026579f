from odoo import api, fields, models
from odoo.tools import SQL


class CrmLeadStageHistory(models.Model):
    """One row per stay of a lead in a stage (written set-based by the lead)."""

    _name = "crm.lead.stage.history"
    _description = "Lead Stage History"
    _order = "date_in desc, id desc"
    _rec_name = "stage_id"
    # append-only log written in SQL: user_id/date_in/date_out already say who and when
    _log_access = False

    # lead_id and date_out: no single-column index, _open_per_lead and _lead_latest_idx
    # serve the lookups by lead (fewer index writes on every move)
    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade")
    stage_id = fields.Many2one("crm.stage", index=True, ondelete="restrict")
    previous_stage_id = fields.Many2one("crm.stage", ondelete="set null")
    date_in = fields.Datetime("Entered On", required=True, index=True)
    date_out = fields.Datetime("Left On")
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
    not_applicable_log = fields.Text(
        "Items Marked Not Applicable",
        help="Checklist items a sales manager marked not applicable (or applicable again) "
        "during this stay, with the reason.",
    )

    _open_per_lead = models.UniqueIndex("(lead_id) WHERE date_out IS NULL")
    # a lead's latest stay (previous stage of a move) without scanning other leads' rows
    _lead_latest_idx = models.Index("(lead_id, date_in DESC, id DESC)")

    @api.model
    def _funnel_moves_sql(self, leads, forced_info=None):
        """One statement, whatever the number of leads: close the open row of each lead
        that left its stage and open a row for the stage it is in now (also for a lead
        without an open row: just created, or history missing).

        The leads' values come from the ORM (their stage write may not be flushed yet).
        ``forced_info``: ``{lead_id: (reason, missing_items_text)}`` for overrides.
        """
        now = fields.Datetime.now()
        forced_info = forced_info or {}
        forced_ids = list(forced_info)
        # The INSERT of a lead's new row consumes the RETURNING row of its closed one, so
        # the open row is always closed first (unique open row per lead).
        return SQL(
            """
            WITH lead AS (
                SELECT * FROM unnest(%(ids)s::int[], %(stage_ids)s::int[], %(user_ids)s::int[],
                                     %(team_ids)s::int[], %(company_ids)s::int[])
                    AS lead(id, stage_id, user_id, team_id, company_id)
            ), closed AS (
                UPDATE crm_lead_stage_history h
                   SET date_out = %(now)s,
                       duration_days = EXTRACT(EPOCH FROM (%(now)s - h.date_in)) / 86400.0
                  FROM lead
                 WHERE h.lead_id = lead.id
                   AND h.lead_id = ANY(%(ids)s)
                   AND h.date_out IS NULL
                   AND h.stage_id IS DISTINCT FROM lead.stage_id
             RETURNING h.lead_id, h.stage_id
            )
            INSERT INTO crm_lead_stage_history (
                lead_id, stage_id, previous_stage_id, date_in, user_id, salesperson_id,
                team_id, company_id, forced, force_reason, missing_items)
            SELECT lead.id, lead.stage_id,
                   CASE WHEN closed.lead_id IS NOT NULL THEN closed.stage_id ELSE (
                        SELECT h.stage_id FROM crm_lead_stage_history h
                         WHERE h.lead_id = lead.id
                      ORDER BY h.date_in DESC, h.id DESC LIMIT 1) END,
                   %(now)s, %(uid)s, lead.user_id,
                   lead.team_id, lead.company_id, forced.lead_id IS NOT NULL,
                   forced.reason, forced.missing
              FROM lead
         LEFT JOIN closed ON closed.lead_id = lead.id
         LEFT JOIN unnest(%(forced_ids)s::int[], %(reasons)s::text[], %(missing)s::text[])
                   AS forced(lead_id, reason, missing) ON forced.lead_id = lead.id
             WHERE lead.stage_id IS NOT NULL
               AND (closed.lead_id IS NOT NULL OR NOT EXISTS (
                    SELECT 1 FROM crm_lead_stage_history o
                     WHERE o.lead_id = lead.id AND o.date_out IS NULL))
            """,
            now=now,
            uid=self.env.uid,
            ids=leads.ids,
            stage_ids=[lead.stage_id.id or None for lead in leads],
            user_ids=[lead.user_id.id or None for lead in leads],
            team_ids=[lead.team_id.id or None for lead in leads],
            company_ids=[lead.company_id.id or None for lead in leads],
            forced_ids=forced_ids,
            reasons=[forced_info[i][0] for i in forced_ids],
            missing=[forced_info[i][1] for i in forced_ids],
        )

    @api.model
    def _funnel_log_not_applicable(self, texts):
        """Append ``{lead id: text}`` to the log of each lead's open stay (one query)."""
        if not texts:
            return
        lead_ids = list(texts)
        self.flush_model(["lead_id", "date_out", "not_applicable_log"])
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead_stage_history h
                   SET not_applicable_log = concat_ws(E'\\n', h.not_applicable_log, log.text)
                  FROM unnest(%(ids)s::int[], %(texts)s::text[]) AS log(lead_id, text)
                 WHERE h.lead_id = log.lead_id AND h.lead_id = ANY(%(ids)s)
                   AND h.date_out IS NULL
                """,
                ids=lead_ids,
                texts=[texts[lead_id] for lead_id in lead_ids],
            )
        )
        self.invalidate_model(["not_applicable_log"])
