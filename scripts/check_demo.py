# Checks the demo story of a database installed with demo data (issue 8).
# Usage: $VENV/bin/python $(cat .build/odoo_bin) shell -c .build/odoo.conf -d <db> \
#            --no-http < scripts/check_demo.py
# Prints one line per case and "DEMO OK" when every case is present (read-only).
from datetime import date, timedelta

env = env  # noqa: F821 - provided by odoo-bin shell

failures = []


def check(label, condition, detail=""):
    print(f"{'ok  ' if condition else 'FAIL'} {label} {detail}")
    if not condition:
        failures.append(label)


def ref(xmlid):
    return env.ref(f"sales_funnel_std.{xmlid}")


Lead = env["crm.lead"].with_context(active_test=False)


def module_leads(module):
    """The leads of ``module``'s demo data (archived included)."""
    data = env["ir.model.data"].search([("module", "=", module), ("model", "=", "crm.lead")])
    return Lead.browse(data.mapped("res_id")).exists()


leads = module_leads("sales_funnel_std")
check("about 40 demo opportunities", len(leads) >= 38, f"({len(leads)})")
roles = set(leads.stage_id.mapped("funnel_role"))
check("all six standard stages used", len(roles) == 6, str(sorted(roles)))
check("all grades used", set(leads.mapped("bndu_grade")) == {"a", "b", "c", "none"})
check(
    "Chinese and English company names",
    any("有限公司" in n for n in leads.partner_id.mapped("commercial_company_name") if n)
    and any("Ltd" in n for n in leads.partner_id.mapped("commercial_company_name") if n),
)

users = {
    login: env["res.users"].search([("login", "=", login)])
    for login in ("manager", "salesman1", "salesman2")
}
check("demo users", all(users.values()))
check("salesman2 in zh_CN", users["salesman2"].lang == "zh_CN")
check("manager is sales manager", users["manager"].has_group("sales_team.group_sale_manager"))

tomorrow = date.today() + timedelta(days=1)
due_tomorrow = leads.filtered(
    lambda lead: (
        lead.bndu_grade == "a"
        and lead.sla_state == "pending"
        and lead.cadence_activity_id.date_deadline == tomorrow
    )
)
check(
    "A leads with first contact due tomorrow",
    len(due_tomorrow) >= 2,
    str(due_tomorrow.mapped("name")),
)
breached = leads.filtered(lambda lead: lead.bndu_grade == "b" and lead.sla_state == "breached")
check("B lead with SLA breached", bool(breached), str(breached.mapped("name")))
nurture = leads.filtered(lambda lead: lead.bndu_grade == "c" and lead.is_nurture and lead.active)
check("C leads in the nurture pool", bool(nurture), str(nurture.mapped("name")))
blocked = ref("crm_lead_apex_pdm_demo")
missing = blocked.checklist_line_ids.filtered(
    lambda line: line.is_current_stage and line.required and not line.is_done
)
check(
    "blocked at need discovery, requirements list missing",
    blocked.stage_id.funnel_role == "discovery"
    and blocked.checklist_blocked
    and missing.mapped("document_role") == ["requirements"],
    str(missing.mapped("name")),
)
nego = ref("crm_lead_hengxin_mes_demo")
minutes = nego.checklist_line_ids.filtered(lambda line: line.document_role == "minutes")
check(
    "negotiation with signed minutes",
    nego.stage_id.funnel_role == "negotiation"
    and minutes.is_done
    and minutes.attachment_ids
    and minutes.confirmed_partner_id
    and minutes.confirmed_date,
    f"{minutes.confirmed_partner_id.name} {minutes.confirmed_date}",
)
won = ref("crm_lead_huatuo_erp_demo")
check(
    "won deal handed over (project + tasks)",
    won.won_status == "won"
    and won.handover_state == "done"
    and won.handover_project_id
    and won.handover_task_count >= 3,
    f"{won.handover_project_id.name} {won.handover_task_count}",
)
lost = leads.filtered(lambda lead: lead.won_status == "lost")
check(
    "lost deals with reason",
    lost and all(lost.mapped("lost_reason_id")),
    str([(lead.name, lead.lost_reason_id.name) for lead in lost]),
)
followups = env["crm.lead.followup"].search([("lead_id", "in", leads.ids)])
check(
    "follow-ups in several channels",
    len(set(followups.mapped("channel"))) >= 4,
    f"({len(followups)} records, {sorted(set(followups.mapped('channel')))})",
)
history = env["crm.lead.stage.history"].search([("lead_id", "in", leads.ids)])
span = (max(history.mapped("date_in")) - min(history.mapped("date_in"))).days
check("stage history spans a few months", span >= 90, f"({len(history)} stays, {span} days)")
report = (
    env["crm.funnel.report"]._read_group([], ["funnel_role"], ["__count"])
    if "crm.funnel.report" in env
    else []
)
check("funnel report non-empty", len(report) >= 5, str(report))

