import logging
from datetime import datetime, time, timedelta

import pytz

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL, frozendict

from .cadence_planner import Rule, Sla

_logger = logging.getLogger(__name__)

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
        policies = super().create(vals_list)
        self.env.registry.clear_cache()  # _policy_ids
        return policies

    def write(self, vals):
        self._check_activity_types(vals)
        for policy in self:
            policy._check_delay_vals(vals, vals.get("grade", policy.grade))
        moved = self.filtered(lambda p: "nurture" in vals and p.nurture != vals["nurture"])
        res = super().write(vals)
        if "company_id" in vals or "grade" in vals:
            self.env.registry.clear_cache()  # _policy_ids
        if moved:
            moved._resync_leads()
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()  # _policy_ids
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
        """{(company_id, grade): policy} for ``company_ids`` (no query: cached ids)."""
        # sudo: rules are configuration the cadence engine must read for any lead
        Policy = self.sudo()
        return {
            key: Policy.browse(policy_id)
            for key, policy_id in self._policy_ids().items()
            if key[0] in company_ids
        }

    @api.model
    @tools.ormcache()
    def _policy_ids(self):
        """``{(company id, grade): policy id}`` of every rule; cached registry-wide,
        cleared when a rule is created, changed or deleted."""
        # sudo: configuration, whatever the caller's companies
        return frozendict(
            ((policy.company_id.id, policy.grade), policy.id) for policy in self.sudo().search([])
        )

    # ------------------------------------------------------------
    # CADENCE: the rule for the planner, calendar arithmetic
    # ------------------------------------------------------------

    def _cadence_rule(self):
        """This policy as the planner's ``Rule`` (models/cadence_planner.py)."""
        self.ensure_one()
        return Rule(
            nurture=self.nurture,
            interval_days=self.interval_days,
            first_contact_type_id=self.first_contact_type_id.id,
            followup_type_id=self.activity_type_id.id,
        )

    def _due_date(self, deadline):
        """Due date of an activity whose SLA deadline is ``deadline`` (UTC), in the
        company's working timezone."""
        self.ensure_one()
        calendar = self.company_id.resource_calendar_id
        tz = pytz.timezone(calendar.tz or "UTC") if calendar else pytz.utc
        return pytz.utc.localize(deadline).astimezone(tz).date()

    def _sla_starting(self, now):
        """``{policy id: Sla}`` of a first-contact SLA starting at ``now`` under these
        policies.

        Hours: ``now`` + delay. Working days: the n-th working day after the grading
        day on the company's working calendar (public holidays, i.e. global leaves,
        excluded), due at the end of that day's working hours. One calendar query per
        calendar. A company without calendar works Monday to Friday, due at 23:59:59 UTC.
        """
        result = {}
        by_calendar = {}
        for policy in self:
            if policy.first_contact_unit == "hours":
                deadline = now + timedelta(hours=policy.first_contact_delay)
                result[policy.id] = Sla(deadline, policy._due_date(deadline))
            else:
                calendar = policy.company_id.resource_calendar_id
                by_calendar.setdefault(calendar, []).append(policy)
        for calendar, cal_policies in by_calendar.items():
            max_days = max(policy.first_contact_delay for policy in cal_policies)
            if not calendar:
                _logger.info(
                    "Companies %s have no working calendar: first-contact working days "
                    "count Monday to Friday.",
                    ", ".join({policy.company_id.name for policy in cal_policies}),
                )
            days = self._working_days(calendar, now, max_days)
            for policy in cal_policies:
                day, end = days[min(policy.first_contact_delay, len(days)) - 1]
                result[policy.id] = Sla(end, day)
        return result

    @api.model
    def _working_days(self, calendar, now, count):
        """The ``count`` first working days after ``now``'s day: [(date, end UTC naive)].

        Without ``calendar``: Monday to Friday, each ending at 23:59:59 UTC."""
        if not calendar:
            days, day = [], now.date()
            while len(days) < count:
                day += timedelta(days=1)
                if day.weekday() < 5:
                    days.append((day, datetime.combine(day, time(23, 59, 59))))
            return days
        tz = pytz.timezone(calendar.tz or "UTC")
        local_now = pytz.utc.localize(now).astimezone(tz)
        start = tz.localize(datetime.combine(local_now.date() + timedelta(days=1), time.min))
        span = count * 2 + 14
        days = {}
        while True:
            end = start + timedelta(days=span)
            intervals = calendar._work_intervals_batch(start, end, tz=tz)[False]
            for _start, stop, _meta in intervals:
                day = stop.astimezone(tz).date()
                days[day] = max(days.get(day, stop), stop)
            if len(days) >= count or span > 366:
                break
            span *= 2
        ordered = sorted(days.items())[:count]
        if not ordered:
            # a calendar without any attendance: fall back to calendar days
            return [
                (day, datetime.combine(day, time(23, 59, 59)))
                for day in (local_now.date() + timedelta(days=i + 1) for i in range(count))
            ]
        return [
            (day, stop.astimezone(pytz.utc).replace(tzinfo=None, microsecond=0))
            for day, stop in ordered
        ]
