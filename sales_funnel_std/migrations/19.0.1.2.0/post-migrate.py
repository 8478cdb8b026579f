"""19.0.1.2.0: the playbook's stage time limits on the standard stages (Odoo's rotting)
and the stages' default probabilities (forecast).

The stage data is ``noupdate``: set each value on the standard stages of an existing
database once, unless an admin already set one (0 is the unset value of both).
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
STAGE_PROBABILITIES = {
    "crm_stage_acquisition": 10,
    "crm_stage_qualification": 20,
    "crm_stage_discovery": 40,
    "crm_stage_proposal": 60,
    "crm_stage_negotiation": 80,
}


def _set_unset(cr, column, values_by_xmlid):
    values = SQL(", ").join(SQL("(%s, %s)", name, value) for name, value in values_by_xmlid.items())
    cr.execute(
        SQL(
            """
            UPDATE crm_stage stage SET %(column)s = defaults.value
              FROM ir_model_data imd
              JOIN (VALUES %(values)s) AS defaults(name, value) ON defaults.name = imd.name
             WHERE imd.module = 'sales_funnel_std' AND imd.model = 'crm.stage'
               AND imd.res_id = stage.id
               AND COALESCE(stage.%(column)s, 0) = 0
            """,
            column=SQL.identifier(column),
            values=values,
        )
    )


def migrate(cr, version):
    _set_unset(cr, "rotting_threshold_days", STAGE_LIMITS)
    _set_unset(cr, "funnel_probability", STAGE_PROBABILITIES)