ungraded = module_leads("crm").filtered(
    lambda lead: (
        lead.active
        and lead.type == "opportunity"
        and lead.stage_id.funnel_role not in (False, "acquisition")
        and lead.bndu_grade == "none"
    )
)
check("CRM's demo deals past acquisition are graded", not ungraded, str(ungraded.mapped("name")))

# coexistence: the demo's teams adopted the standard funnel, except CRM's Pre-Sales (advisory)
presales = env.ref("sales_team.crm_team_1")
adopted = env["crm.team"].search([("funnel_adopted", "=", True)])
check("Pre-Sales keeps advisory checklists", not presales.funnel_adopted)
check(
    "the demo's own teams and CRM's Sales adopted the funnel",
    {
        "sales_funnel_std.crm_team_direct_demo",
        "sales_funnel_std.crm_team_key_accounts_demo",
        "sales_team.team_sales_department",
    }
    <= set(adopted.get_external_id().values()),
    str(adopted.mapped("name")),
)
prompt = env["crm.team"].with_user(users["manager"]).get_funnel_adoption_prompt()
check("the manager is offered to adopt it", bool(prompt) and "Pre-Sales" in prompt["message"])

# targets (playbook 002 阶段一): company quarter → team month → people, with progress
Target = env["crm.funnel.target"]
direct = ref("crm_funnel_target_direct_demo")
check(
    "company, team and person targets",
    set(Target.search([]).mapped("level")) == {"company", "team", "user"},
)
check("Direct Sales split over its two people", len(direct.child_ids) == 2)
check(
    "Emma's target agreed",
    direct.child_ids.filtered(lambda t: t.user_id == users["salesman1"]).state == "agreed",
)
progress = env["crm.funnel.target.progress"].search([("target_id", "=", direct.id)])
check(
    "the team's target shows progress",
    any(row.actual_value > 0 for row in progress),
    str([(row.metric, row.actual_value) for row in progress]),
)

# revenue forecast and the explained grade (issue 17)
forecast = (
    env["crm.funnel.forecast"]
    .with_user(users["manager"])
    ._forecast_by_month([("team_id", "=", direct.team_id.id)])
)
check(
    "the forecast shows Direct Sales' pipeline against its target",
    any(line["pipeline"] for line in forecast) and any(line["target"] for line in forecast),
    str(forecast),
)
check("grade win rates snapshot taken", bool(env.company.bndu_outcomes_date))
graded = env["crm.lead"].with_user(users["salesman1"]).search([("bndu_grade", "=", "a")], limit=1)
check("an A lead explains its grade", bool(graded.bndu_insight), graded.name)

