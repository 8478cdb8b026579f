"""The database checks after a load run (SQL). Each returns a list of problems.

Addon: at most one open cadence activity per lead; each lead processed once by the
cadence crons (no lead got two cadence activities from them); one open stage-history
row per lead, on its stage; the checklist lines of every current stage present (and
flagged current); every follow-up and every move the clients got back is in the
database, and nothing more unless a client saw an error for it (ambiguous outcome).
Vanilla: the notes and the stage tracking values the clients got back, likewise.
"""

from contextlib import closing

import psycopg2

from bench import runner as bench


def connect(dbname, port=None):
    conn = bench.pg_connect(dbname) if port is None else psycopg2.connect(
        dbname=dbname, host="localhost", port=port,
        user=bench.os.environ.get("PGUSER", "odoo"),
        password=bench.os.environ.get("PGPASSWORD", "odoo"),
    )  # fmt: skip
    conn.autocommit = True
    return conn


def rows(cr, query, params=None):
    cr.execute(query, params)
    return cr.fetchall()


def sample(found, limit=5):
    return ", ".join(str(row) for row in found[:limit]) + (" …" if len(found) > limit else "")


def db_now(dbname, port=None):
    with closing(connect(dbname, port)) as conn, conn.cursor() as cr:
        return rows(cr, "SELECT now() AT TIME ZONE 'UTC'")[0][0]


def check_lost(problems, what, client_ids, db_ids, ambiguous):
    """Every id the clients got back is in the database; the database has no more of
    them than the clients' ambiguous outcomes (errors) can explain."""
    missing = sorted(set(client_ids) - set(db_ids))
    if missing:
        problems.append(f"{len(missing)} {what} the clients got back are missing: {missing[:5]}")
    extra = len(set(db_ids) - set(client_ids))
    if extra > ambiguous:
        problems.append(
            f"{extra} {what} in the database the clients did not get back "
            f"(only {ambiguous} ambiguous outcomes)"
        )


def check_addon(dbname, start, load_leads, uids, moves, followup_ids, ambiguous, port=None):
    problems = []
    with closing(connect(dbname, port)) as conn, conn.cursor() as cr:
        found = rows(
            cr,
            """SELECT res_id, count(*) FROM mail_activity
                WHERE res_model = 'crm.lead' AND funnel_cadence IS NOT NULL AND active
             GROUP BY res_id HAVING count(*) > 1""",
        )
        if found:
            problems.append(f"leads with several open cadence activities: {sample(found)}")
        found = rows(
            cr,
            """SELECT res_id, count(*) FROM mail_activity
                WHERE res_model = 'crm.lead' AND funnel_cadence IS NOT NULL
                  AND NOT (res_id = ANY(%s))
             GROUP BY res_id HAVING count(*) > 1""",
            [load_leads],
        )
        if found:
            problems.append(f"leads processed more than once by the crons: {sample(found)}")
        found = rows(
            cr,
            """SELECT lead.id, lead.stage_id, count(h.id), array_agg(h.stage_id)
                 FROM crm_lead lead
            LEFT JOIN crm_lead_stage_history h ON h.lead_id = lead.id AND h.date_out IS NULL
                WHERE lead.stage_id IS NOT NULL
             GROUP BY lead.id, lead.stage_id
               HAVING count(h.id) <> 1 OR bool_or(h.stage_id IS DISTINCT FROM lead.stage_id)""",
        )
        if found:
            problems.append(
                f"{len(found)} leads without exactly one open stage-history row on their "
                f"stage: {sample(found)}"
            )
        found = rows(
            cr,
            """SELECT lead.id, item.id
                 FROM crm_lead lead
                 JOIN crm_stage_checklist_item item
                   ON item.stage_id = lead.stage_id AND item.active
                  AND COALESCE(item.condition_domain, '') IN ('', '[]')
                  AND NOT EXISTS (SELECT 1 FROM crm_stage_checklist_item_crm_team_rel r
                                   WHERE r.crm_stage_checklist_item_id = item.id)
            LEFT JOIN crm_lead_checklist_line line
                   ON line.lead_id = lead.id AND line.item_id = item.id
                WHERE lead.id = ANY(%s)
                  AND (line.id IS NULL OR NOT line.is_current_stage)""",
            [load_leads],
        )
        if found:
            problems.append(
                f"{len(found)} checklist lines of current stages missing or not current "
                f"(lead, item): {sample(found)}"
            )
        found = rows(
            cr,
            """SELECT line.lead_id, line.id FROM crm_lead_checklist_line line
                 JOIN crm_lead lead ON lead.id = line.lead_id
                WHERE line.is_current_stage AND line.stage_id <> lead.stage_id
                  AND lead.id = ANY(%s)""",
            [load_leads],
        )
        if found:
            problems.append(f"lines flagged current of another stage: {sample(found)}")
        db_followups = [
            row[0]
            for row in rows(
                cr,
                "SELECT id FROM crm_lead_followup WHERE create_date >= %s AND user_id = ANY(%s)",
                [start, uids],
            )
        ]
        check_lost(problems, "follow-ups", followup_ids, db_followups, ambiguous["log follow-up"])
        db_moves = rows(
            cr,
            """SELECT count(*) FROM crm_lead_stage_history
                WHERE date_in >= %s AND user_id = ANY(%s)""",
            [start, uids],
        )[0][0]
        check_count(problems, "stage-history rows (moves)", len(moves), db_moves,
                    ambiguous["move stage"])  # fmt: skip
    return problems


def check_count(problems, what, client_count, db_count, ambiguous):
    if db_count < client_count:
        problems.append(f"{what}: clients got {client_count} back, database has {db_count}")
    elif db_count - client_count > ambiguous:
        problems.append(
            f"{what}: database has {db_count}, clients got {client_count} back "
            f"(only {ambiguous} ambiguous outcomes)"
        )


def check_vanilla(dbname, start, uids, moves, note_ids, ambiguous, port=None):
    problems = []
    with closing(connect(dbname, port)) as conn, conn.cursor() as cr:
        db_notes = [
            row[0]
            for row in rows(
                cr,
                """SELECT id FROM mail_message
                    WHERE model = 'crm.lead' AND message_type = 'comment'
                      AND create_date >= %s AND create_uid = ANY(%s)""",
                [start, uids],
            )
        ]
        check_lost(problems, "notes", note_ids, db_notes, ambiguous["log follow-up"])
        db_moves = rows(
            cr,
            """SELECT count(*) FROM mail_tracking_value tv
                 JOIN ir_model_fields f ON f.id = tv.field_id
                WHERE f.model = 'crm.lead' AND f.name = 'stage_id'
                  AND tv.create_date >= %s AND tv.create_uid = ANY(%s)""",
            [start, uids],
        )[0][0]
        check_count(problems, "stage tracking values (moves)", len(moves), db_moves,
                    ambiguous["move stage"])  # fmt: skip
    return problems


def cadence_todo(dbname, port=None):
    """Leads the cadence cron still has to process (its own selection)."""
    with closing(connect(dbname, port)) as conn, conn.cursor() as cr:
        return rows(
            cr,
            """SELECT count(*) FROM crm_lead lead
            LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                WHERE lead.active AND lead.user_id IS NOT NULL
                  AND lead.bndu_grade IN ('a', 'b', 'c')
                  AND NOT COALESCE(stage.is_won, FALSE)
                  AND NOT EXISTS (SELECT 1 FROM mail_activity act
                                   WHERE act.res_model = 'crm.lead' AND act.res_id = lead.id
                                     AND act.funnel_cadence IS NOT NULL AND act.active)""",
        )[0][0]
