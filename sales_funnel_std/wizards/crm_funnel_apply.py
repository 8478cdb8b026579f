import logging

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError

from ..models.crm_lead_gate import GATE_FORCE_KEY, GATE_NO_CHATTER_KEY, MANAGER_GROUP

_logger = logging.getLogger(__name__)


class CrmFunnelApply(models.TransientModel):
    _name = "crm.funnel.apply"
    _description = "Apply the Standard Funnel"

    line_ids = fields.One2many("crm.funnel.apply.line", "wizard_id", string="Stages")
    team_ids = fields.Many2many(
        "crm.team",
        string="Adopting Teams",
        default=lambda self: self.env["crm.team"].search([("funnel_adopted", "=", False)]),
        help="Teams on which the stage gate and the handover rules are enforced from now on. "
        "The others keep advisory checklists.",
    )
    adopt_without_team = fields.Boolean(
        "Leads Without a Sales Team",
        default=lambda self: not self.env.company.funnel_adopted,
        help="Also enforce the standard funnel on this company's leads that have no sales team.",
    )

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        if "line_ids" in fields_list:
            stages = self.env["crm.stage"].search([("funnel_role", "=", False)])
            counts = dict(
                self.env["crm.lead"]
                .with_context(active_test=False)
                ._read_group([("stage_id", "in", stages.ids)], ["stage_id"], ["__count"])
            )
            res["line_ids"] = [
                (0, 0, {"stage_id": stage.id, "lead_count": counts.get(stage, 0)})
                for stage in stages
            ]
        return res

    def action_apply(self):
        """Move the leads of each mapped stage to its standard stage, archive the old one
        (folded into the standard stage: a lead put into it later goes there), then adopt
        the standard funnel on the chosen teams (and the company's leads without team).

        An administrative remap: the gate is not applied, every move is kept in the
        stage history (forced, with the remap as reason) and nothing is deleted.
        """
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(_("Only sales managers can apply the standard funnel."))
        reason = _("Standard funnel applied by %(user)s", user=self.env.user.name)
        Lead = self.env["crm.lead"].with_context(
            active_test=False,
            tracking_disable=True,
            **{GATE_FORCE_KEY: reason, GATE_NO_CHATTER_KEY: True},
        )
        for line in self.line_ids.filtered("target_stage_id"):
            if line.stage_id.is_won != line.target_stage_id.is_won:
                raise UserError(
                    _(
                        "“%(stage)s” and “%(target)s” must both be won stages or both not.",
                        stage=line.stage_id.name,
                        target=line.target_stage_id.name,
                    )
                )
            leads = Lead.search([("stage_id", "=", line.stage_id.id)])
            if leads:
                leads.write({"stage_id": line.target_stage_id.id})
            line.stage_id.write({"active": False, "fold_into_id": line.target_stage_id.id})
            _logger.info(
                "Standard funnel: %s leads moved from stage %s to %s by user %s",
                len(leads),
                line.stage_id.id,
                line.target_stage_id.id,
                self.env.uid,
            )
        self.team_ids.action_funnel_adopt()
        if self.adopt_without_team and not self.env.company.funnel_adopted:
            # sudo: a sales manager adopts the funnel for the leads without team of the
            # current company (one flag); other company settings stay out of reach
            self.env.company.sudo().funnel_adopted = True
            _logger.info(
                "Standard funnel enforced for the leads without team of company %s by user %s",
                self.env.company.id,
                self.env.uid,
            )
        return {"type": "ir.actions.client", "tag": "soft_reload"}


class CrmFunnelApplyLine(models.TransientModel):
    _name = "crm.funnel.apply.line"
    _description = "Apply the Standard Funnel: Stage Mapping"

    wizard_id = fields.Many2one("crm.funnel.apply", required=True, ondelete="cascade")
    stage_id = fields.Many2one("crm.stage", "Existing Stage", required=True, readonly=True)
    lead_count = fields.Integer("Leads", readonly=True)
    target_stage_id = fields.Many2one(
        "crm.stage",
        "Standard Stage",
        domain=[("funnel_role", "!=", False)],
        help="Leave empty to keep the stage as it is.",
    )
