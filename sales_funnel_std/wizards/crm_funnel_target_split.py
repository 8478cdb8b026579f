from odoo import _, api, fields, models
from odoo.exceptions import UserError


class CrmFunnelTargetSplit(models.TransientModel):
    """Split a team's target over its members, evenly or by weight (playbook 002 阶段一:
    team → person). Gathers the weights; ``crm.funnel.target._split`` does the work."""

    _name = "crm.funnel.target.split"
    _description = "Split a Team Target over its Members"

    target_id = fields.Many2one("crm.funnel.target", required=True, readonly=True)
    mode = fields.Selection(
        [("even", "Evenly"), ("weight", "By weight")], required=True, default="even"
    )
    line_ids = fields.One2many(
        "crm.funnel.target.split.line",
        "wizard_id",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
    )

    @api.depends("target_id")
    def _compute_line_ids(self):
        for wizard in self:
            team = wizard.target_id.team_id
            members = team.member_ids or team.user_id
            wizard.line_ids = [fields.Command.clear()] + [
                fields.Command.create({"user_id": user.id, "weight": 1.0}) for user in members
            ]

    def action_split(self):
        self.ensure_one()
        if not self.line_ids:
            raise UserError(
                _(
                    "The team %(team)s has no members to split the target over.",
                    team=self.target_id.team_id.name,
                )
            )
        if len(self.line_ids.user_id) != len(self.line_ids):
            raise UserError(_("Each salesperson appears once in the split."))
        weights = {
            line.user_id: 1.0 if self.mode == "even" else line.weight for line in self.line_ids
        }
        targets = self.target_id._split(weights)
        return {
            "type": "ir.actions.act_window",
            "name": _("Targets of %(team)s", team=self.target_id.team_id.name),
            "res_model": "crm.funnel.target",
            "view_mode": "list,form",
            "domain": [("id", "in", targets.ids)],
        }


class CrmFunnelTargetSplitLine(models.TransientModel):
    _name = "crm.funnel.target.split.line"
    _description = "Share of a Team Target"

    wizard_id = fields.Many2one("crm.funnel.target.split", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", "Salesperson", required=True)
    weight = fields.Float(default=1.0, digits=(16, 2))
