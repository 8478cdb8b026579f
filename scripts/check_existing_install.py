# Installs the way a team with a running pipeline does (issue 13), checked end to end:
#   phase "before": on a vanilla crm+project database (no demo), a pipeline in Odoo's own
#                   stages: opportunities in New / Qualified / Proposition, a custom stage;
#   (the addon is then installed with odoo-bin -i, as from Apps)
#   phase "after":  nothing changed in what the pipeline does: stages kept and active, no
#                   adoption, every lead moves forward, wins and is assigned as before, the
#                   checklists are advisory; then a sales manager adopts and the gate refuses.
# Usage: odoo-bin shell ... < scripts/check_existing_install.py with PHASE=before|after.
import os

from odoo.exceptions import UserError

env = env  # noqa: F821 - provided by odoo-bin shell

PHASE = os.environ["PHASE"]
failures = []


def check(label, condition, detail=""):
    print(f"{'ok  ' if condition else 'FAIL'} {label} {detail}")
    if not condition:
        failures.append(label)


Stage = env["crm.stage"]
Lead = env["crm.lead"]
if PHASE == "before":
    custom = Stage.create({"name": "Site visit", "sequence": 2})
    stages = [env.ref("crm.stage_lead1"), env.ref("crm.stage_lead2"), custom]
    team = env["crm.team"].create({"name": "Existing team"})
    for index, stage in enumerate(stages * 2):
        Lead.create(
            {
                "name": f"Existing deal {index}",
                "type": "opportunity",
                "stage_id": stage.id,
                "team_id": team.id,
                "user_id": env.ref("base.user_admin").id,
            }
        )
    env.cr.commit()
    print("EXISTING PIPELINE READY")
else:
    team = env["crm.team"].search([("name", "=", "Existing team")])
    leads = Lead.search([("name", "like", "Existing deal %")], order="id")
    kept = Stage.search([("name", "in", ("New", "Qualified", "Proposition", "Site visit"))])
    check("the existing stages stay in the pipeline", len(kept) == 4, str(kept.mapped("name")))
    check("nothing adopted", not team.funnel_adopted and not env.company.funnel_adopted)
    check("the standard stages were added", len(Stage.search([("funnel_role", "!=", False)])) == 6)
    check("stage history backfilled", all(lead.stage_history_ids for lead in leads))
    salesman = env["res.users"].create(
        {
            "name": "Existing salesman",
            "login": "existing_salesman",
            "group_ids": [(6, 0, env.ref("sales_team.group_sale_salesman_all_leads").ids)],
        }
    )
    acquisition = Stage.search([("funnel_role", "=", "acquisition")])
    negotiation = Stage.search([("funnel_role", "=", "negotiation")])
    moved = leads[0].with_user(salesman)
    moved.write({"stage_id": acquisition.id})
    moved.write({"stage_id": negotiation.id})  # skips four stages with open required items
    check("a forward move skipping open items is allowed", moved.stage_id == negotiation)
    check("the checklist shows it (advisory)", moved.checklist_blocked)
    won = leads[1].with_user(salesman).action_set_won_rainbowman()
    check(
        "Won does what CRM does", leads[1].won_status == "won" and (won is True or "effect" in won)
    )
    leads[2].with_user(salesman).action_set_lost()
    check("lost as before", not leads[2].active)
    leads[3].with_user(salesman).write({"user_id": salesman.id})
    check("assigned as before", leads[3].user_id == salesman)
    prompt = team.get_funnel_adoption_prompt()
    check("the manager is offered to adopt", bool(prompt) and "Existing team" in prompt["message"])
    # adoption: the same kind of move is now refused
    wizard = env["crm.funnel.apply"].create({})
    check("the apply wizard lists the existing stages", len(wizard.line_ids) >= 4)
    wizard.team_ids = team
    wizard.action_apply()
    check("the team adopted", team.funnel_adopted)
    refused = False
    try:
        with env.cr.savepoint():
            leads[4].with_user(salesman).write({"stage_id": negotiation.id})
    except UserError as error:
        refused = "required checklist items" in str(error)
    check("after adoption the gate refuses the same move", refused)
    env.cr.rollback()
    print("EXISTING INSTALL OK" if not failures else f"EXISTING INSTALL FAILED: {failures}")
