"""Install hooks. Each step is a self-contained function called by ``post_init_hook``."""

from odoo.tools import SQL


def backfill_stage_history(env):
    """Build ``crm_lead_stage_history`` from the stage tracking of existing leads (SQL).

    Each ``stage_id`` tracking value closes a stay and opens the next; the stay before
    the first change starts at the lead's creation; the last stay stays open. Leads
    without tracking get one open row for their current stage, entered at their last
    stage update. Leads that already have history rows are skipped (idempotent).
    """
    field = env["ir.model.fields"]._get("crm.lead", "stage_id")
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            WITH moves AS (
                SELECT msg.res_id AS lead_id, tv.old_value_integer AS old_stage,
                       tv.new_value_integer AS new_stage, msg.date AS moved_on,
                       msg.author_id, tv.id AS tv_id
                  FROM mail_tracking_value tv
                  JOIN mail_message msg ON msg.id = tv.mail_message_id
                 WHERE tv.field_id = %(field)s AND msg.model = 'crm.lead'
            ), todo AS (
                SELECT lead.id, lead.create_date, lead.stage_id, lead.user_id, lead.team_id,
                       lead.company_id, lead.create_uid,
                       COALESCE(lead.date_last_stage_update, lead.create_date) AS entered
                  FROM crm_lead lead
                 WHERE NOT EXISTS (SELECT 1 FROM crm_lead_stage_history h
                                    WHERE h.lead_id = lead.id)
            ), ordered AS (
                SELECT m.*, ROW_NUMBER() OVER w AS rn, LEAD(m.moved_on) OVER w AS next_on
                  FROM moves m JOIN todo ON todo.id = m.lead_id
                WINDOW w AS (PARTITION BY m.lead_id ORDER BY m.moved_on, m.tv_id)
            ), stays AS (
                -- the stay before the first tracked change
                SELECT o.lead_id, o.old_stage AS stage_id, NULL::int AS previous_stage_id,
                       todo.create_date AS date_in, o.moved_on AS date_out,
                       todo.create_uid AS user_id
                  FROM ordered o JOIN todo ON todo.id = o.lead_id
                 WHERE o.rn = 1 AND o.old_stage IS NOT NULL AND todo.create_date <= o.moved_on
                UNION ALL
                -- one stay per tracked change
                SELECT o.lead_id, o.new_stage, o.old_stage, o.moved_on, o.next_on, u.id
                  FROM ordered o
             LEFT JOIN res_users u ON u.partner_id = o.author_id
                 WHERE o.new_stage IS NOT NULL
                UNION ALL
                -- leads without tracking: their current stage
                SELECT todo.id, todo.stage_id, NULL, todo.entered, NULL, todo.create_uid
                  FROM todo
                 WHERE todo.stage_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM moves m WHERE m.lead_id = todo.id)
            )
            INSERT INTO crm_lead_stage_history (
                lead_id, stage_id, previous_stage_id, date_in, date_out, duration_days,
                user_id, salesperson_id, team_id, company_id, forced,
                create_uid, create_date, write_uid, write_date)
            SELECT DISTINCT ON (s.lead_id, s.date_in, s.stage_id)
                   s.lead_id, stage.id, prev.id, s.date_in, s.date_out,
                   CASE WHEN s.date_out IS NOT NULL
                        THEN EXTRACT(EPOCH FROM (s.date_out - s.date_in)) / 86400.0 END,
                   s.user_id, todo.user_id, todo.team_id, todo.company_id, FALSE,
                   %(uid)s, NOW() AT TIME ZONE 'UTC', %(uid)s, NOW() AT TIME ZONE 'UTC'
              FROM stays s
              JOIN todo ON todo.id = s.lead_id
         LEFT JOIN crm_stage stage ON stage.id = s.stage_id
         LEFT JOIN crm_stage prev ON prev.id = s.previous_stage_id
             WHERE s.date_in IS NOT NULL
            """,
            field=field.id,
            uid=env.uid,
        )
    )
    # a deleted stage leaves a row without stage: keep the stay only if it is closed
    env.cr.execute("DELETE FROM crm_lead_stage_history WHERE stage_id IS NULL AND date_out IS NULL")
    env["crm.lead.stage.history"].invalidate_model()


def post_init_hook(env):
    backfill_stage_history(env)
