# Test users and data for the browser tests; piped into `odoo-bin shell` by scripts/e2e.sh.
# (A script run once against a throwaway database: the commit at the end is intended.)
# Every lead is prepared the way a real rep would have left it: scores, customer, revenue and
# the checklists of the stages already passed (the stage gate refuses anything less).
import base64

env = env  # noqa: F821 - provided by odoo-bin shell

Users = env["res.users"].with_context(no_reset_password=True)
salesman_group = env.ref("sales_team.group_sale_salesman")
project_user_group = env.ref("project.group_project_user")


def _user(name, login, groups, lang="en_US", tz="UTC"):
    return Users.create(
        {
            "name": name,
            "login": login,
            "password": login,
            "lang": lang,
            "tz": tz,
            "group_ids": [(6, 0, groups.ids)],
        }
    )


salesman = _user("E2E Salesman", "e2e_salesman", salesman_group)
salesman_zh = _user("E2E 销售", "e2e_salesman_zh", salesman_group, "zh_CN", "Asia/Shanghai")
# the sales manager also administers projects: he follows delivery from the lead's smart
# buttons (the delivery project is private to its followers; salesmen do not see it)
manager = _user(
    "E2E Manager",
    "e2e_manager",
    env.ref("sales_team.group_sale_manager") | env.ref("project.group_project_manager"),
)
_user("E2E Delivery Manager", "e2e_delivery", project_user_group)

team = env["crm.team"].create(
    {
        "name": "E2E Team",
        "user_id": manager.id,
        "member_ids": [(6, 0, (salesman | salesman_zh).ids)],
    }
)
partner = env["res.partner"].create({"name": "E2E Customer Ltd", "is_company": True})
contact = env["res.partner"].create(
    {"name": "E2E Buyer Zhang", "parent_id": partner.id, "function": "Purchasing Manager"}
)
Stage = env["crm.stage"]
stages = {
    role: Stage.search([("funnel_role", "=", role)], limit=1)
    for role in ("acquisition", "qualification", "discovery", "proposal", "negotiation")
}
scored = {"bndu_budget": "4", "bndu_need": "4", "bndu_decision": "3", "bndu_urgency": "3"}
Lead = env["crm.lead"]


def _opportunity(name, user, **vals):
    return Lead.create(
        {
            "name": name,
            "type": "opportunity",
            "user_id": user.id,
            "team_id": team.id,
            "partner_id": partner.id,
            **vals,
        }
    )


# 1. scoring (English and zh_CN salesmen): fresh opportunities, not scored yet
_opportunity("E2E Score me", salesman)
_opportunity("E2E 评分线索", salesman_zh)

# 2. the gate: a lead at Need discovery, earlier stages done, SPIN interview done, the
#    requirements list (客户需求清单) still missing
gate_lead = _opportunity(
    "E2E Gate me", salesman, stage_id=stages["acquisition"].id, expected_revenue=30000, **scored
)
env["crm.funnel.demo"]._complete_checklists(
    gate_lead, stages["acquisition"] | stages["qualification"]
)
gate_lead.write({"stage_id": stages["qualification"].id})
gate_lead.write({"stage_id": stages["discovery"].id})
gate_lead.checklist_line_ids.filtered(
    lambda line: line.stage_id == stages["discovery"] and line.kind == "confirm"
).write({"is_done": True})
assert gate_lead.checklist_blocked, "the gate lead must wait for its requirements list"

# 2b. not applicable: a lead at Lead acquisition, contact verified, first visit open (a
#     sales manager marks it not applicable, e2e/test_gate.py)
na_lead = _opportunity("E2E Not applicable", salesman, stage_id=stages["acquisition"].id)
contact_item = env.ref("sales_funnel_std.crm_stage_checklist_item_acquisition_contact")
na_lead.checklist_line_ids.filtered(lambda line: line.item_id == contact_item).write(
    {"is_done": True}
)

# 3. handover: a negotiated deal, every checklist done, ready to be marked won
deal = _opportunity(
    "E2E Hand me over",
    salesman,
    stage_id=stages["acquisition"].id,
    expected_revenue=88000,
    **scored,
)
env["crm.funnel.demo"]._complete_checklists(deal)
for role in ("qualification", "discovery", "proposal", "negotiation"):
    deal.write({"stage_id": stages[role].id})

# 3b. the same, won by a drag into the Won column
dragged = _opportunity(
    "E2E Drag me to won",
    salesman,
    stage_id=stages["acquisition"].id,
    expected_revenue=42000,
    **scored,
)
env["crm.funnel.demo"]._complete_checklists(dragged)
for role in ("qualification", "discovery", "proposal", "negotiation"):
    dragged.write({"stage_id": stages[role].id})

# 4. the funnel report has something to show: a few leads spread over the stages
for index in range(4):
    lead = _opportunity(
        f"E2E Funnel {index}", salesman, stage_id=stages["acquisition"].id, **scored
    )
    env["crm.funnel.demo"]._complete_checklists(lead)
    for later in ("qualification", "discovery", "proposal")[:index]:
        lead.write({"stage_id": stages[later].id})
