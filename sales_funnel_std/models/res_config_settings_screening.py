from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    funnel_intake_days = fields.Integer(related="company_id.funnel_intake_days", readonly=False)
    funnel_first_touch_hours = fields.Integer(
        related="company_id.funnel_first_touch_hours", readonly=False
    )
