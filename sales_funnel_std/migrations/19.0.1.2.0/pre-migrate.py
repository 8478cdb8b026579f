"""19.0.1.2.0: the lead's new stored objection counts, prefilled set-based.

No objection exists before this version: every lead has none open. Created here, the
columns exist when the ORM adds the fields, which then recomputes nothing (as at install,
``hooks.prefill_columns``).
"""

from odoo.addons.sales_funnel_std.hooks import PREFILL_COLUMNS, prefill_columns

NEW_COLUMNS = ("objection_open_count", "objection_clear")


def migrate(cr, version):
    prefill_columns(
        cr, [spec for spec in PREFILL_COLUMNS if spec[0] == "crm_lead" and spec[1] in NEW_COLUMNS]
    )
