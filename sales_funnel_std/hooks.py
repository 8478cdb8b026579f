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
PREFILL_COLUMNS = [
    # BNDU: no lead is scored before the addon exists -> total 0, not qualified
    ("crm_lead", "bndu_total", "numeric", "0"),
    ("crm_lead", "bndu_grade", "varchar", "'none'"),
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
