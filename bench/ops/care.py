"""Post-sale care benchmarks (001 §6 客户维护与二次开发).

- the daily care cron on every lead won (by SQL, like an import or deals won before the
  addon) without care activity: first revisit deadline, customer state and one care
  activity per deal, set-based. Target >= 1,000 leads/s; then a second run (nothing to
  do): < 5 s.
"""

from bench.registry import operation

# Idempotent: only the leads not in that state yet are updated.
WIN_EVERY_LEAD = """
    UPDATE crm_lead lead
       SET stage_id = %(stage)s, probability = 100, won_status = 'won', active = TRUE,
           date_closed = COALESCE(lead.date_closed,
                                  now() AT TIME ZONE 'UTC' - (lead.id %% 60) * interval '1 day'),
           user_id = COALESCE(lead.user_id, %(user)s)
     WHERE lead.stage_id IS DISTINCT FROM %(stage)s OR lead.won_status IS DISTINCT FROM 'won'
        OR NOT lead.active OR lead.date_closed IS NULL OR lead.user_id IS NULL
        OR lead.probability IS DISTINCT FROM 100
"""


def _won_without_care(env):
    """Set-up: every generated lead won (SQL), no care activity, no care state."""
    stage = env["crm.stage"].search([("is_won", "=", True)], limit=1)
    env.cr.execute(WIN_EVERY_LEAD, {"stage": stage.id, "user": env.user.id})
    env.cr.execute(
        "DELETE FROM mail_activity WHERE res_model = 'crm.lead' AND funnel_care IS NOT NULL"
    )
    env.cr.execute(
        "UPDATE res_partner SET funnel_customer_state = NULL"
        " WHERE funnel_customer_state IS NOT NULL"
    )
    env.invalidate_all()


@operation(
    "care cadence on 10,000 won deals",
    vanilla=False,
    group="care",
    target=">= 1,000 leads/s",
)
def care_cron_first_run(env, ctx):
    _won_without_care(env)
    Lead = env["crm.lead"]

    def run():
        return Lead._cron_sync_care(commit=False)

    return run


@operation(
    "care cadence: cron second run (nothing to do)",
    vanilla=False,
    group="care",
    target="< 5 s",
)
def care_cron_second_run(env, ctx):
    _won_without_care(env)
    Lead = env["crm.lead"]
    Lead._cron_sync_care(commit=False)
    env.flush_all()

    def run():
        Lead._cron_sync_care(commit=False)
        return ctx.n

    return run
