from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    # 001 §4: 针对客户异议，24小时内响应
    objection_response_hours = fields.Integer(
        "Objection Response Time (working hours)",
        default=24,
        help="A customer objection must be answered within this many working hours of the "
        "company's working calendar (public holidays excluded); without a calendar, "
        "calendar hours. Missed: the sales team leader is notified.",
    )

    _objection_response_hours_positive = models.Constraint(
        "CHECK(objection_response_hours > 0)",
        "The objection response time must be greater than zero.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._objection_check_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._objection_check_vals(vals)
        return super().write(vals)

    @api.model
    def _objection_check_vals(self, vals):
        if "objection_response_hours" not in vals:
            return
        value = vals["objection_response_hours"]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValidationError(
                _(
                    "The objection response time must be a whole number of hours greater "
                    "than 0 (got %(value)r).",
                    value=value,
                )
            )
