from odoo import api, fields, models


class CrmTeamMember(models.Model):
    _inherit = "crm.team.member"

    funnel_senior = fields.Boolean(
        "Senior Salesperson",
        tracking=True,
        help="High-potential leads are assigned first to the senior salespersons of the "
        "team (within their assignment filter and capacity); the other members get them "
        "only when no senior can take them.",
    )

    @api.model
    def _funnel_assignment_pass(self):
        return self.env.context.get("funnel_assignment_pass")

    def _get_assignment_quota(self, force_quota=False):
        """Quota of the two assignment passes (crm.team._assign_and_convert_leads):
        seniors only in the first one; in the second one, with a forced quota, what the
        first one assigned is taken off (without it, the leads of the last 24 h are)."""
        quota = super()._get_assignment_quota(force_quota=force_quota)
        assignment_pass = self._funnel_assignment_pass()
        if assignment_pass == "senior" and not self.funnel_senior:
            return 0
        if assignment_pass == "others" and force_quota:
            quota -= self.env.context.get("funnel_assigned_counts", {}).get(self.id, 0)
        return quota
