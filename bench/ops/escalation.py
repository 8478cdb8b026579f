"""Escalation ladder benchmark (issue "beyond the best peers": the escalation ladder).

- "escalation sweep": the hourly job over the whole pipeline (every open lead of the
  adopted teams is evaluated against the rules: last touch from the follow-ups and the
  messages, cut-off timestamps per company calendar), the due steps taken (level, log,
  activities, one digest per team leader). Target >= 5,000 leads/s;
- a second sweep with nothing new due: < 2 s.

A rule for every grade (the bench data is not graded) is added to the shipped ones:
remind after 40 working hours without a touch, notify the leader after 80.
"""

from bench.registry import operation


def _rule(env):
    env["crm.escalation.rule"].create(
        {"name": "Bench: any lead without follow-up", "remind_hours": 40, "notify_hours": 80}
    )
    env.flush_all()


@operation("escalation sweep", vanilla=False, group="escalation", target=">= 5000 leads/s")
def sweep_first_run(env, ctx):
    _rule(env)
    Lead = env["crm.lead"]

    def run():
        Lead._cron_escalation_sweep(commit=False)
        return ctx.n

    return run


@operation(
    "escalation sweep: second run (nothing due)",
    vanilla=False,
    group="escalation",
    target="< 2 s",
)
def sweep_second_run(env, ctx):
    _rule(env)
    Lead = env["crm.lead"]
    Lead._cron_escalation_sweep(commit=False)
    env.flush_all()

    def run():
        Lead._cron_escalation_sweep(commit=False)
        return ctx.n

    return run
