"""19.0.1.2.0: the playbook's stage time limits on the standard stages (Odoo's rotting).

The stage data is ``noupdate``: set the limit of each standard stage of an existing
database once, unless an admin already gave that stage a rotting threshold.
"""

from odoo.tools import SQL

# playbook 002 阶段三: first contact ≤ 3 days, need discovery ≤ 1 week, proposal and
# negotiation 1–2 weeks (the upper bound); qualification has no limit in the playbook
STAGE_LIMITS = {
    "crm_stage_acquisition": 3,
    "crm_stage_discovery": 7,
    "crm_stage_proposal": 14,
    "crm_stage_negotiation": 14,
}


def migrate(cr, version):
    values = SQL(", ").join(SQL("(%s, %s)", name, days) for name, days in STAGE_LIMITS.items())
    cr.execute(
        SQL(
            """
            UPDATE crm_stage stage SET rotting_threshold_days = limits.days
              FROM ir_model_data imd
              JOIN (VALUES %s) AS limits(name, days) ON limits.name = imd.name
             WHERE imd.module = 'sales_funnel_std' AND imd.model = 'crm.stage'
               AND imd.res_id = stage.id
               AND COALESCE(stage.rotting_threshold_days, 0) = 0
            """,
            values,
        )
    )
