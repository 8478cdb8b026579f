from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

INTAKE_FIELDS = ("funnel_intake_days", "funnel_first_touch_hours")


class ResCompany(models.Model):
    _inherit = "res.company"

    # Intake timeliness (001: entered within 1 working day; 003: first touch within 24 h)
    funnel_intake_days = fields.Integer(
        "Lead Entry Delay (working days)",
        default=1,
        help="New leads must be entered in the CRM within this many working days of "
        "their capture (company working calendar).",
    )
    funnel_first_touch_hours = fields.Integer(
        "High-Potential First Touch (hours)",
        default=24,
        help="High-potential leads must be contacted within this many hours of their capture.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._funnel_check_intake_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._funnel_check_intake_vals(vals)
        return super().write(vals)

    @api.model
    def _funnel_check_intake_vals(self, vals):
        self._funnel_check_positive_ints(vals, INTAKE_FIELDS)

    @api.model
    def _funnel_check_positive_ints(self, vals, fnames):
        """Settings ``fnames`` present in ``vals`` must be whole numbers > 0: a translated
        message naming the setting, raised before anything is written."""
        for fname in fnames:
            if fname not in vals:
                continue
            value = vals[fname]
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValidationError(
                    _(
                        "%(setting)s must be a whole number greater than 0 (got %(value)r).",
                        setting=self._fields[fname]._description_string(self.env),
                        value=value,
                    )
                )
