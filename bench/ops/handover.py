"""Won-deal handover benchmark (issue 6 "Benchmark").

- confirming the handover wizard of one won opportunity with 20 task lines: new
  project from the template, 20 tasks, 2 documents copied, summary note, handover
  meeting activity, deal info on the lead. Time and SQL queries of the confirmation
  (the wizard is filled during the untimed set-up). No vanilla equivalent.
"""

import base64

from bench.registry import operation
from odoo import Command, fields

TASK_LINES = 20


@operation(
    "handover: confirm a handover with 20 task lines", vanilla=False, unit="tasks", group="handover"
)
def handover_twenty_tasks(env, ctx):
    company = env.company
    manager = (
        env["res.users"]
        .sudo()
        .create(
            {
                "name": "Bench Delivery Manager",
                "login": "bench_handover_delivery",
                "company_id": company.id,
                "company_ids": [Command.set(company.ids)],
                "group_ids": [
                    Command.set(
                        [env.ref("base.group_user").id, env.ref("project.group_project_user").id]
                    )
                ],
            }
        )
    )
    Template = env["crm.handover.task.template"].sudo()
    missing = TASK_LINES - len(Template._handover_lines_for(company))
    Template.create(
        [{"name": f"Bench delivery task {i}", "deadline_days": 10 + i} for i in range(missing)]
    )
    partner = env["res.partner"].create({"name": "Bench Handover Customer", "is_company": True})
    lead = env["crm.lead"].create(
        {
            "name": "Bench handover deal",
            "type": "opportunity",
            "partner_id": partner.id,
            "user_id": env.user.id,
            "expected_revenue": 50000,
        }
    )
    for name in ("客户需求清单.pdf", "谈判纪要.pdf"):
        env["ir.attachment"].create(
            {
                "name": name,
                "datas": base64.b64encode(name.encode()),
                "res_model": "crm.lead",
                "res_id": lead.id,
            }
        )
    # set-up: the deal went through the funnel (scores set, checklists done), then won
    lead.write({"bndu_budget": "5", "bndu_need": "5", "bndu_decision": "4", "bndu_urgency": "4"})
    env["crm.funnel.demo"]._complete_checklists(lead)
    lead.action_set_won()
    wizard = (
        env["crm.lead.handover"]
        .with_context(default_lead_id=lead.id)
        .create(
            {
                "lead_id": lead.id,
                "contract_number": "BENCH-001",
                "contract_signing_date": fields.Date.context_today(lead),
                "delivery_manager_id": manager.id,
            }
        )
    )
    assert len(wizard.line_ids) == TASK_LINES, len(wizard.line_ids)
    env.invalidate_all()

    def run():
        wizard.action_confirm()
        return TASK_LINES

    return run