# customer objections (objections answered within 24 h)
Objection = env["crm.lead.objection"].with_context(active_test=False)
objections = Objection.search([("lead_id", "in", leads.ids)])
check("objections logged on the demo story", len(objections) >= 6, f"({len(objections)})")
check("every objection type but Other used", len(objections.type_id) >= 4)
overdue = objections.filtered(lambda o: o.is_overdue)
check(
    "one objection overdue, escalated to the team leader",
    len(overdue) == 1 and overdue.escalated_to_id and overdue.response_late,
    str(overdue.mapped("customer_words")),
)
check("overdue objection shows on the card", overdue.lead_id.objection_overdue)
check(
    "objections before a loss",
    any(o.lead_id.won_status == "lost" for o in objections),
)

# post-sale care (001 §6): visits on won deals, one repurchase opportunity, care activities
cares = env["crm.lead.care"].search([]) if "crm.lead.care" in env else []
check(
    "care visits with satisfaction on won deals",
    len(cares) >= 3 and all(care.lead_id.won_status == "won" for care in cares),
    str([(care.lead_id.name, care.satisfaction) for care in cares]),
)
repurchase = env["crm.lead"].search([("funnel_origin", "=", "repurchase")])
check(
    "one repurchase opportunity from a care visit",
    len(repurchase) == 1 and repurchase.origin_lead_id == won and repurchase.source_id,
    str(repurchase.mapped("name")),
)
won_deals = leads.filtered(lambda lead: lead.won_status == "won" and lead.active)
care_activities = env["mail.activity"].search(
    [("res_model", "=", "crm.lead"), ("res_id", "in", won_deals.ids), ("funnel_care", "!=", False)]
)
check(
    "one care activity per won deal",
    len(care_activities) == len(won_deals)
    and len(set(care_activities.mapped("res_id"))) == len(won_deals),
    str(sorted(care_activities.mapped("funnel_care"))),
)
check(
    "the repurchase customer is a potential repurchase",
    won.partner_id.commercial_partner_id.funnel_customer_state == "potential_repurchase",
)

# escalation ladder (issue 17): leads left without follow-up escalated on the story
Lead = env["crm.lead"]
escalated = Lead.with_user(users["manager"]).search([("escalation_level", "!=", False)])
check("leads escalated by the sweep", bool(escalated), f"({len(escalated)})")
check(
    "the sales manager has leads escalated to them",
    bool(Lead.with_user(users["manager"]).search([("escalated_to_me", "=", True)])),
)
own = Lead.with_user(users["salesman1"]).search([("escalation_level", "!=", False)])
check(
    "a salesperson sees only their own escalated leads",
    all(lead.user_id in (users["salesman1"], env["res.users"]) for lead in own),
)
check(
    "every escalated lead has its log and rule",
    all(lead.escalation_ids and lead.escalation_rule_id for lead in escalated),
)
check(
    "one checklist line not applicable, with its reason",
    bool(
        env["crm.lead.checklist.line"].search_count(
            [("not_applicable", "=", True), ("na_reason", "!=", False)]
        )
    ),
)
check(
    "a pipeline rule: Need discovery cannot be skipped", ref("crm_stage_discovery").funnel_no_skip
)

# checklist owners and approval requests (issue 18)
legal = env["res.users"].search([("login", "=", "legal")])
Line = env["crm.lead.checklist.line"]
owned = Line.with_user(legal).search(
    [("is_mine", "=", True), ("is_current_stage", "=", True), ("is_done", "=", False)]
)
check("legal owns open checklist lines (My Checklist Items)", bool(owned), f"({len(owned)})")
check(
    "one of legal's lines is overdue, with legal's activity",
    bool(owned.filtered("is_overdue")) and bool(owned.activity_ids.filtered("user_id")),
)
pending = Line.search([("approval_state", "=", "requested")])
check("an approval request is pending", bool(pending), f"({len(pending)})")
manager = env["res.users"].search([("login", "=", "manager")])
check(
    "the team leader has the approval in My Checklist Items",
    bool(Line.with_user(manager).search([("awaiting_my_approval", "=", True)])),
)

print("DEMO OK" if not failures else f"DEMO FAILED: {failures}")
