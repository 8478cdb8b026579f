from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from ..models.grade_calibration import MIN_CLOSED_DEALS, rate, suggest_thresholds
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

    # calibration advice from the company's closed deals (read-only)
    calibration_warning = fields.Text(compute="_compute_calibration", readonly=True)
    suggested_threshold_a = fields.Float(
        "Suggested A Threshold", compute="_compute_calibration", digits=(16, 2)
    )
    suggested_threshold_b = fields.Float(
        "Suggested B Threshold", compute="_compute_calibration", digits=(16, 2)
    )
    calibration_summary = fields.Text(compute="_compute_calibration", readonly=True)

    @api.depends("company_id")
    def _compute_calibration(self):
        Calibration = self.env["crm.grade.calibration"]
        for wizard in self:
            wizard.calibration_warning = wizard.calibration_summary = False
            wizard.suggested_threshold_a = wizard.suggested_threshold_b = 0.0
            if not wizard.company_id:
                continue
            # sudo: aggregated win rates of the company's closed deals, shown to the
            # Sales Administrator who sets its thresholds
            outcomes = Calibration.sudo()._outcomes_by_company(wizard.company_id)[
                wizard.company_id.id
            ]
            wizard.calibration_warning = wizard._calibration_warning(outcomes)
            histogram = Calibration.sudo()._totals_histogram(wizard.company_id)
            suggestion = suggest_thresholds(histogram)
            if suggestion:
                wizard.suggested_threshold_a, wizard.suggested_threshold_b = suggestion
                figures = _split_rates(histogram, *suggestion)
                wizard.calibration_summary = _(
                    "From %(closed)s closed deals, A ≥ %(a)s and B ≥ %(b)s would separate "
                    "outcomes best: A %(rate_a)s %%, B %(rate_b)s %%, C %(rate_c)s %% won.",
                    closed=sum(row[1] for row in histogram),
                    a=suggestion[0],
                    b=suggestion[1],
                    rate_a=figures[0],
                    rate_b=figures[1],
                    rate_c=figures[2],
                )

    def _calibration_warning(self, outcomes):
        """A warning when a grade is won at least as often as the grade above it (each
        with enough closed deals), else False."""
        rates = {}
        for grade in ("a", "b", "c"):
            closed, won = outcomes.get(("grade", grade), (0, 0))
            if closed >= MIN_CLOSED_DEALS:
                rates[grade] = rate(closed, won)
        for upper, lower in (("a", "b"), ("b", "c")):
            if upper in rates and lower in rates and rates[lower] >= rates[upper]:
                labels = dict(
                    self.env["crm.lead"]._fields["bndu_grade"]._description_selection(self.env)
                )
                return _(
                    "%(lower)s deals are won as often as %(upper)s deals (%(lower_rate)s %% "
                    "vs %(upper_rate)s %%): the thresholds do not separate outcomes.",
                    lower=labels[lower],
                    upper=labels[upper],
                    lower_rate=round(rates[lower]),
                    upper_rate=round(rates[upper]),
                )
        return False

    def action_use_suggested_thresholds(self):
        """Put the suggested thresholds in the form (Apply still saves them)."""
        self.ensure_one()
        if self.suggested_threshold_a:
            self.write(
                {
                    "bndu_threshold_a": self.suggested_threshold_a,
                    "bndu_threshold_b": self.suggested_threshold_b,
                }
            )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

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


def _split_rates(histogram, threshold_a, threshold_b):
    """Rounded win rates (A, B, C) of ``histogram`` under the thresholds."""
    groups = {"a": [0, 0], "b": [0, 0], "c": [0, 0]}
    for total, closed, won in histogram:
        grade = "a" if total >= threshold_a else "b" if total >= threshold_b else "c"
        groups[grade][0] += closed
        groups[grade][1] += won
    return tuple(round(rate(*groups[grade]) or 0) for grade in ("a", "b", "c"))
