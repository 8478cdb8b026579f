from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

BNDU_WEIGHT_FIELDS = (
    "bndu_weight_budget",
    "bndu_weight_need",
    "bndu_weight_decision",
    "bndu_weight_urgency",
)
BNDU_RULE_FIELDS = (*BNDU_WEIGHT_FIELDS, "bndu_threshold_a", "bndu_threshold_b")


class ResCompany(models.Model):
    _inherit = "res.company"

    # BNDU qualification rules (playbook defaults: weights 1, A >= 15, B >= 8)
    bndu_weight_budget = fields.Float("Budget Weight", digits=(16, 2), default=1.0)
    bndu_weight_need = fields.Float("Need Weight", digits=(16, 2), default=1.0)
    bndu_weight_decision = fields.Float("Decision Weight", digits=(16, 2), default=1.0)
    bndu_weight_urgency = fields.Float("Urgency Weight", digits=(16, 2), default=1.0)
    bndu_threshold_a = fields.Float("Grade A Threshold", digits=(16, 2), default=15.0)
    bndu_threshold_b = fields.Float("Grade B Threshold", digits=(16, 2), default=8.0)
    # Adoption of the standard funnel for the leads without a sales team (teams have their own)
    funnel_adopted = fields.Boolean(
        "Standard Funnel Enforced Without Team",
        help="On: the stage gate and the handover rules apply to this company's leads that "
        "have no sales team. New sales teams start with this value.",
    )

    _bndu_weights_positive = models.Constraint(
        "CHECK(bndu_weight_budget >= 0 AND bndu_weight_need >= 0 "
        "AND bndu_weight_decision >= 0 AND bndu_weight_urgency >= 0)",
        "BNDU weights must be zero or positive.",
    )
    _bndu_thresholds_ordered = models.Constraint(
        "CHECK(bndu_threshold_a > bndu_threshold_b)",
        "The grade A threshold must be greater than the grade B threshold.",
    )

    def _bndu_validate_rules(self, rules, name=None):
        """The one check of the BNDU rules (the SQL CHECKs above are the database's last
        line): a translated error naming the broken rule, raised by create and write
        before anything is written. ``rules`` maps the rule fields."""
        name = name or self.name
        weights = [rules[fname] for fname in BNDU_WEIGHT_FIELDS]
        if any(weight < 0 for weight in weights):
            raise ValidationError(
                _("%(company)s: BNDU weights must be zero or positive.", company=name)
            )
        if not any(weights):
            raise ValidationError(
                _(
                    "%(company)s: at least one BNDU weight must be greater than zero.",
                    company=name,
                )
            )
        if rules["bndu_threshold_a"] <= rules["bndu_threshold_b"]:
            raise ValidationError(
                _(
                    "%(company)s: the grade A threshold (%(a)s) must be greater than "
                    "the grade B threshold (%(b)s).",
                    company=name,
                    a=rules["bndu_threshold_a"],
                    b=rules["bndu_threshold_b"],
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        defaults = None
        for vals in vals_list:
            if any(fname in vals for fname in BNDU_RULE_FIELDS):
                defaults = defaults or self.default_get(list(BNDU_RULE_FIELDS))
                self._bndu_validate_rules({**defaults, **vals}, name=vals.get("name"))
        companies = super().create(vals_list)
        if any(vals.get("funnel_adopted") for vals in vals_list):
            self.env.registry.clear_cache()  # crm.team._funnel_adoption
        return companies

    def write(self, vals):
        changed = self.browse()
        if any(fname in vals for fname in BNDU_RULE_FIELDS):
            for company in self:
                # checked before anything is written, so the message names the rule
                company._bndu_validate_rules(
                    {fname: vals.get(fname, company[fname]) for fname in BNDU_RULE_FIELDS}
                )
            changed = self.filtered(
                lambda company: any(
                    fname in vals and company[fname] != vals[fname] for fname in BNDU_RULE_FIELDS
                )
            )
        res = super().write(vals)
        if "funnel_adopted" in vals or "active" in vals:
            # crm.team._funnel_adoption, crm.lead._bndu_default_company_id
            self.env.registry.clear_cache()
        if changed:
            # re-grade every lead ruled by these companies, set-based
            self.env["crm.lead"]._bndu_regrade_companies(changed)
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()  # crm.lead._bndu_default_company_id
        return res
