from datetime import timedelta

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from .crm_grade_policy import CADENCE_GRADES

ESCALATION_TRIGGERS = [
    ("no_followup", "No Follow-up"),
    ("first_contact", "First Contact Overdue"),
    ("stage_limit", "Stage Time Limit Passed"),
]
REASSIGN_TARGETS = [
    ("leader", "Team Leader"),
    ("pool", "Unassigned (Odoo's lead assignment)"),
]
RULE_HOUR_FIELDS = ("remind_hours", "notify_hours", "reassign_hours")


class CrmEscalationRule(models.Model):
    """An escalation ladder (issue "beyond the best peers"): once a lead matching the
    rule has waited X working hours (from its last touch, the first-contact deadline or
    its stage's time limit), its salesperson is reminded; after Y the team leader is
    notified (activity + digest e-mail); after Z, optionally, the lead is reassigned.

    Every applicable rule is evaluated; the most advanced step due wins. Working hours
    are those of the company's working calendar (time zone and public holidays
    included); the hourly sweep is on ``crm.lead`` (``crm_lead_escalations.py``).
    """

    _name = "crm.escalation.rule"
    _description = "Escalation Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to apply the rule to the leads of every company.",
    )
    grade = fields.Selection(
        CADENCE_GRADES, help="Leave empty to apply the rule to leads of any grade."
    )
    stage_ids = fields.Many2many(
        "crm.stage",
        "crm_escalation_rule_stage_rel",
        "rule_id",
        "stage_id",
        "Stages",
        help="Leave empty to apply the rule in every open stage.",
    )
    trigger = fields.Selection(
        ESCALATION_TRIGGERS,
        required=True,
        default="no_followup",
        help="When the clock starts. No Follow-up: the lead's last touch (a follow-up, a "
        "stage move or a message logged on it). First Contact Overdue: the first-contact "
        "deadline, while the first contact is not made. Stage Time Limit Passed: the end "
        "of the stage's time limit. A touch after that restarts the clock.",
    )
    remind_hours = fields.Integer(
        "Remind Salesperson After (working hours)",
        required=True,
        default=8,
        help="The salesperson gets a 'Follow up now' activity.",
    )
    notify_hours = fields.Integer(
        "Notify Team Leader After (working hours)",
        required=True,
        default=16,
        help="The sales team leader gets an activity on the lead and one e-mail per sweep "
        "listing every lead escalated to them.",
    )
    reassign_hours = fields.Integer(
        "Reassign After (working hours)",
        default=0,
        help="0: never reassigned. Otherwise the lead is taken from its salesperson after "
        "this many working hours without a touch.",
    )
    reassign_to = fields.Selection(
        REASSIGN_TARGETS,
        required=True,
        default="leader",
        help="Team Leader: the team leader becomes the salesperson. Unassigned: the lead "
        "goes back to its team without salesperson, for Odoo's lead assignment.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        "Digest E-mail",
        required=True,
        ondelete="restrict",
        domain="[('model', '=', 'res.users')]",
        default=lambda self: self.env.ref(
            "sales_funnel_std.mail_template_escalation_digest", raise_if_not_found=False
        ),
        help="E-mail sent once per sweep to each person something was escalated to, "
        "listing the leads (a template on Users).",
    )

    _hours_order = models.Constraint(
        "CHECK(remind_hours > 0 AND notify_hours > remind_hours "
        "AND (COALESCE(reassign_hours, 0) = 0 OR reassign_hours > notify_hours))",
        "Escalation hours must be positive and in order: remind, notify, reassign.",
    )

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        self.check_access("create")  # access first: a salesman is refused, not corrected
        for vals in vals_list:
            self._check_rule_vals(vals)
        return super().create(vals_list)

    def write(self, vals):
        self.check_access("write")
        for rule in self:
            rule._check_rule_vals(vals)
        return super().write(vals)

    @api.model
    def _check_rule_vals(self, vals):
        """Clear, translated messages before anything is written (``self``: the rule
        being written, or empty when creating)."""
        hours = {}
        for fname in RULE_HOUR_FIELDS:
            value = vals[fname] if fname in vals else (self[fname] if self else None)
            if value is None:
                value = self._fields[fname].default(self) if fname != "reassign_hours" else 0
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(
                    _(
                        "%(field)s must be a whole number of working hours (got %(value)r).",
                        field=self._fields[fname]._description_string(self.env),
                        value=value,
                    )
                )
            hours[fname] = value
        name = vals.get("name") or self.name or ""
        if hours["remind_hours"] <= 0:
            raise ValidationError(
                _(
                    "Escalation rule %(rule)s: the salesperson must be reminded after more "
                    "than 0 working hours.",
                    rule=name,
                )
            )
        if hours["notify_hours"] <= hours["remind_hours"]:
            raise ValidationError(
                _(
                    "Escalation rule %(rule)s: the team leader is notified after "
                    "%(notify)s working hours, which must come after the salesperson's "
                    "reminder (%(remind)s working hours).",
                    rule=name,
                    notify=hours["notify_hours"],
                    remind=hours["remind_hours"],
                )
            )
        if hours["reassign_hours"] < 0 or (
            hours["reassign_hours"] and hours["reassign_hours"] <= hours["notify_hours"]
        ):
            raise ValidationError(
                _(
                    "Escalation rule %(rule)s: reassignment after %(reassign)s working "
                    "hours must come after the team leader is notified (%(notify)s working "
                    "hours); use 0 to never reassign.",
                    rule=name,
                    reassign=hours["reassign_hours"],
                    notify=hours["notify_hours"],
                )
            )
        if "mail_template_id" in vals:
            template_id = vals["mail_template_id"]
            # sudo: existence and model check only; templates are readable by managers
            template = self.env["mail.template"].sudo().browse(template_id or []).exists()
            if not template or template.model != "res.users":
                raise ValidationError(
                    _(
                        "Escalation rule %(rule)s: choose an existing e-mail template on "
                        "Users for the digest (got %(value)r).",
                        rule=name,
                        value=template_id,
                    )
                )

    # ------------------------------------------------------------
    # BUSINESS: cut-off timestamps
    # ------------------------------------------------------------

    def _escalation_cutoffs(self, now, companies):
        """One row per (rule, company it applies to): the latest clock start that makes
        each step due at ``now`` (UTC, naive), i.e. ``now`` minus the step's hours in
        working hours of the company's calendar. A lead is due for a step when its
        clock started at or before that cut-off. Calendar hours without calendar."""
        now_utc = pytz.utc.localize(now)
        memo = {}

        def cutoff(calendar, hours):
            if not hours:
                return None
            key = (calendar.id, hours)
            if key not in memo:
                start = (
                    calendar.plan_hours(-hours, now_utc, compute_leaves=True) if calendar else None
                )
                memo[key] = (
                    start.astimezone(pytz.utc).replace(tzinfo=None, microsecond=0)
                    if start
                    else now - timedelta(hours=hours)
                )
            return memo[key]

        rows = []
        for rule in self:
            for company in rule.company_id or companies:
                calendar = company.resource_calendar_id
                rows.append(
                    {
                        "rule_id": rule.id,
                        "company_id": company.id,
                        "sequence": rule.sequence,
                        "grade": rule.grade or None,
                        "trigger": rule.trigger,
                        "all_stages": not rule.stage_ids,
                        "remind": cutoff(calendar, rule.remind_hours),
                        "notify": cutoff(calendar, rule.notify_hours),
                        "reassign": cutoff(calendar, rule.reassign_hours),
                    }
                )
        return rows
