from odoo import _, api, fields, models
from odoo.exceptions import ValidationError


class CrmHandoverTaskTemplate(models.Model):
    _name = "crm.handover.task.template"
    _description = "Handover Task Template"
    _order = "sequence, id"

    name = fields.Char("Task", required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    deadline_days = fields.Integer(
        "Deadline (days after signing)",
        default=3,
        help="The task deadline is the contract signing date plus this number of days.",
    )
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Empty: the line is used by every company.",
    )

    @api.constrains("deadline_days")
    def _check_deadline_days(self):
        if any(line.deadline_days < 0 for line in self):
            raise ValidationError(
                _("The deadline of a handover task cannot be before the signing date.")
            )

    @api.model
    def _handover_lines_for(self, company):
        """Active template lines applying to ``company`` (its own and shared ones)."""
        return self.search([("company_id", "in", [company.id, False])])
