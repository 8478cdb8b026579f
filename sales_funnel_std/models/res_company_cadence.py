from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    grade_policy_ids = fields.One2many("crm.grade.policy", "company_id", "Follow-up Rules")

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        self.env["crm.grade.policy"]._create_missing_policies(companies)
        return companies
