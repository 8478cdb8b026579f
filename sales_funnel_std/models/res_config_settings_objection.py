from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    objection_response_hours = fields.Integer(
        related="company_id.objection_response_hours", readonly=False
    )
