"""Stage gate benchmarks (issue 4 "Benchmark").

- stage move of 1 lead and of 1,000 leads whose checklists are complete, addon vs the
  same stage write on vanilla CRM: target ratio <= 1.2;
- the same moves with a conditional checklist item (issue 18: "Applies When") in the stage
  left and in the stage entered: one search per condition, whatever the number of leads;
- the same moves with an owned checklist item with a deadline (issue 18: owner other
  than the salesperson, deadline in working days) in the stage entered: the owner's
  activity per lead and the deadline on the company calendar;
- kanban ``web_search_read`` of 80 cards with the checklist progress fields (stored)
  vs the vanilla card specification: queries <= vanilla + 2.
"""

from bench.registry import operation

OPEN_OPPORTUNITIES = "active AND type = 'opportunity' AND won_status = 'pending'"
KANBAN_FIELDS = [
    "name",
    "contact_name",
    "priority",
    "user_id",
    "stage_id",
    "expected_revenue",
    "partner_id",
    "activity_state",
]
PROGRESS_FIELDS = ["checklist_done_count", "checklist_required_count", "checklist_blocked"]


def _stages(env):
    """Two consecutive non-won stages: the standard ones with the addon."""
    Stage = env["crm.stage"]
    if "funnel_role" in Stage._fields:
        return (
            env.ref("sales_funnel_std.crm_stage_acquisition"),
            env.ref("sales_funnel_std.crm_stage_qualification"),
        )
    stages = Stage.search([("is_won", "=", False)], order="sequence, id", limit=2)
    return stages[0], stages[1]


def _add_conditional_items(env):
    """Set-up (untimed): a required conditional item in the two stages of the move."""
    env["crm.stage.checklist.item"].create(
        [
            {
                "name": "Bench: big deal sponsor named",
                "stage_id": stage.id,
                "condition_domain": "[('expected_revenue', '>', 100000)]",
            }
            for stage in _stages(env)
        ]
    )


def _add_owned_item(env):
    """Set-up (untimed): an item of the stage entered owned by the administrator (who
    sees all leads), due 2 working days after the lead enters the stage."""
    env["crm.stage.checklist.item"].create(
        {
            "name": "Bench: contract terms reviewed by legal",
            "stage_id": _stages(env)[1].id,
            "owner_role": "user",
            "owner_user_id": env.ref("base.user_admin").id,
            "deadline_days": 2,
        }
    )


def _move(env, ctx, count, conditional=False, owned=False):
    source, target = _stages(env)
    warm = conditional or owned  # vanilla too: both sides measured after the same warm-up
    if conditional and ctx.addon:
        _add_conditional_items(env)
    if owned and ctx.addon:
        _add_owned_item(env)
    # the conditional variant moves one more lead first (untimed, see below)
    sample = env["crm.lead"].browse(ctx.sample(count + warm, OPEN_OPPORTUNITIES))
    leads, spare = sample[:count], sample[count:]
    sample.with_context(tracking_disable=True).write({"stage_id": source.id})
    if ctx.addon:
        # set-up: the checklist of the stage left is complete (untimed)
        env["crm.funnel.demo"]._complete_checklists(sample, source)
    env.flush_all()
    if warm:
        # creating the items cleared the registry caches (rules, mail subtypes…); the
        # other operations' repetitions run warm: warm them the same way
        spare.write({"stage_id": target.id})
        env.flush_all()
    env.invalidate_all()

    def run():
        leads.write({"stage_id": target.id})
        env.flush_all()
        return len(leads)

    return run


@operation("gates: stage move of 1 lead (checklist complete)", unit="leads")
def move_one_lead(env, ctx):
    return _move(env, ctx, 1)


@operation("gates: stage move of 1,000 leads (checklist complete)", unit="leads")
def move_thousand_leads(env, ctx):
    return _move(env, ctx, 1000)


@operation("gates: stage move of 1 lead (conditional items)", unit="leads")
def move_one_lead_conditional(env, ctx):
    return _move(env, ctx, 1, conditional=True)


@operation("gates: stage move of 1,000 leads (conditional items)", unit="leads")
def move_thousand_leads_conditional(env, ctx):
    return _move(env, ctx, 1000, conditional=True)


@operation("gates: stage move of 1 lead (owned item, deadline)", unit="leads")
def move_one_lead_owned(env, ctx):
    return _move(env, ctx, 1, owned=True)


@operation("gates: stage move of 1,000 leads (owned item, deadline)", unit="leads")
def move_thousand_leads_owned(env, ctx):
    return _move(env, ctx, 1000, owned=True)


@operation("gates: kanban 80 cards with checklist progress", unit="cards")
def kanban_progress(env, ctx):
    fields = KANBAN_FIELDS + (PROGRESS_FIELDS if ctx.addon else [])
    spec = {fname: {} for fname in fields}
    spec["user_id"] = {"fields": {"display_name": {}}}
    spec["stage_id"] = {"fields": {"display_name": {}}}
    spec["partner_id"] = {"fields": {"display_name": {}}}
    domain = [("type", "=", "opportunity")]
    Lead = env["crm.lead"]
    Lead.web_search_read(domain, spec, limit=80)  # warm the registry caches
    env.invalidate_all()

    def run():
        result = Lead.web_search_read(domain, spec, limit=80, count_limit=10001)
        return len(result["records"])

    return run
