from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import date_utils, float_compare

from .crm_lead_gate import MANAGER_GROUP
from .crm_stage import FUNNEL_ROLES

TARGET_LEVELS = [("company", "Company"), ("team", "Sales Team"), ("user", "Salesperson")]
PERIOD_TYPES = [("month", "Month"), ("quarter", "Quarter"), ("year", "Year")]
TARGET_METRICS = [
    ("revenue", "Won revenue"),
    ("new_customers", "New customers"),
    ("new_leads", "New leads"),
    ("conversion", "Stage conversion (%)"),
    ("first_visits", "First visits per week"),
    ("proposals", "Proposals submitted per week"),
    ("followups", "Follow-ups logged per week"),
]
# metrics whose target is a count or an amount that adds up over the people of a team
ADDITIVE_METRICS = (
    "revenue",
    "new_customers",
    "new_leads",
    "first_visits",
    "proposals",
    "followups",
)
# metrics whose target is given per week (the period's target is weeks × the weekly figure)
WEEKLY_METRICS = ("first_visits", "proposals", "followups")
# conversion is "into" a stage: the first standard stage has none
CONVERSION_ROLES = [(role, label) for role, label in FUNNEL_ROLES if role != "acquisition"]


class CrmFunnelTarget(models.Model):
    """A SMART target of one period for the company, a sales team or a salesperson
    (playbook 002 阶段一: company → team → person; 000 设定阶段目标).

    The period is the month, quarter or year containing ``period_date``. A team's
    targets are split over its members (:class:`CrmFunnelTargetSplit`); agreeing a
    target (the 《销售目标责任书》 is signed) checks that its parts add up and locks it.
    Actuals are computed set-based by the ``crm.funnel.target.progress`` report.
    """

    _name = "crm.funnel.target"
    _description = "Sales Target"
    _inherit = ["mail.thread"]
    _order = "date_from desc, level, team_id, user_id, id"

    name = fields.Char(compute="_compute_name", store=True, readonly=True)
    level = fields.Selection(TARGET_LEVELS, required=True, default="team", tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True
    )
    team_id = fields.Many2one("crm.team", "Sales Team", index=True, tracking=True)
    user_id = fields.Many2one("res.users", "Salesperson", index=True, tracking=True)
    period_type = fields.Selection(PERIOD_TYPES, "Period", required=True, default="month")
    period_date = fields.Date(
        "Period Containing",
        required=True,
        default=fields.Date.context_today,
        help="Any day of the period: the target covers the month, quarter or year containing it.",
    )
    date_from = fields.Date("From", compute="_compute_dates", store=True, index=True)
    date_to = fields.Date("To", compute="_compute_dates", store=True)
    period_label = fields.Char("Period Name", compute="_compute_dates", store=True)
    weeks = fields.Float(compute="_compute_dates", store=True, digits=(16, 2))
    description = fields.Text(
        "Plan", help="How the target will be reached (the SMART plan agreed with the manager)."
    )
    line_ids = fields.One2many("crm.funnel.target.line", "target_id", "Targets", copy=True)
    state = fields.Selection(
        [("draft", "Draft"), ("agreed", "Agreed")],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        copy=False,
    )
    agreed_date = fields.Date("Agreed On", readonly=True, copy=False)
    agreed_by_id = fields.Many2one("res.users", readonly=True, copy=False)
    parent_id = fields.Many2one(
        "crm.funnel.target",
        "Part Of",
        compute="_compute_breakdown",
        help="The team's target (for a salesperson) or the company's (for a team) of the "
        "same period.",
    )
    child_ids = fields.Many2many(
        "crm.funnel.target", string="Breakdown", compute="_compute_breakdown"
    )
    progress_ids = fields.One2many(
        "crm.funnel.target.progress", "target_id", "Actual vs Target", readonly=True
    )

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    @api.depends("period_type", "period_date")
    def _compute_dates(self):
        for target in self:
            if not target.period_date or not target.period_type:
                target.date_from = target.date_to = target.period_label = False
                target.weeks = 0.0
                continue
            day = target.period_date
            start = date_utils.start_of(day, target.period_type)
            end = date_utils.end_of(day, target.period_type)
            target.date_from, target.date_to = start, end
            target.weeks = ((end - start).days + 1) / 7.0
            if target.period_type == "year":
                target.period_label = str(start.year)
            elif target.period_type == "quarter":
                target.period_label = f"{start.year} Q{(start.month - 1) // 3 + 1}"
            else:
                target.period_label = f"{start.year}-{start.month:02d}"

    @api.depends("level", "company_id.name", "team_id.name", "user_id.name", "period_label")
    def _compute_name(self):
        for target in self:
            scope = {
                "company": target.company_id.name,
                "team": target.team_id.name,
                "user": target.user_id.name,
            }.get(target.level)
            target.name = f"{target.period_label or ''} · {scope or ''}"

    def _scope_domain(self, level):
        """Domain of the targets of ``level`` for this target's scope and period."""
        domain = [
            ("level", "=", level),
            ("company_id", "=", self.company_id.id),
            ("period_type", "=", self.period_type),
            ("date_from", "=", self.date_from),
        ]
        if level == "user":
            domain.append(("team_id", "=", self.team_id.id))
        return domain

    @api.depends("level", "company_id", "team_id", "user_id", "date_from", "period_type")
    def _compute_breakdown(self):
        for target in self:
            target.parent_id = False
            target.child_ids = False
            if not target.id or not target.date_from:
                continue
            if target.level == "user" and target.team_id:
                target.parent_id = self.search(
                    [*target._scope_domain("team"), ("team_id", "=", target.team_id.id)],
                    limit=1,
                )
            elif target.level == "team":
                target.parent_id = self.search(target._scope_domain("company"), limit=1)
                target.child_ids = self.search(target._scope_domain("user"))
            elif target.level == "company":
                target.child_ids = self.search(target._scope_domain("team"))

    # ------------------------------------------------------------
    # CONSTRAINTS
    # ------------------------------------------------------------

    @api.constrains("level", "team_id", "user_id", "company_id")
    def _check_scope(self):
        for target in self:
            if target.level in ("team", "user") and not target.team_id:
                raise ValidationError(_("A team or salesperson target needs a sales team."))
            if target.level == "user" and not target.user_id:
                raise ValidationError(_("A salesperson target needs a salesperson."))
            if target.level == "company" and (target.team_id or target.user_id):
                raise ValidationError(
                    _(
                        "A company target is for the whole company: "
                        "leave team and salesperson empty."
                    )
                )
            if target.level == "team" and target.user_id:
                raise ValidationError(
                    _("A team target is for the whole team: leave the salesperson empty.")
                )
            team = target.team_id
            if team.company_id and team.company_id != target.company_id:
                raise ValidationError(
                    _(
                        "The sales team %(team)s belongs to another company than the target.",
                        team=team.name,
                    )
                )
            if target.level == "user" and target.user_id not in (team.member_ids | team.user_id):
                raise ValidationError(
                    _(
                        "%(user)s is not a member of the sales team %(team)s.",
                        user=target.user_id.name,
                        team=team.name,
                    )
                )

    @api.constrains("level", "team_id", "user_id", "company_id", "period_type", "date_from")
    def _check_overlap(self):
        for target in self:
            domain = [
                ("id", "!=", target.id),
                ("level", "=", target.level),
                ("company_id", "=", target.company_id.id),
                ("team_id", "=", target.team_id.id),
                ("user_id", "=", target.user_id.id),
                ("period_type", "=", target.period_type),
                ("date_from", "=", target.date_from),
            ]
            other = self.sudo().search(domain, limit=1)  # sudo: the check must see all targets
            if other:
                raise ValidationError(
                    _(
                        "%(scope)s already has a target for the period %(period)s "
                        "(%(name)s): edit that one instead.",
                        scope=dict(self._fields["level"]._description_selection(self.env))[
                            target.level
                        ],
                        period=target.period_label,
                        name=other.name,
                    )
                )

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    def write(self, vals):
        locked = set(vals) - {"description", "message_follower_ids"}
        if locked and not self.env.context.get("funnel_target_agreeing"):
            self._check_draft()
        return super().write(vals)

    def _check_draft(self):
        agreed = self.filtered(lambda target: target.state == "agreed")
        if agreed:
            raise UserError(
                _(
                    "The target %(name)s is agreed: set it back to draft before changing it.",
                    name=agreed[0].name,
                )
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_agree(self):
        """The manager and the salesperson agree on the target (《销售目标责任书》):
        the breakdown must add up, then the target is locked."""
        self._check_manager()
        for target in self:
            if not target.line_ids:
                raise UserError(
                    _(
                        "Set at least one target figure before agreeing on %(name)s.",
                        name=target.name,
                    )
                )
            target._check_breakdown()
        self.with_context(funnel_target_agreeing=True).write(
            {
                "state": "agreed",
                "agreed_date": fields.Date.context_today(self),
                "agreed_by_id": self.env.uid,
            }
        )

    def action_reset_draft(self):
        self._check_manager()
        self.with_context(funnel_target_agreeing=True).write(
            {"state": "draft", "agreed_date": False, "agreed_by_id": False}
        )

    def action_open_split(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Split over the Team"),
            "res_model": "crm.funnel.target.split",
            "view_mode": "form",
            "target": "new",
            "context": {"default_target_id": self.id},
        }

    def action_print_agreement(self):
        return self.env.ref("sales_funnel_std.crm_funnel_target_agreement_report").report_action(
            self
        )

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _check_manager(self):
        if not self.env.user.has_group(MANAGER_GROUP):
            raise UserError(_("Only sales managers set and agree on targets."))

    def _figures(self):
        """``{(metric, funnel_role or False): value}`` of this target's lines."""
        return {
            (line.metric, line.funnel_role or False): line.target_value for line in self.line_ids
        }

    def _check_breakdown(self):
        """The parts of this target (its teams, or its team's people) must add up to it for
        every additive figure they set."""
        self.ensure_one()
        children = self.child_ids
        if not children:
            return
        totals = {}
        for child in children:
            for key, value in child._figures().items():
                if key[0] in ADDITIVE_METRICS:
                    totals[key] = totals.get(key, 0.0) + value
        labels = dict(
            self.env["crm.funnel.target.line"]._fields["metric"]._description_selection(self.env)
        )
        for key, total in totals.items():
            expected = self._figures().get(key)
            if expected is None:
                continue
            if float_compare(total, expected, precision_digits=2):
                raise ValidationError(
                    _(
                        "The parts of %(name)s do not add up for %(metric)s: "
                        "%(total)s split over %(count)s targets, %(expected)s expected.",
                        name=self.name,
                        metric=labels[key[0]],
                        total=round(total, 2),
                        count=len(children),
                        expected=round(expected, 2),
                    )
                )

    def _split(self, weights):
        """Create or update the targets of the team's people from this team target.

        ``weights``: ``{user: weight}`` (all 1.0 = evenly). Additive figures are split in
        proportion (counts as whole numbers, largest remainders first, so the parts add up
        exactly); conversion rates are copied.
        """
        self.ensure_one()
        self._check_manager()
        if self.level != "team":
            raise UserError(_("Only a team's target is split over its members."))
        if any(weight < 0 for weight in weights.values()) or sum(weights.values()) <= 0:
            raise ValidationError(_("Weights must be zero or more, and at least one positive."))
        users = list(weights)
        total_weight = sum(weights.values())
        parts = {user: [] for user in users}
        for line in self.line_ids:
            if line.metric in ADDITIVE_METRICS:
                values = self._split_value(
                    line.target_value,
                    [weights[user] / total_weight for user in users],
                    whole=line.metric not in ("revenue",) and line.target_value.is_integer(),
                )
            else:
                values = [line.target_value] * len(users)
            for user, value in zip(users, values, strict=True):
                parts[user].append(
                    {"metric": line.metric, "funnel_role": line.funnel_role, "target_value": value}
                )
        existing = {target.user_id: target for target in self.child_ids}
        result = self.browse()
        for user in users:
            lines = parts[user]
            target = existing.get(user)
            if target:
                target._check_draft()
                keys = {(vals["metric"], vals["funnel_role"]) for vals in lines}
                replaced = target.line_ids.filtered(
                    lambda tl, keys=keys: (tl.metric, tl.funnel_role) in keys
                )
                target.write(
                    {
                        "line_ids": [fields.Command.unlink(line.id) for line in replaced]
                        + [fields.Command.create(vals) for vals in lines]
                    }
                )
            else:
                target = self.create(
                    {
                        "level": "user",
                        "company_id": self.company_id.id,
                        "team_id": self.team_id.id,
                        "user_id": user.id,
                        "period_type": self.period_type,
                        "period_date": self.date_from,
                        "line_ids": [fields.Command.create(vals) for vals in lines],
                    }
                )
            result |= target
        self.invalidate_recordset(["child_ids"])
        self._check_breakdown()
        return result

    @staticmethod
    def _split_value(total, shares, whole):
        """Split ``total`` by ``shares`` (summing to 1): exact parts adding up to ``total``."""
        if not whole:
            parts = [round(total * share, 2) for share in shares]
            parts[-1] = round(total - sum(parts[:-1]), 2)
            return parts
        raw = [total * share for share in shares]
        parts = [int(value) for value in raw]
        left = int(total) - sum(parts)
        order = sorted(range(len(raw)), key=lambda i: raw[i] - parts[i], reverse=True)
        for i in order[:left]:
            parts[i] += 1
        return [float(part) for part in parts]


class CrmFunnelTargetLine(models.Model):
    _name = "crm.funnel.target.line"
    _description = "Sales Target Figure"
    _order = "target_id, sequence, id"

    target_id = fields.Many2one(
        "crm.funnel.target", "Sales Target", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    metric = fields.Selection(TARGET_METRICS, "Figure", required=True)
    funnel_role = fields.Selection(
        CONVERSION_ROLES,
        "Into Stage",
        compute="_compute_funnel_role",
        store=True,
        readonly=False,
        help="Stage conversion: the share of leads created in the period that reached the "
        "previous standard stage and went on to reach this one (as in Funnel Analysis).",
    )
    target_value = fields.Float(
        "Target",
        required=True,
        digits=(16, 2),
        help="Amount, count or percentage; first visits, proposals and follow-ups per week.",
    )
    per_week = fields.Boolean(compute="_compute_per_week")
    company_id = fields.Many2one(related="target_id.company_id", store=True)
    state = fields.Selection(related="target_id.state")

    _metric_unique = models.UniqueIndex(
        "(target_id, metric, COALESCE(funnel_role, ''))",
        "A target sets each figure once.",
    )

    @api.constrains("metric", "funnel_role", "target_value")
    def _check_target_value(self):
        for line in self:
            if line.target_value < 0:
                raise ValidationError(_("A target cannot be negative."))
            if line.metric == "conversion" and line.target_value > 100:
                raise ValidationError(_("A conversion target is a percentage between 0 and 100."))
            if line.metric == "conversion" and not line.funnel_role:
                raise ValidationError(_("A conversion target names the stage it leads into."))

    @api.depends("metric")
    def _compute_per_week(self):
        for line in self:
            line.per_week = line.metric in WEEKLY_METRICS

    @api.depends("metric")
    def _compute_funnel_role(self):
        for line in self:
            if line.metric != "conversion":
                line.funnel_role = False

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.target_id._check_draft()
        return lines

    def write(self, vals):
        self.target_id._check_draft()
        return super().write(vals)

    def unlink(self):
        self.target_id._check_draft()
        return super().unlink()