# 5. coexistence: a team that has not adopted the standard funnel (advisory checklists)
env["crm.team"].create(
    {"name": "E2E Advisory Team", "user_id": manager.id, "funnel_adopted": False}
)
# 6. targets: the team's month, split over its two salesmen (the deal above is not won yet;
#    the funnel leads count as new leads)
team_target = env["crm.funnel.target"].create(
    {
        "level": "team",
        "team_id": team.id,
        "period_type": "month",
        "line_ids": [
            (0, 0, {"metric": "revenue", "target_value": 200000}),
            (0, 0, {"metric": "new_leads", "target_value": 20}),
            (0, 0, {"metric": "followups", "target_value": 10}),
        ],
    }
)
team_target.with_user(manager)._split({salesman: 1.0, salesman_zh: 1.0})
# 7. objections: an opportunity where the customer is about to object
_opportunity("E2E Object me", salesman, stage_id=stages["acquisition"].id)
# 8. post-sale care: a deal won last week, its first revisit due (care visit, repurchase)
care_partner = env["res.partner"].create({"name": "E2E Care Customer Ltd", "is_company": True})
care_deal = _opportunity(
    "E2E Care me",
    salesman,
    partner_id=care_partner.id,
    stage_id=stages["acquisition"].id,
    expected_revenue=64000,
    **scored,
)
env["crm.funnel.demo"]._complete_checklists(care_deal)
for role in ("qualification", "discovery", "proposal", "negotiation"):
    care_deal.write({"stage_id": stages[role].id})
care_deal.action_set_won()
assert care_deal.won_status == "won", "the care deal must be won"
# 9. escalation: an opportunity left a month in Lead acquisition (limit 3 days), the
#    hourly sweep run once: past the stage limit by far, its team leader notified
stuck = _opportunity("E2E Escalate me", salesman, stage_id=stages["acquisition"].id)
env.flush_all()
env.cr.execute(
    "UPDATE crm_lead SET date_last_stage_update = now() - interval '30 days' WHERE id = %s",
    [stuck.id],
)
env.cr.execute(
    "UPDATE mail_message SET date = now() - interval '30 days' "
    "WHERE model = 'crm.lead' AND res_id = %s",
    [stuck.id],
)
env.invalidate_all()
env["crm.lead"]._cron_escalation_sweep(commit=False)
assert stuck.escalation_level == "notify", stuck.escalation_level
# 10. the checklist widget (e2e/test_checklist.py): leads at Need discovery, earlier stages
#     done, the SPIN interview and the requirements list open; the requirements list comes
#     with a template to download
env.ref("sales_funnel_std.crm_stage_checklist_item_discovery_requirements").write(
    {
        "template_file": base64.b64encode(b"Requirements list template"),
        "template_filename": "requirements_list_template.txt",
    }
)
for name in ("E2E Checklist me", "E2E Checklist mobile"):
    lead = _opportunity(
        name, salesman, stage_id=stages["acquisition"].id, expected_revenue=50000, **scored
    )
    env["crm.funnel.demo"]._complete_checklists(
        lead, stages["acquisition"] | stages["qualification"]
    )
    lead.write({"stage_id": stages["qualification"].id})
    lead.write({"stage_id": stages["discovery"].id})
# no OdooBot onboarding chat over the page (it covers the form on a phone-sized window)
if "odoobot_state" in env["res.users"]._fields:
    (salesman | salesman_zh | manager).write({"odoobot_state": "disabled"})
# 11. checklist owners and approvals (issue 18): legal owns an optional item of Lead
#     acquisition, due 1 working day after entry, already overdue on "E2E Legal review";
#     the salesman asked his team leader (the manager) to approve "E2E Approve me". Both
#     items are scoped to these two leads: the other tests' leads keep their checklists.
legal = _user("E2E Legal", "e2e_legal", env.ref("sales_team.group_sale_salesman_all_leads"))
Item = env["crm.stage.checklist.item"]
OWNER_LEADS = "[('name', 'in', ['E2E Legal review', 'E2E Approve me'])]"
legal_item = Item.create(
    {
        "name": "E2E Contract terms reviewed",
        "stage_id": stages["acquisition"].id,
        "required": False,
        "owner_role": "user",
        "owner_user_id": legal.id,
        "deadline_days": 1,
        "condition_domain": OWNER_LEADS,
    }
)
approval_item = Item.create(
    {
        "name": "E2E Discount approved",
        "stage_id": stages["acquisition"].id,
        "kind": "approval",
        "required": False,
        "approver_role": "team_leader",
        "condition_domain": OWNER_LEADS,
    }
)
legal_lead = _opportunity("E2E Legal review", salesman, stage_id=stages["acquisition"].id)
legal_line = legal_lead.checklist_line_ids.filtered(lambda line: line.item_id == legal_item)
legal_line.write({"deadline": "2020-01-06"})
approve_lead = _opportunity("E2E Approve me", salesman, stage_id=stages["acquisition"].id)
approve_lead.checklist_line_ids.filtered(lambda line: line.item_id == approval_item).with_user(
    salesman
)._funnel_request_approval("10% off for a 3-year contract")
env.cr.commit()
print("e2e data ready")
