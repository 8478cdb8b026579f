"""Follow-up cadence benchmarks (issue 5 "Benchmark").

- the daily cron on every open graded lead without cadence activity (imported /
  legacy leads): target >= 1,000 leads/s; then a second run (nothing to do): < 5 s;
- marking one cadence activity done with feedback (follow-up log + next activity):
  time and SQL queries (the count is asserted in tests/test_followup.py).
"""

from bench.registry import operation

# Deterministic scores from the lead id: grades A, B and C (same as the BNDU benchmark).
GRADE_OPEN_LEADS = """
    WITH scored AS (
        SELECT lead.id, 1 + lead.id %% 5 AS b, 1 + (lead.id / 5) %% 5 AS n,
               1 + (lead.id / 25) %% 5 AS d, 1 + (lead.id / 125) %% 5 AS u,
               COALESCE(lead.company_id, %(company)s) AS company_id
          FROM crm_lead lead
    ), totals AS (
        SELECT s.*, s.b * c.bndu_weight_budget + s.n * c.bndu_weight_need
                  + s.d * c.bndu_weight_decision + s.u * c.bndu_weight_urgency AS total,
               c.bndu_threshold_a, c.bndu_threshold_b
          FROM scored s JOIN res_company c ON c.id = s.company_id
    )
    UPDATE crm_lead lead
       SET bndu_budget = t.b::text, bndu_need = t.n::text,
           bndu_decision = t.d::text, bndu_urgency = t.u::text,
           bndu_total = t.total,
           bndu_grade = CASE WHEN t.total >= t.bndu_threshold_a THEN 'a'
                             WHEN t.total >= t.bndu_threshold_b THEN 'b' ELSE 'c' END,
           user_id = COALESCE(lead.user_id, %(user)s)
      FROM totals t
     WHERE t.id = lead.id
"""


def _graded_without_cadence(env):
    """Set-up: every lead graded (SQL, like an import), no cadence activity."""
    company = env["crm.lead"]._bndu_default_company()
    env.cr.execute(GRADE_OPEN_LEADS, {"company": company.id, "user": env.user.id})
    env.cr.execute(
        "DELETE FROM mail_activity WHERE res_model = 'crm.lead' AND funnel_cadence IS NOT NULL"
    )
    env.cr.execute(
        "UPDATE crm_lead SET sla_state = NULL, sla_deadline = NULL, sla_met_date = NULL, "
        "is_nurture = FALSE"
    )
    env.invalidate_all()


@operation("cadence: cron catch-up on all graded leads", vanilla=False, group="cadence")
def cron_first_run(env, ctx):
    _graded_without_cadence(env)
    Lead = env["crm.lead"]

    def run():
        return Lead._cron_sync_cadence(commit=False)

    return run


@operation("cadence: cron second run (nothing to do)", vanilla=False, group="cadence")
def cron_second_run(env, ctx):
    _graded_without_cadence(env)
    Lead = env["crm.lead"]
    Lead._cron_sync_cadence(commit=False)
    env.flush_all()

    def run():
        Lead._cron_sync_cadence(commit=False)
        return ctx.n

    return run


@operation(
    "cadence: mark one activity done with feedback",
    vanilla=False,
    unit="activities",
    group="cadence",
)
def done_with_feedback(env, ctx):
    lead = env["crm.lead"].create(
        {
            "name": "Bench cadence lead",
            "type": "opportunity",
            "user_id": env.user.id,
            "bndu_budget": "5",
            "bndu_need": "5",
            "bndu_decision": "5",
            "bndu_urgency": "5",
        }
    )
    activity = lead.cadence_activity_id
    env.flush_all()
    env.invalidate_all()
    vals = {
        "channel": "im",
        "summary": "Sent the case study",
        "feedback": "Interested, wants a demo",
        "attitude_before": "wait_and_see",
        "attitude_after": "interested",
        "next_step": "Demo",
    }

    def run():
        activity.action_done_cadence(vals)
        return 1

    return run
