from odoo import fields, models

CUSTOMER_STATES = [
    ("maintenance", "In Maintenance"),
    ("potential_repurchase", "Potential Repurchase"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    # post-sale state of a customer (001 §6: 维护中 / 潜在复购), set by the care flow
    funnel_customer_state = fields.Selection(
        CUSTOMER_STATES,
        "Customer Care State",
        index="btree_not_null",
        tracking=True,
        help="In Maintenance: a won customer under post-sale care. Potential Repurchase: "
        "a care visit found a repurchase or upsell need. Set by the care visits; the "
        "half-year repurchase review decides between the two.",
    )
