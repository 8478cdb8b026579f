from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    # Won-deal handover (客户交接清单)
    handover_template_project_id = fields.Many2one(
        "project.project",
        string="Handover Project Template",
        domain="[('is_template', '=', True), ('company_id', 'in', [id, False])]",
        help="Template project copied for each new delivery project. Empty: the "
        "addon's default delivery template.",
    )
    handover_open_on_won = fields.Boolean(
        "Open Handover When Won",
        default=True,
        help="Marking an opportunity as won opens the handover wizard.",
    )
    handover_required_for_won = fields.Boolean(
        "Handover Required Before Won",
        default=False,
        help="An opportunity can only be marked as won by confirming its handover: "
        "the Won button opens the handover wizard and its confirmation marks the "
        "opportunity as won.",
    )

    handover_limit_days = fields.Integer(
        "Handover Within (Days)",
        default=3,
        help="Days after a deal is won within which it should be handed over to delivery "
        "(playbook: within 3 days of signing); the won stage's time limit in Funnel "
        "Analysis. 0: no limit.",
    )

    @api.constrains("handover_limit_days")
    def _check_handover_limit_days(self):
        for company in self:
            if company.handover_limit_days < 0:
                raise ValidationError(
                    _(
                        "The handover time limit of %(company)s cannot be negative "
                        "(got %(days)s days; 0 means no limit).",
                        company=company.name,
                        days=company.handover_limit_days,
                    )
                )

    def _handover_template_project(self):
        """Template project used for new delivery projects of this company (sudo)."""
        self.ensure_one()
        # sudo: the template is configuration read on behalf of salesmen who have no
        # project rights; only its values are copied, nothing is returned to them
        template = self.sudo().handover_template_project_id
        if not template:
            template = self.env.ref(
                "sales_funnel_std.project_project_handover_template", raise_if_not_found=False
            )
        return template.sudo() if template else self.env["project.project"].sudo()
