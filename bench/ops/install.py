"""Issue 9 on the generated data: what the install prefilled equals the ORM compute.

Runs on the addon database right after the timed install: for 1,000 leads drawn in
every stage (open, won, lost, archived), the columns of ``PREFILL_COLUMNS`` on
crm_lead, as the pre_init_hook filled them, are compared with the ORM's compute from
scratch. A mismatch FAILS the row (and ``make bench``).
"""

from bench.registry import operation


@operation(
    "install: prefilled columns = ORM compute (1,000 leads, all stages)",
    vanilla=False,
    unit="leads",
    group="install",
    target="0 mismatches",
)
def prefill_matches_orm(env, ctx):
    from odoo.addons.sales_funnel_std import hooks  # addon DB only

    Lead = env["crm.lead"].with_context(active_test=False)
    columns = [col for table, col, *_rest in hooks.PREFILL_COLUMNS if table == "crm_lead"]
    lead_ids = ctx.sample(1000)
    env.cr.execute(
        "SELECT id, {} FROM crm_lead WHERE id = ANY(%s)".format(", ".join(columns)),
        [lead_ids],
    )
    prefilled = {row[0]: row[1:] for row in env.cr.fetchall()}

    def plain(field, value):
        if field.relational:
            value = value.id if hasattr(value, "id") else value
        if field.type in ("float", "monetary") and value not in (None, False):
            return round(float(value), 6)
        return value if value not in (None, False, "") else None

    def run():
        env.invalidate_all()
        leads = Lead.browse(lead_ids)
        fields = [Lead._fields[col] for col in columns]
        for field in fields:
            env.add_to_compute(field, leads)
        mismatches = [
            (lead.id, field.name, prefilled[lead.id][i], lead[field.name])
            for lead in leads
            for i, field in enumerate(fields)
            if plain(field, lead[field.name]) != plain(field, prefilled[lead.id][i])
        ]
        if mismatches:
            raise AssertionError(f"{len(mismatches)} mismatches, e.g. {mismatches[:3]}")
        return len(leads)

    return run
