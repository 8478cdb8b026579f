from odoo import api, models
from odoo.fields import Domain


class CrmTeam(models.Model):
    _inherit = "crm.team"

    def _get_lead_to_assign_domain(self):
        domain = super()._get_lead_to_assign_domain()
        if self.env.context.get("funnel_assignment_pass") == "senior":
            domain = Domain.AND([domain, [("screening_result", "=", "high")]])
        return domain

    def _assign_and_convert_leads(self, force_quota=False):
        """Playbook routing (003 (一)) through CRM's own assignment, in two passes:

        1. the high-potential leads to the senior members of the teams (their
           assignment filters, preferences and capacity as CRM applies them);
        2. CRM's usual assignment of what is left (normal leads by the members'
           region / industry filters, high-potential leads no senior could take).
        """
        if self.env.context.get("funnel_assignment_pass") or not any(
            self.crm_team_member_ids.mapped("funnel_senior")
        ):
            return super()._assign_and_convert_leads(force_quota=force_quota)
        seniors_first = super(
            CrmTeam, self.with_context(funnel_assignment_pass="senior")
        )._assign_and_convert_leads(force_quota=force_quota)
        counts = {member.id: len(data["assigned"]) for member, data in seniors_first.items()}
        others = super(
            CrmTeam,
            self.with_context(funnel_assignment_pass="others", funnel_assigned_counts=counts),
        )._assign_and_convert_leads(force_quota=force_quota)
        return self._funnel_merge_assignment(seniors_first, others)

    @api.model
    def _funnel_merge_assignment(self, first, second):
        """Members' results of both passes, in CRM's format ({member: {assigned, quota}})."""
        merged = {}
        for member, data in first.items():
            merged[member.with_env(self.env)] = dict(data)
        for member, data in second.items():
            key = member.with_env(self.env)
            if key in merged:
                merged[key]["assigned"] |= data["assigned"]
            else:
                merged[key] = dict(data)
        return merged
