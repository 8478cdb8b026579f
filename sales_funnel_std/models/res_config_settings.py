from odoo import api, fields, models

from .res_company import BNDU_RULE_FIELDS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # Plain fields written in one company write (see set_values): related fields would
    # write them one by one and check "A > B" against a half-updated company.
    bndu_weight_budget = fields.Float(
        "Budget Weight", digits=(16, 2), compute="_compute_bndu_rules", readonly=False, store=True
    )
    bndu_weight_need = fields.Float(
        "Need Weight", digits=(16, 2), compute="_compute_bndu_rules", readonly=False, store=True
    )
    bndu_weight_decision = fields.Float(
        "Decision Weight", digits=(16, 2), compute="_compute_bndu_rules", readonly=False, store=True
    )
    bndu_weight_urgency = fields.Float(
        "Urgency Weight", digits=(16, 2), compute="_compute_bndu_rules", readonly=False, store=True
    )
    bndu_threshold_a = fields.Float(
        "Grade A Threshold",
        digits=(16, 2),
        compute="_compute_bndu_rules",
        readonly=False,
        store=True,
    )
    bndu_threshold_b = fields.Float(
        "Grade B Threshold",
        digits=(16, 2),
        compute="_compute_bndu_rules",
        readonly=False,
        store=True,
    )

    @api.depends("company_id")
    def _compute_bndu_rules(self):
        for settings in self:
            for fname in BNDU_RULE_FIELDS:
                settings[fname] = settings.company_id[fname]

    def set_values(self):
        res = super().set_values()
        vals = {fname: self[fname] for fname in BNDU_RULE_FIELDS}
        company = self.company_id
        if any(company[fname] != value for fname, value in vals.items()):
            company.write(vals)
        return res
