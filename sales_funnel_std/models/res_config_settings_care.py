from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    care_first_revisit_delay = fields.Integer(
        related="company_id.care_first_revisit_delay", readonly=False
    )
    care_first_revisit_unit = fields.Selection(
        related="company_id.care_first_revisit_unit", readonly=False
    )
    care_quarterly_months = fields.Integer(
        related="company_id.care_quarterly_months", readonly=False
    )
    care_review_months = fields.Integer(related="company_id.care_review_months", readonly=False)
