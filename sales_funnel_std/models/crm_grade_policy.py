from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import SQL

CADENCE_GRADES = [("a", "Grade A"), ("b", "Grade B"), ("c", "Grade C")]

# playbook defaults (000 §2, 001 §4): A 48 h then weekly, B 3 working days then every
# two weeks, C nurture pool re-evaluated monthly
POLICY_DEFAULTS = {
    "a": {
        "first_contact_delay": 48,
        "first_contact_unit": "hours",
        "interval_days": 7,
        "nurture": False,
        "activity_type": "sales_funnel_std.mail_activity_type_followup",
    },
    "b": {
        "first_contact_delay": 3,
        "first_contact_unit": "working_days",
        "interval_days": 14,
        "nurture": False,
        "activity_type": "sales_funnel_std.mail_activity_type_followup",
    },
    "c": {
        "first_contact_delay": 5,
        "first_contact_unit": "working_days",
        "interval_days": 30,
        "nurture": True,
        "activity_type": "sales_funnel_std.mail_activity_type_nurture",
    },
}


class CrmGradePolicy(models.Model):
    _name = "crm.grade.policy"
    _description = "Follow-up Rule per Grade"
    _order = "company_id, grade"
    _rec_name = "grade"

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda s: s.env.company,
    )
    grade = fields.Selection(CADENCE_GRADES, required=True)
    first_contact_delay = fields.Integer(
        "First Contact Within",
        required=True,
        default=48,
        help="Time the salesperson has to contact a lead after it gets this grade (SLA).",
    )
    first_contact_unit = fields.Selection(
        [("hours", "Hours"), ("working_days", "Working Days")],
        "Unit",
        required=True,
        default="hours",
        help="Working days follow the company's working calendar, public holidays "
        "included; a company without calendar works Monday to Friday.",
    )
    interval_days = fields.Integer(
        "Follow-up Every (Days)",
        required=True,
        default=7,
        help="Days between two follow-ups once the first contact is done.",
    )
    first_contact_type_id = fields.Many2one(
        "mail.activity.type",
        "First Contact Activity",
        required=True,
        ondelete="restrict",
        default=lambda s: s.env.ref(
            "sales_funnel_std.mail_activity_type_first_contact", raise_if_not_found=False
        ),
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'crm.lead')]",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        "Follow-up Activity",
        required=True,
        ondelete="restrict",
        default=lambda s: s.env.ref(
            "sales_funnel_std.mail_activity_type_followup", raise_if_not_found=False
        ),
        domain="['|', ('res_model', '=', False), ('res_model', '=', 'crm.lead')]",
    )
    nurture = fields.Boolean(
        "Nurture Pool",
        help="Leads of this grade go to the nurture pool: no first-contact SLA, a "
        "periodic re-evaluation activity instead.",
    )

    _company_grade_unique = models.Constraint(
        "UNIQUE(company_id, grade)", "There is already a follow-up rule for this grade."
    )
    _delays_positive = models.Constraint(
        "CHECK(first_contact_delay > 0 AND interval_days > 0)",
        "Follow-up delays and intervals must be greater than zero.",
    )

    @api.constrains("first_contact_delay", "interval_days")
    def _check_delays(self):
        for policy in self:
            policy._check_delay_vals(
                {
                    "first_contact_delay": policy.first_contact_delay,
                    "interval_days": policy.interval_days,
                },
                policy.grade,
            )

    @api.model
    def _check_delay_vals(self, vals, grade):
        """Checked before writing, so the message is clear and nothing is written."""
        grade = (grade or "").upper()
        if "first_contact_delay" in vals and (vals["first_contact_delay"] or 0) <= 0:
            raise ValidationError(
                _(
                    "The first-contact delay of grade %(grade)s must be greater than zero.",
                    grade=grade,
                )
            )
        if "interval_days" in vals and (vals["interval_days"] or 0) <= 0:
            raise ValidationError(
                _(
                    "The follow-up interval of grade %(grade)s must be greater than zero.",
                    grade=grade,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_activity_types(vals)
            self._check_delay_vals(vals, vals.get("grade"))
        return super().create(vals_list)

    def write(self, vals):
        self._check_activity_types(vals)
        for policy in self:
            policy._check_delay_vals(vals, vals.get("grade", policy.grade))
        moved = self.filtered(lambda p: "nurture" in vals and p.nurture != vals["nurture"])
        res = super().write(vals)
        if moved:
            moved._resync_leads()
        return res

    def _resync_leads(self, chunk=5000):
        """Leads of these rules enter / leave the nurture pool at once (set-based)."""
        default_company = self.env["crm.lead"]._bndu_default_company()
        for policy in self:
            no_company = policy.company_id == default_company
            self.env.cr.execute(
                SQL(
                    """
                    SELECT id FROM crm_lead
                     WHERE active AND bndu_grade = %(grade)s
                       AND (company_id = %(company)s OR (%(no_company)s AND company_id IS NULL))
                    """,
                    grade=policy.grade,
                    company=policy.company_id.id,
                    no_company=no_company,
                )
            )
            ids = [row[0] for row in self.env.cr.fetchall()]
            for start in range(0, len(ids), chunk):
                self.env["crm.lead"].browse(ids[start : start + chunk])._cadence_sync()

    @api.model
    def _check_activity_types(self, vals):
        """Unknown activity types: a clear message instead of a foreign-key error."""
        for fname in ("first_contact_type_id", "activity_type_id"):
            if fname not in vals:
                continue
            type_id = vals[fname]
            # sudo: existence check only, activity types are readable by every user anyway
            if not type_id or not self.env["mail.activity.type"].sudo().browse(type_id).exists():
                raise ValidationError(
                    _(
                        "%(field)s: choose an existing activity type.",
                        field=self._fields[fname]._description_string(self.env),
                    )
                )

    @api.model
    def _create_missing_policies(self, companies=None):
        """Create the playbook rules for every company (or ``companies``) lacking them."""
        # sudo: called at install and on company creation; only fills in defaults
        policies = self.sudo()
        companies = (companies or self.env["res.company"].search([])).sudo()
        existing = {
            (policy.company_id.id, policy.grade)
            for policy in policies.search([("company_id", "in", companies.ids)])
        }
        first_contact = self.env.ref("sales_funnel_std.mail_activity_type_first_contact")
        vals_list = []
        for company in companies:
            for grade, defaults in POLICY_DEFAULTS.items():
                if (company.id, grade) in existing:
                    continue
                vals = {k: v for k, v in defaults.items() if k != "activity_type"}
                vals.update(
                    company_id=company.id,
                    grade=grade,
                    first_contact_type_id=first_contact.id,
                    activity_type_id=self.env.ref(defaults["activity_type"]).id,
                )
                vals_list.append(vals)
        return policies.create(vals_list)

    @api.model
    def _policies_by_company(self, company_ids):
        """{(company_id, grade): policy} for ``company_ids``, one query."""
        # sudo: rules are configuration the cadence engine must read for any lead
        policies = self.sudo().search([("company_id", "in", list(company_ids))])
        return {(policy.company_id.id, policy.grade): policy for policy in policies}
