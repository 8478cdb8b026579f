from odoo import fields, models


class CrmObjectionType(models.Model):
    """Kind of customer objection (price, function, delivery time, decision chain, other),
    with the playbook's strategy for answering it (003 (四) 异议处理)."""

    _name = "crm.objection.type"
    _description = "Objection Type"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company", index=True, help="Leave empty to use this type in every company."
    )
    guidance = fields.Text(
        "Strategy",
        translate=True,
        help="How to answer this kind of objection (shown to the salesperson logging it).",
    )

    _name_company_unique = models.Constraint(
        "UNIQUE(name, company_id)", "There is already an objection type with this name."
    )
