from collections import defaultdict
from datetime import datetime, time, timedelta
from types import SimpleNamespace

from odoo import _, api, fields, models
from odoo.tools import SQL, format_amount, format_date

from .crm_funnel_target import WEEKLY_METRICS
from .crm_lead_gate import MANAGER_GROUP
from .crm_stage import FUNNEL_ROLES

REVIEW_GRADES = ("a", "b", "c")
# per-person figures, in the order of the table's columns
PERSON_METRICS = ("new_leads", "followups", "first_visits", "proposals", "won_deals", "revenue")
# the shortest target period is the one shown when several contain the week
PERIOD_ORDER = {"month": 0, "quarter": 1, "year": 2}


def _percent(part, whole):
    """``part / whole`` as a percentage with one decimal, ``–`` when ``whole`` is 0."""
    return f"{100.0 * part / whole:.1f} %" if whole else "–"


class CrmFunnelReview(models.TransientModel):
    """The weekly review of playbook 002 阶段四 (数据复盘) on one screen: A-grade
    conversion, losses per standard stage and per-person figures against targets.

    Every block is computed set-based (one ``_read_group`` or one SQL query per block,
    whatever the number of leads or people). A fact counts in the period when its day
    (UTC) falls in it, as in Actual vs Target. Salespeople who are not sales managers
    only see their own figures; everyone only the leads of their allowed companies.
    """

    _name = "crm.funnel.review"
    _description = "Weekly Review"

    date_from = fields.Date("From", required=True, default=lambda self: self._default_week()[0])
    date_to = fields.Date("To", required=True, default=lambda self: self._default_week()[1])
    team_id = fields.Many2one("crm.team", "Sales Team")
    summary_html = fields.Html("Review Figures", compute="_compute_summary_html", sanitize=False)

    _check_dates = models.Constraint(
        "CHECK(date_from <= date_to)", "The review period must end after it starts."
    )

    @api.model
    def _default_week(self):
        """Monday and Sunday of the current week, in the user's time zone."""
        today = fields.Date.context_today(self)
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    @api.depends("date_from", "date_to")
    def _compute_display_name(self):
        for review in self:
            review.display_name = _("Weekly Review")

    @api.depends("date_from", "date_to", "team_id")
    @api.depends_context("uid", "allowed_company_ids", "lang")
    def _compute_summary_html(self):
        for review in self:
            if not review.date_from or not review.date_to or review.date_from > review.date_to:
                review.summary_html = False
                continue
            review.summary_html = self.env["ir.qweb"]._render(
                "sales_funnel_std.crm_funnel_review_summary", review._review_values()
            )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def _reopen(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": _("Weekly Review"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "main",
        }

    def action_previous_week(self):
        return self._shift(-7)

    def action_next_week(self):
        return self._shift(7)

    def action_refresh(self):
        return self._reopen()

    def _shift(self, days):
        self.ensure_one()
        self.write(
            {
                "date_from": self.date_from + timedelta(days=days),
                "date_to": self.date_to + timedelta(days=days),
            }
        )
        return self._reopen()

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _is_manager(self):
        return self.env.user.has_group(MANAGER_GROUP)

    def _scope_domain(self):
        """Leads the figures are about: allowed companies, the team filter and, for a
        salesperson, their own."""
        domain = [("company_id", "in", [*self.env.companies.ids, False])]
        if self.team_id:
            domain.append(("team_id", "=", self.team_id.id))
        if not self._is_manager():
            domain.append(("user_id", "=", self.env.uid))
        return domain

    def _closed_domain(self):
        start = datetime.combine(self.date_from, time.min)
        end = datetime.combine(self.date_to + timedelta(days=1), time.min)
        return [("date_closed", ">=", start), ("date_closed", "<", end)]

    def _grade_conversion(self):
        """Leads of grade A, B and C closed in the period (won or lost): won / closed."""
        groups = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group(
                [
                    *self._scope_domain(),
                    *self._closed_domain(),
                    ("bndu_grade", "in", REVIEW_GRADES),
                    # won leads that were archived afterwards are not counted
                    "|",
                    ("won_status", "=", "lost"),
                    "&",
                    ("won_status", "=", "won"),
                    ("active", "=", True),
                ],
                ["bndu_grade", "won_status"],
                ["__count"],
            )
        )
        counts = defaultdict(int)
        for grade, status, count in groups:
            counts[grade, status] = count
        labels = dict(self.env["crm.lead"]._fields["bndu_grade"]._description_selection(self.env))
        rows = []
        for grade in REVIEW_GRADES:
            won, lost = counts[grade, "won"], counts[grade, "lost"]
            closed = won + lost
            rows.append(
                {
                    "grade": grade,
                    "label": labels[grade],
                    "won": won,
                    "lost": lost,
                    "closed": closed,
                    "rate": 100.0 * won / closed if closed else None,
                    "rate_display": _percent(won, closed),
                }
            )
        return rows

    def _losses(self):
        """Leads lost in the period per standard stage they were lost in (their current
        stage), with their share of all losses and the most frequent lost reasons."""
        groups = (
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group(
                [*self._scope_domain(), *self._closed_domain(), ("won_status", "=", "lost")],
                ["stage_id", "lost_reason_id"],
                ["__count"],
            )
        )
        by_role = defaultdict(lambda: defaultdict(int))
        for stage, reason, count in groups:
            by_role[stage.funnel_role or False][reason] += count
        total = sum(sum(reasons.values()) for reasons in by_role.values())
        labels = dict(self.env["crm.stage"]._fields["funnel_role"]._description_selection(self.env))
        roles = [(role, labels[role]) for role, _label in FUNNEL_ROLES if role != "won"]
        if False in by_role:
            roles.append((False, _("Other stages")))
        rows = []
        for role, label in roles:
            reasons = by_role.get(role, {})
            count = sum(reasons.values())
            top = sorted(reasons.items(), key=lambda item: (-item[1], item[0].name or ""))[:3]
            rows.append(
                {
                    "role": role,
                    "label": label,
                    "count": count,
                    "share": 100.0 * count / total if total else None,
                    "share_display": _percent(count, total),
                    "reasons": [
                        (reason.name if reason else _("No reason given"), reason_count)
                        for reason, reason_count in top
                    ],
                }
            )
        most = max((row["count"] for row in rows), default=0)
        for row in rows:
            row["highlight"] = bool(most) and row["count"] == most
        return rows, total

    def _person_facts(self):
        """``{user_id: {metric: value}}`` for the period, in one query: the facts of
        Actual vs Target (``crm.funnel.target.progress._facts_sql``) plus won deals."""
        for model in ("crm.lead", "crm.lead.followup", "crm.lead.checklist.line"):
            self.env[model].flush_model()
        conditions = [
            SQL("f.day BETWEEN %s AND %s", self.date_from, self.date_to),
            SQL("f.metric IN %s", PERSON_METRICS),
            SQL("f.user_id IS NOT NULL"),
            SQL("(f.company_id IS NULL OR f.company_id IN %s)", tuple(self.env.companies.ids)),
        ]
        if self.team_id:
            conditions.append(SQL("f.team_id = %s", self.team_id.id))
        if not self._is_manager():
            # SQL bypasses the record rules: a salesperson sees their own figures only
            conditions.append(SQL("f.user_id = %s", self.env.uid))
        query = SQL(
            """
            WITH bounds AS (SELECT %(date_from)s::date AS lo, %(date_to)s::date AS hi),
            facts AS (%(facts)s)
            SELECT f.user_id, f.metric, SUM(f.value) AS value FROM (
                SELECT metric, company_id, team_id, user_id, day, value FROM facts
                UNION ALL
                SELECT 'won_deals', l.company_id, l.team_id, l.user_id,
                       l.date_closed::date, 1
                  FROM crm_lead l
                 WHERE l.won_status = 'won' AND l.active AND l.date_closed IS NOT NULL
            ) f
            WHERE %(where)s
            GROUP BY f.user_id, f.metric
            """,
            facts=self.env["crm.funnel.target.progress"]._facts_sql(),
            date_from=self.date_from,
            date_to=self.date_to,
            where=SQL(" AND ").join(conditions),
        )
        facts = defaultdict(dict)
        for row in self.env.execute_query_dict(query):
            facts[row["user_id"]][row["metric"]] = row["value"] or 0
        return facts

    def _person_targets(self):
        """``{(user_id, metric): progress row}``: the salesperson targets of a period
        overlapping the review, the shortest period first (month, quarter, year)."""
        domain = [
            ("level", "=", "user"),
            ("date_from", "<=", self.date_to),
            ("date_to", ">=", self.date_from),
            ("company_id", "in", self.env.companies.ids),
        ]
        if self.team_id:
            domain.append(("team_id", "=", self.team_id.id))
        if not self._is_manager():
            domain.append(("user_id", "=", self.env.uid))
        # the figures of these targets only (not the whole Actual vs Target view)
        rows = [
            SimpleNamespace(**row)
            for row in self.env["crm.funnel.target.progress"]._read_figures(domain)
            if row["metric"] in (*WEEKLY_METRICS, "revenue")
        ]
        rows.sort(key=lambda r: (r.date_from > self.date_from, PERIOD_ORDER.get(r.period_type, 9)))
        targets = {}
        for row in rows:
            targets.setdefault((row.user_id, row.metric), row)
        return targets

    def _person_rows(self):
        facts = self._person_facts()
        targets = self._person_targets()
        if self._is_manager():
            user_ids = set(facts) | {user_id for user_id, _metric in targets}
            if self.team_id:
                user_ids |= set(self.team_id.member_ids.ids)
        else:
            user_ids = {self.env.uid}
        users = self.env["res.users"].browse(user_ids).sorted(lambda u: (u.name or "", u.id))
        weeks = ((self.date_to - self.date_from).days + 1) / 7.0
        currency = self.env.company.currency_id
        rows = []
        for user in users:
            values = facts.get(user.id, {})
            cells = []
            for metric in PERSON_METRICS:
                actual = values.get(metric, 0)
                cell = {"metric": metric, "actual": actual, "target": False, "met": None}
                if metric == "revenue":
                    cell["display"] = format_amount(self.env, actual, currency)
                else:
                    cell["display"] = str(int(actual))
                target = targets.get((user.id, metric))
                if target and metric in WEEKLY_METRICS:
                    expected = target.target_value * weeks
                    cell["target"] = _("target %(value)s / week", value=f"{target.target_value:g}")
                    cell["met"] = actual >= expected
                elif target:
                    span = (target.date_to - target.date_from).days + 1
                    elapsed = (min(self.date_to, target.date_to) - target.date_from).days + 1
                    cell["target"] = _(
                        "%(progress)s%% of the %(period)s target",
                        progress=f"{target.progress or 0.0:.0f}",
                        period=target.period_label,
                    )
                    # on track when the period's progress keeps pace with the days gone by
                    cell["met"] = (target.progress or 0.0) >= 100.0 * elapsed / span
                cells.append(cell)
            rows.append({"user": user.name, "user_id": user.id, "cells": cells})
        return rows

    def _review_values(self):
        self.ensure_one()
        losses, lost_total = self._losses()
        return {
            "review": self,
            "date_from": format_date(self.env, self.date_from),
            "date_to": format_date(self.env, self.date_to),
            "team": self.team_id.name,
            "is_manager": self._is_manager(),
            "grades": self._grade_conversion(),
            "losses": losses,
            "lost_total": lost_total,
            "people": self._person_rows(),
        }
