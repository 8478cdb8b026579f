"""Install hooks: keep installing on a large existing CRM database bounded (issue 9).

Odoo computes a new stored computed field for every existing row, record by record,
inside the install transaction, unless the column already exists. ``pre_init_hook``
therefore creates those columns first and fills them set-based, in SQL, with the value
the ORM would compute for data entered before the addon existed.

Adding a stored computed field to an existing, possibly big table (crm_lead,
mail_activity, res_partner, ...)? Add one line to ``PREFILL_COLUMNS``;
``tests/test_install.py`` fails until you do, and checks your expression against
the ORM compute on leads in every stage.
"""

import logging
import re

from odoo.tools import SQL, sql

_logger = logging.getLogger(__name__)

# (table, column, SQL type, prefill expression). The type is the field's
# ``column_type[1]`` (Float with digits -> numeric, Selection/Char -> varchar,
# Many2one/Integer -> int4, Datetime -> timestamp, Boolean -> bool). The expression is
# evaluated per row in ``UPDATE <table> AS t SET <column> = <expression>``: it may use
# the row's existing columns as ``t.<column>`` and correlated sub-queries; a constant
# expression is applied as a column default (no table rewrite at all).
SCREENING_PREFILL = (
    "CASE WHEN COALESCE(t.email_from, '') = '' AND COALESCE(t.phone, '') = '' "
    "AND t.partner_id IS NULL THEN 'invalid' "
    "WHEN t.name ILIKE 'test%%' OR t.email_from ILIKE 'test@%%' THEN 'invalid' "
    "ELSE 'normal' END"
)
PREFILL_COLUMNS = [
    # BNDU: no lead is scored before the addon exists -> total 0, not qualified
    ("crm_lead", "bndu_total", "numeric", "0"),
    ("crm_lead", "bndu_grade", "varchar", "'none'"),
    # handover: won deals of the past are "to hand over", the others have no state
    ("crm_lead", "handover_state", "varchar", "CASE WHEN t.won_status = 'won' THEN 'todo' END"),
    # checklist progress: no checklist line exists before the addon
    ("crm_lead", "checklist_required_count", "int4", "0"),
    ("crm_lead", "checklist_done_count", "int4", "0"),
    ("crm_lead", "checklist_blocked", "bool", "false"),
    # screening: industry from the customer; the shipped criteria (data/crm_screening_data.xml)
    # on what existed before the addon (the profile fields are new: no lead is high
    # potential); captured when created, so entered on time; no first-touch SLA
    (
        "crm_lead",
        "industry_id",
        "int4",
        "(SELECT cp.industry_id FROM res_partner p "
        "JOIN res_partner cp ON cp.id = p.commercial_partner_id WHERE p.id = t.partner_id)",
    ),
    # every source ranks 10 until the install ranks the playbook's ones (ORM recompute)
    ("crm_lead", "source_priority", "int4", "10"),
    ("crm_lead", "screening_suggestion", "varchar", SCREENING_PREFILL),
    ("crm_lead", "screening_result", "varchar", SCREENING_PREFILL),
    ("crm_lead", "funnel_capture_date", "timestamp", "t.create_date"),
    ("crm_lead", "intake_late", "bool", "false"),
    ("crm_lead", "first_touch_deadline", "timestamp", "null"),
    ("crm_lead", "first_touch_date", "timestamp", "null"),
    ("crm_lead", "first_touch_state", "varchar", "null"),
    # objections: none before the addon
    ("crm_lead", "objection_open_count", "int4", "0"),
    ("crm_lead", "objection_clear", "bool", "true"),
]


_CONSTANT = re.compile(r"^\s*(?:'(?:[^']|'')*'|-?\d+(?:\.\d+)?|true|false|null)\s*$", re.IGNORECASE)


def _is_constant(expression):
    """A literal (string, number, boolean, NULL): applied as a column default."""
    return bool(_CONSTANT.match(expression))


def prefill_columns(cr, columns):
    """Create and prefill, set-based, the columns of ``columns`` that do not exist yet.

    Existing columns are left alone (re-install, upgrade). Constant prefills become a
    column default dropped right away (PostgreSQL stores it in the catalogue: no table
    rewrite); the other prefills of a table are applied in one UPDATE. Returns the
    list of ``(table, column)`` created.
    """
    created = []
    by_table = {}
    for table, column, sql_type, expression in columns:
        if not sql.table_exists(cr, table):
            continue  # created by the addon itself: the ORM fills it
        if sql.column_exists(cr, table, column):
            continue
        by_table.setdefault(table, []).append((column, sql_type, expression))

    for table, specs in by_table.items():
        computed = []
        for column, sql_type, expression in specs:
            if _is_constant(expression):
                cr.execute(
                    SQL(
                        "ALTER TABLE %s ADD COLUMN %s %s DEFAULT %s",
                        SQL.identifier(table),
                        SQL.identifier(column),
                        SQL(sql_type),
                        SQL(expression),
                    )
                )
                cr.execute(
                    SQL(
                        "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT",
                        SQL.identifier(table),
                        SQL.identifier(column),
                    )
                )
            else:
                sql.create_column(cr, table, column, sql_type)
                computed.append((column, expression))
            created.append((table, column))
        if computed:
            cr.execute(
                SQL(
                    "UPDATE %s AS t SET %s",
                    SQL.identifier(table),
                    SQL(", ").join(
                        SQL("%s = %s", SQL.identifier(column), SQL(expression))
                        for column, expression in computed
                    ),
                )
            )
        _logger.info(
            "sales_funnel_std: prefilled %s.%s set-based",
            table,
            ", ".join(column for column, _type, _expr in specs),
        )
    return created


def pre_init_hook(env):
    """Prefill the addon's stored computed columns on existing tables (issue 9)."""
    prefill_columns(env.cr, PREFILL_COLUMNS)


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
                user_id, salesperson_id, team_id, company_id, forced)
            SELECT DISTINCT ON (s.lead_id, s.date_in, s.stage_id)
                   s.lead_id, stage.id, prev.id, s.date_in, s.date_out,
                   CASE WHEN s.date_out IS NOT NULL
                        THEN EXTRACT(EPOCH FROM (s.date_out - s.date_in)) / 86400.0 END,
                   s.user_id, todo.user_id, todo.team_id, todo.company_id, FALSE
              FROM stays s
              JOIN todo ON todo.id = s.lead_id
         LEFT JOIN crm_stage stage ON stage.id = s.stage_id
         LEFT JOIN crm_stage prev ON prev.id = s.previous_stage_id
             WHERE s.date_in IS NOT NULL
            """,
            field=field.id,
        )
    )
    # a deleted stage leaves a row without stage: keep the stay only if it is closed
    env.cr.execute("DELETE FROM crm_lead_stage_history WHERE stage_id IS NULL AND date_out IS NULL")
    env["crm.lead.stage.history"].invalidate_model()


def post_init_hook(env):
    backfill_stage_history(env)
    # fresh statistics after the bulk backfill, so the planner uses the per-lead indexes
    env.cr.execute("ANALYZE crm_lead_stage_history")
