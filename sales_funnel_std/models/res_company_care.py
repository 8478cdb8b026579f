from odoo import api, fields, models

from .care_planner import FIRST_REVISIT, QUARTERLY, REVIEW, CareRule

CARE_INTERVAL_FIELDS = ("care_first_revisit_delay", "care_quarterly_months", "care_review_months")


class ResCompany(models.Model):
    _inherit = "res.company"

    # Post-sale care (001 §6: first revisit within a week of the deal, quarterly care,
    # half-year repurchase review)
    care_first_revisit_delay = fields.Integer(
        "First Revisit Within",
        default=7,
        help="After a deal is won, the salesperson revisits the customer within this "
        "delay (playbook: one week).",
    )
    care_first_revisit_unit = fields.Selection(
        [("days", "Calendar Days"), ("working_days", "Working Days")],
        "First Revisit Unit",
        default="days",
        required=True,
        help="Calendar days (playbook: 7 days, one week) or working days of the "
        "company's working calendar, public holidays excluded.",
    )
    care_quarterly_months = fields.Integer(
        "Customer Care Every (Months)",
        default=3,
        help="Months between two care visits after the first revisit (industry news, "
        "training, greetings; playbook: quarterly).",
    )
    care_review_months = fields.Integer(
        "Repurchase Review Every (Months)",
        default=6,
        help="Months between two repurchase reviews of a customer, counted from the "
        "won date (playbook: every half year).",
    )

    _care_intervals_positive = models.Constraint(
        "CHECK(care_first_revisit_delay > 0 AND care_quarterly_months > 0 "
        "AND care_review_months > 0)",
        "Care delays and intervals must be greater than zero.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._care_check_rule_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._care_check_rule_vals(vals)
        return super().write(vals)

    @api.model
    def _care_check_rule_vals(self, vals):
        """Checked before writing, so the message names the setting and nothing is written."""
        self._funnel_check_positive_ints(vals, CARE_INTERVAL_FIELDS)

    def _care_rule(self):
        """This company's care rule for the planner (models/care_planner.py)."""
        self.ensure_one()
        types = {
            FIRST_REVISIT: "sales_funnel_std.mail_activity_type_care_first_revisit",
            QUARTERLY: "sales_funnel_std.mail_activity_type_care_quarterly",
            REVIEW: "sales_funnel_std.mail_activity_type_care_review",
        }
        type_ids = {}
        for kind, xmlid in types.items():
            activity_type = self.env.ref(xmlid, raise_if_not_found=False)
            type_ids[kind] = activity_type.id if activity_type else None
        return CareRule(
            quarterly_months=self.care_quarterly_months,
            review_months=self.care_review_months,
            type_ids=type_ids,
        )
