from odoo import models
from odoo.tools import SQL


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # ------------------------------------------------------------
    # WRITE PIPELINE STEP (called by crm.lead.create/write, models/crm_lead.py)
    # ------------------------------------------------------------

    def _funnel_sync_line_owners(self, vals, moved):
        """Write pipeline, step 10: the salesperson or the team changed -> the open lines
        owned by the salesperson or the team leader follow (one UPDATE); then the owner
        activities of those leads and of the ``moved`` ones (which got their new stage's
        lines) follow their lines. No query for a write that changes neither the
        salesperson nor the team nor the stage, nor, but that UPDATE, when no item has an
        owner other than the salesperson."""
        reowned = self.browse()
        if "user_id" in vals or "team_id" in vals:
            # only leads in a stage with checklist items have lines to act on (a past
            # stage's lines get their owner again when the lead re-enters it): no query
            # for the others, e.g. Odoo's lead assignment on stages without items
            stages_with_items = self.env["crm.stage.checklist.item"]._funnel_items_by_stage()
            reowned = self.filtered(lambda lead: lead.stage_id.id in stages_with_items)
        if reowned:
            self.env["crm.team"].flush_model(["user_id"])
            # SQL: the owner follows the lead whatever the writer's record rules on the
            # lines; the lead values come from the ORM (maybe not flushed yet)
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE crm_lead_checklist_line line
                       SET owner_id = %(owner)s
                      FROM unnest(%(ids)s::int[], %(user_ids)s::int[], %(team_ids)s::int[])
                           AS lead(id, user_id, team_id)
                      JOIN crm_stage_checklist_item item ON TRUE
                 LEFT JOIN crm_team leader ON leader.id = lead.team_id
                     WHERE line.lead_id = lead.id AND line.lead_id = ANY(%(ids)s)
                       AND item.id = line.item_id
                       AND item.owner_role IN ('salesperson', 'team_leader')
                       AND line.is_done IS NOT TRUE AND line.not_applicable IS NOT TRUE
                       AND line.owner_id IS DISTINCT FROM %(owner)s
                    """,
                    owner=self.env["crm.lead.checklist.line"]._funnel_owner_sql(),
                    ids=reowned.ids,
                    user_ids=[lead.user_id.id or None for lead in reowned],
                    team_ids=[lead.team_id.id or None for lead in reowned],
                )
            )
            self.env["crm.lead.checklist.line"].invalidate_model(["owner_id"])
        self.env["crm.lead.checklist.line"]._funnel_sync_owner_activities_of_leads(reowned | moved)
