from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    forecast_probability_source = fields.Selection(
        related="company_id.forecast_probability_source", readonly=False
    )
