from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    handover_template_project_id = fields.Many2one(
        related="company_id.handover_template_project_id", readonly=False
    )
    handover_open_on_won = fields.Boolean(related="company_id.handover_open_on_won", readonly=False)
    handover_required_for_won = fields.Boolean(
        related="company_id.handover_required_for_won", readonly=False
    )
    handover_limit_days = fields.Integer(related="company_id.handover_limit_days", readonly=False)
    funnel_adopted = fields.Boolean(related="company_id.funnel_adopted", readonly=False)
