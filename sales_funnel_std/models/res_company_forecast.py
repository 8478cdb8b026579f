from odoo import fields, models

FORECAST_PROBABILITY_SOURCES = [
    ("lead", "Opportunity's probability"),
    ("stage", "Stage default probability"),
]


class ResCompany(models.Model):
    _inherit = "res.company"

    # Weighted forecast (crm.funnel.forecast)
    forecast_probability_source = fields.Selection(
        FORECAST_PROBABILITY_SOURCES,
        "Forecast Probability",
        default="lead",
        required=True,
        help="Probability weighting the expected revenue of open opportunities in the "
        "forecast: each opportunity's own (Odoo's predictive scoring or the rep's), or "
        "the default probability of its stage (for teams that do not use predictive "
        "scoring).",
    )
