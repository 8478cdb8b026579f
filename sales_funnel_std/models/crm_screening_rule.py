from ast import literal_eval

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.fields import Domain

SCREENING_RESULTS = [
    ("high", "High Potential"),
    ("normal", "Normal"),
    ("invalid", "Invalid"),
]


def parse_lead_domain(env, text):
    """The Domain of ``text`` (a domain literal, empty: every lead) on crm.lead.

    Raises on any parse or field error (unknown field, bad operator): callers turn it
    into their own translated ValidationError naming the record being configured.
    """
    domain = Domain(literal_eval(text or "[]"))
    domain.validate(env["crm.lead"])
    return domain


class CrmScreeningRule(models.Model):
    """Preset lead screening criteria (003 (一)): the first active rule, by sequence, whose
    domain matches a lead gives its suggested screening result; no match gives Normal."""

    _name = "crm.screening.rule"
    _description = "Lead Screening Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to apply the rule to the leads of every company.",
    )
    domain = fields.Char(
        "Criteria",
        required=True,
        default="[]",
        help="Leads matching these conditions on their profile (industry, company size, "
        "budget range, BNDU urgency and decision scores, contact details…) get this result.",
    )
    result = fields.Selection(SCREENING_RESULTS, required=True, default="normal")
    note = fields.Text("Description", translate=True)

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_rule_vals(vals)
        rules = super().create(vals_list)
        self._screening_rules_changed()
        return rules

    def write(self, vals):
        self._check_rule_vals(vals)
        res = super().write(vals)
        if {"domain", "result", "sequence", "active", "company_id"} & set(vals):
            self._screening_rules_changed()
        return res

    def unlink(self):
        res = super().unlink()
        self._screening_rules_changed()
        return res

    @api.model
    def _check_rule_vals(self, vals):
        if "domain" in vals:
            self._parse_domain(vals["domain"], vals.get("name") or ", ".join(self.mapped("name")))
        if "result" in vals and vals["result"] not in dict(SCREENING_RESULTS):
            raise ValidationError(
                _(
                    "The screening result must be High Potential, Normal or Invalid "
                    "(got %(value)r).",
                    value=vals["result"],
                )
            )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _parse_domain(self, text, rule_name=""):
        """The domain of ``text`` on crm.lead, or a ValidationError saying why not."""
        try:
            domain = parse_lead_domain(self.env, text)
        except Exception as error:  # any parse or field error comes from user input
            raise ValidationError(
                _(
                    "The criteria of the screening rule %(rule)s are not a valid condition "
                    "on leads: %(error)s",
                    rule=rule_name or _("(new rule)"),
                    error=error,
                )
            ) from error
        return domain

    def _screening_rules_changed(self):
        """Rules changed: re-suggest the open leads not screened yet (ORM recompute,
        batched at the next flush)."""
        self.env.registry.clear_cache()  # _screening_rule_data
        if self.env.context.get("install_mode"):
            return  # shipped rules: leads older than the addon are prefilled (hooks.py)
        self.flush_model()
        Lead = self.env["crm.lead"]
        # sudo: recompute marks only; the values come from the leads' own fields
        leads = Lead.sudo().search([("screening_date", "=", False), ("won_status", "=", "pending")])
        for fname in ("screening_suggestion", "screening_result"):
            self.env.add_to_compute(Lead._fields[fname], leads)

    @api.model
    @tools.ormcache()
    def _screening_rule_data(self):
        """Active rules in order: ``((rule id, company id or None, result, Domain), …)``;
        cached registry-wide, cleared when a rule changes."""
        # sudo: rules are configuration, read to screen any lead the user may write
        rules = self.sudo().search([])
        return tuple(
            (rule.id, rule.company_id.id or None, rule.result, Domain(literal_eval(rule.domain)))
            for rule in rules
        )
