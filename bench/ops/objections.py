"""Objection SLA sweep benchmark (issue "objections answered within 24 h").

- "objection SLA sweep": the hourly job on a pipeline with one objection per three
  leads (a few thousand), half of them open past their deadline: mark them late and
  escalate each once to the team leader (one activity per opportunity and leader).
  Target >= 1,000 leads/s;
- a second run with nothing due (everything already escalated): < 1 s.

The objections are inserted in SQL (as an import would), on the addon database only.
"""

from bench.registry import operation

INSERT_OBJECTIONS = """
    INSERT INTO crm_lead_objection (
        lead_id, company_id, team_id, type_id, customer_words, stage_id, raised_on,
        response_deadline, state, create_uid, create_date, write_uid, write_date)
    SELECT lead.id, lead.company_id, lead.team_id,
           (SELECT id FROM crm_objection_type ORDER BY sequence, id
             OFFSET lead.id % 5 LIMIT 1),
           'The price is 10% above our budget.', lead.stage_id,
           now() AT TIME ZONE 'UTC' - make_interval(hours => 96 - (lead.id % 4) * 48),
           now() AT TIME ZONE 'UTC' - make_interval(hours => 72 - (lead.id % 4) * 48),
           'open', 1, now() AT TIME ZONE 'UTC', 1, now() AT TIME ZONE 'UTC'
      FROM crm_lead lead
     WHERE lead.id % 3 = 0 AND lead.active
"""


def _objections(env):
    """Set-up: one open objection per three active leads; those with lead id % 4 in
    (0, 1) are past their deadline (72 and 24 hours ago), the others are not due."""
    env.cr.execute(INSERT_OBJECTIONS)
    env.invalidate_all()


@operation("objection SLA sweep", vanilla=False, group="objections", target=">= 1000 leads/s")
def sweep_first_run(env, ctx):
    _objections(env)
    Objection = env["crm.lead.objection"]

    def run():
        Objection._cron_objection_sweep(commit=False)
        return ctx.n

    return run


@operation(
    "objection SLA sweep: second run (nothing due)",
    vanilla=False,
    group="objections",
    target="< 1 s",
)
def sweep_second_run(env, ctx):
    _objections(env)
    Objection = env["crm.lead.objection"]
    Objection._cron_objection_sweep(commit=False)
    env.flush_all()

    def run():
        Objection._cron_objection_sweep(commit=False)
        return ctx.n

    return run
