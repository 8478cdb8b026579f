from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..models.res_company import BNDU_RULE_FIELDS


class CrmBnduRules(models.TransientModel):
    """BNDU weights and thresholds of one company, for Sales Administrators.

    The Settings page is reserved to system administrators; this small form lets a
    Sales Administrator (sales_team.group_sale_manager) change the qualification rules
    of their companies without any other administration right.
    """

    _name = "crm.bndu.rules"
    _description = "BNDU Qualification Rules"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        domain=lambda self: [("id", "in", self.env.user.company_ids.ids)],
    )
    bndu_weight_budget = fields.Float(
        "Budget Weight",
        digits=(16, 2),
    )
    bndu_weight_need = fields.Float(
        "Need Weight",
        digits=(16, 2),
    )
    bndu_weight_decision = fields.Float(
        "Decision Weight",
        digits=(16, 2),
    )
    bndu_weight_urgency = fields.Float(
        "Urgency Weight",
        digits=(16, 2),
    )
    bndu_threshold_a = fields.Float(
        "Grade A Threshold",
        digits=(16, 2),
    )
    bndu_threshold_b = fields.Float(
        "Grade B Threshold",
        digits=(16, 2),
    )

    @api.model
    def default_get(self, fields):
        values = super().default_get(fields)
        company = self.env["res.company"].browse(values.get("company_id")) or self.env.company
        values.update({fname: company[fname] for fname in BNDU_RULE_FIELDS if fname in fields})
        return values

    @api.onchange("company_id")
    def _onchange_company_id(self):
        for fname in BNDU_RULE_FIELDS:
            self[fname] = self.company_id[fname]

    def action_apply(self):
        self.ensure_one()
        user = self.env.user
        if not user.has_group("sales_team.group_sale_manager"):
            raise AccessError(_("Only Sales Administrators can change the BNDU rules."))
        if self.company_id not in user.company_ids:
            raise AccessError(_("You cannot change the rules of another company."))
        # sudo: res.company is writable by system administrators only; the user was just
        # checked to be a Sales Administrator of this company and only the six BNDU rule
        # fields are written (validated and re-graded by res.company.write).
        self.company_id.sudo().write({fname: self[fname] for fname in BNDU_RULE_FIELDS})
        return {"type": "ir.actions.act_window_close"}
