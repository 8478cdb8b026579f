"""BNDU qualification benchmarks (issue 3 "Benchmark").

- re-grade of every lead after a threshold change: target >= 5,000 leads/s;
- writing one score on one lead / on 1,000 leads vs the same kind of write of a vanilla
  field on vanilla CRM (``expected_revenue``: tracked, with a dependent stored compute,
  like a score): target <= 1.2x;
- the addon's overhead on a plain vanilla write (``priority`` on 1,000 leads);
- kanban ``web_search_read`` of 80 cards as a salesman / a sales manager: queries
  <= vanilla + 1.
- completing the four scores of one lead (it grades the lead and schedules the first
  contact) vs vanilla's write plus the ``activity_schedule`` a rep would do by hand.
"""

from datetime import timedelta

from bench import views
from bench.registry import operation
from odoo import fields

OPEN_OPPORTUNITIES = "active AND type = 'opportunity' AND won_status = 'pending'"

# Deterministic scores 1..5 from the lead id: a spread over grades A, B and C.
SET_SCORES = """
    WITH scored AS (
        SELECT lead.id,
               1 + lead.id %% 5 AS b, 1 + (lead.id / 5) %% 5 AS n,
               1 + (lead.id / 25) %% 5 AS d, 1 + (lead.id / 125) %% 5 AS u,
               c.bndu_weight_budget AS wb, c.bndu_weight_need AS wn,
               c.bndu_weight_decision AS wd, c.bndu_weight_urgency AS wu,
               c.bndu_threshold_a AS ta, c.bndu_threshold_b AS tb
          FROM crm_lead lead
          JOIN res_company c ON c.id = COALESCE(lead.company_id, %(company)s)
    ), totals AS (
        SELECT *, b * wb + n * wn + d * wd + u * wu AS total FROM scored
    )
    UPDATE crm_lead lead
       SET bndu_budget = t.b::text, bndu_need = t.n::text,
           bndu_decision = t.d::text, bndu_urgency = t.u::text,
           bndu_total = t.total,
           bndu_grade = CASE WHEN t.total >= t.ta THEN 'a'
                             WHEN t.total >= t.tb THEN 'b' ELSE 'c' END
      FROM totals t
     WHERE lead.id = t.id AND (%(ids)s::int[] IS NULL OR lead.id = ANY(%(ids)s::int[]))
"""


def _score_all_leads(env, ids=None):
    """Set-up: every lead (or those of ``ids``) scored and graded, in one SQL UPDATE."""
    default_company = env["crm.lead"]._bndu_default_company()
    env.cr.execute(SET_SCORES, {"company": default_company.id, "ids": ids})
    env.invalidate_all()


@operation(
    "bndu: re-grade all leads after a threshold change",
    vanilla=False,
    user="admin",
    target=">= 5,000 leads/s",
)
def regrade_threshold_change(env, ctx):
    _score_all_leads(env)
    companies = env["res.company"].search([])

    def run():
        for company in companies:
            company.write({"bndu_threshold_a": company.bndu_threshold_a - 2})
        return ctx.n

    return run


def _save_one_by_one(env, ctx, lead_ids, schedule=False):
    """Timed part of the one-lead writes: each lead saved on its own, as from its form
    (addon: budget score 4; vanilla: the expected revenue, and with ``schedule`` the
    activity a rep would schedule by hand for the first contact: activity_schedule)."""
    leads = env["crm.lead"].browse(lead_ids)
    leads.mapped("name")  # the form is open: the record is loaded before the user edits
    due = fields.Date.context_today(leads) + timedelta(days=2)

    def run():
        for i, lead in enumerate(leads):
            if ctx.addon:
                lead.write({"bndu_budget": "4"})
            else:
                lead.write({"expected_revenue": 10000.0 + i})
                if schedule:
                    lead.activity_schedule(
                        "mail.mail_activity_data_call", date_deadline=due, user_id=env.uid
                    )
            lead.env.cr.flush()  # each save is its own request: flush + tracking
        return len(leads)

    return run


def _three_scores(env, lead_ids):
    """Set-up: B missing, N/D/U scored: writing B completes the grade (and its hook)."""
    env.cr.execute(
        "UPDATE crm_lead SET bndu_need = '4', bndu_decision = '3', bndu_urgency = '5' "
        "WHERE id = ANY(%s)",
        [lead_ids],
    )
    env.invalidate_all()


@operation(
    "bndu: complete the scores of one lead: grade + first-contact activity (x50, salesman)",
    user="salesman",
    unit="writes",
    target="<= vanilla write + activity_schedule",
)
def write_score_one_lead(env, ctx):
    lead_ids = ctx.sample(50, f"{OPEN_OPPORTUNITIES} AND user_id = {env.uid}")
    if ctx.addon:
        _three_scores(env, lead_ids)
    return _save_one_by_one(env, ctx, lead_ids, schedule=True)


@operation(
    "bndu: re-score one lead, grade unchanged (x50, salesman)",
    user="salesman",
    unit="writes",
    target="<= 1.2x vanilla expected_revenue write",
)
def rescore_one_lead(env, ctx):
    """The everyday edit: a graded lead's score changes, its grade stays (12 -> 13, B)."""
    lead_ids = ctx.sample(50, f"{OPEN_OPPORTUNITIES} AND user_id = {env.uid}")
    if ctx.addon:
        leads = env["crm.lead"].browse(lead_ids)
        leads.write(
            {"bndu_budget": "3", "bndu_need": "3", "bndu_decision": "3", "bndu_urgency": "3"}
        )
        env.flush_all()
        env.invalidate_all()
    return _save_one_by_one(env, ctx, lead_ids)


@operation(
    "bndu: write one score on 1,000 leads (manager)",
    user="manager",
    target="<= 1.2x vanilla expected_revenue write",
)
def write_score_1000_leads(env, ctx):
    lead_ids = ctx.sample(1000, OPEN_OPPORTUNITIES)
    if ctx.addon:
        _three_scores(env, lead_ids)
    leads = env["crm.lead"].browse(lead_ids)

    def run():
        if ctx.addon:
            leads.write({"bndu_budget": "4"})
        else:
            leads.write({"expected_revenue": 10000.0})
        return len(leads)

    return run


@operation(
    "bndu: addon overhead on a vanilla write (priority, 1,000 leads)",
    user="manager",
    target="~1.0x",
)
def write_priority_1000_leads(env, ctx):
    leads = env["crm.lead"].browse(ctx.sample(1000, OPEN_OPPORTUNITIES))

    def run():
        leads.write({"priority": "2"})
        return len(leads)

    return run


def _kanban(env, ctx, mine):
    spec = views.kanban_specification(env)
    domain = views.pipeline_domain(env, mine=mine)
    Lead = env["crm.lead"]
    if ctx.addon:  # the cards shown are scored and graded
        _score_all_leads(env, Lead.search(domain, limit=80).ids)
    Lead.web_search_read(domain, spec, limit=80)  # warm the registry caches
    env.invalidate_all()  # a new request: empty record cache

    def run():
        result = Lead.web_search_read(domain, spec, limit=80, count_limit=10001)
        return len(result["records"])

    return run


@operation(
    "bndu: kanban 80 cards (salesman, my pipeline)",
    user="salesman",
    unit="cards",
    target="queries <= vanilla + 1",
)
def kanban_salesman(env, ctx):
    return _kanban(env, ctx, mine=True)


@operation(
    "bndu: kanban 80 cards (sales manager)",
    user="manager",
    unit="cards",
    target="queries <= vanilla + 1",
)
def kanban_manager(env, ctx):
    return _kanban(env, ctx, mine=False)
