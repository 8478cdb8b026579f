"""Funnel dashboard (CRM → Reporting → Funnel Dashboard): the manager's weekly review
as a picture (playbook 002 阶段四, 000 find the bottleneck stage).

All figures of one filter set come from one call of :meth:`get_dashboard_data`, read
from the Funnel Analysis report (``crm.funnel.report._funnel_stage_rows`` and its SLA /
follow-up figures: the same queries as the XLSX summary) as the user — record rules
apply, a salesperson sees their own leads. The period is the leads' creation date in
the user's time zone, as in the XLSX export, compared with the period before it.
"""

from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, date_utils, format_date

from ..models.crm_stage import FUNNEL_ROLES

PERIODS = ("week", "month", "quarter", "custom")
ALL = "all"  # group key of the figures of all the people
# figures a click opens: condition on the report row (per stage) or on the lead
STAGE_KINDS = {
    "reached": ("reached_count", "=", 1),
    "lost": ("lost_count", "=", 1),
    "over_limit": ("time_limit_exceeded", "=", 1),
    "won": ("won_count", "=", 1),
}
LEAD_KINDS = {
    "sla_met": [("sla_state", "=", "met")],
    "sla_breached": [("sla_state", "=", "breached")],
}


def find_bottleneck(stages):
    """The role of the bottleneck stage among ``stages`` (dicts with ``role``,
    ``conversion`` and ``baseline``, funnel order; the first stage has no conversion to
    judge): the lowest conversion against its baseline (target, else the previous
    period), in percentage points; without any baseline, the lowest conversion. None
    when no stage has a conversion."""
    judged = [stage for stage in stages[1:] if stage["conversion"] is not None]
    against = [stage for stage in judged if stage["baseline"] is not None]
    if against:
        return min(against, key=lambda stage: stage["conversion"] - stage["baseline"])["role"]
    if judged:
        return min(judged, key=lambda stage: stage["conversion"])["role"]
    return None


def _rate(part, whole):
    return (100.0 * part / whole) if whole else None


class CrmFunnelDashboard(models.AbstractModel):
    _name = "crm.funnel.dashboard"
    _description = "Funnel Dashboard"

    # ------------------------------------------------------------
    # FILTERS
    # ------------------------------------------------------------

    @api.model
    def _period_bounds(self, filters):
        """``(date_from, date_to, previous_from, previous_to)`` of the filters' period
        (days, in the user's time zone); the previous period has the same length (the
        previous week, month or quarter)."""
        period = filters.get("period") or "month"
        today = fields.Date.context_today(self)
        if period not in PERIODS:
            raise UserError(_("Unknown period %(period)s.", period=period))
        if period == "custom":
            try:
                date_from = fields.Date.to_date(filters.get("date_from"))
                date_to = fields.Date.to_date(filters.get("date_to"))
            except ValueError:
                date_from = date_to = None
            if not date_from or not date_to:
                raise UserError(_("A custom period needs a start and an end day."))
            if date_from > date_to:
                raise UserError(
                    _(
                        "The period must start before it ends: %(date_from)s is after %(date_to)s.",
                        date_from=format_date(self.env, date_from),
                        date_to=format_date(self.env, date_to),
                    )
                )
            previous_to = date_from - timedelta(days=1)
            return date_from, date_to, previous_to - (date_to - date_from), previous_to
        if period == "week":
            date_from = today - timedelta(days=today.weekday())
            date_to = date_from + timedelta(days=6)
            return date_from, date_to, date_from - timedelta(days=7), date_from - timedelta(1)
        months = 1 if period == "month" else 3
        date_from = date_utils.start_of(today, period)
        date_to = date_utils.end_of(today, period)
        previous_from = date_from - relativedelta(months=months)
        return date_from, date_to, previous_from, date_from - timedelta(days=1)

    @api.model
    def _export_values(self, filters, date_from, date_to):
        """Values of the XLSX export wizard (``crm.funnel.export``) for the filters over
        ``date_from``..``date_to``: the dashboard's leads are the wizard's."""
        grade = filters.get("grade")
        values = {"date_from": date_from, "date_to": date_to, "include_lost": True}
        for key, field in (("team_id", "team_ids"), ("user_id", "user_ids")):
            if filters.get(key):
                values[field] = [fields.Command.set([int(filters[key])])]
        if filters.get("source_id"):
            values["source_ids"] = [fields.Command.set([int(filters["source_id"])])]
        if grade:
            if grade not in ("a", "b", "c", "none"):
                raise UserError(_("Unknown grade %(grade)s.", grade=grade))
            values[f"grade_{grade}"] = True
        return values

    @api.model
    def _scope(self, filters):
        """The filters, resolved: periods, the wizard of the current period (its lead
        domain), the lead domain over both periods and the UTC start of the current."""
        date_from, date_to, previous_from, previous_to = self._period_bounds(filters)
        Export = self.env["crm.funnel.export"]
        current = Export.new(self._export_values(filters, date_from, date_to))
        both = Export.new(self._export_values(filters, previous_from, date_to))
        return {
            "date_from": date_from,
            "date_to": date_to,
            "previous_from": previous_from,
            "previous_to": previous_to,
            "lead_domain": current._lead_domain(),
            "both_domain": both._lead_domain(),
            "report_domain": current._report_domain(),
            "both_report_domain": both._report_domain(),
            "start": current._utc_bound(date_from),
            "export_values": self._export_values(filters, date_from, date_to),
        }

    # ------------------------------------------------------------
    # FIGURES
    # ------------------------------------------------------------

    @api.model
    def get_dashboard_data(self, filters=None):
        """Every figure of the dashboard for ``filters`` (``period``: week / month /
        quarter / custom with ``date_from`` and ``date_to``; ``team_id``, ``user_id``,
        ``source_id``, ``grade``), current and previous period, in one call."""
        filters = dict(filters or {})
        scope = self._scope(filters)
        Report = self.env["crm.funnel.report"].with_context(active_test=False)
        Lead = self.env["crm.lead"].with_context(active_test=False)
        self.env.flush_all()
        table = SQL.identifier(Report._table)
        stage_rows = Report._funnel_stage_rows(
            Report._search(scope["both_report_domain"]),
            keys={
                "bucket": self._bucket_sql(SQL("%s.lead_create_date", table), scope["start"]),
                "user_id": SQL("%s.user_id", table),
            },
            grouping_sets=[("bucket",), ("bucket", "user_id")],
        )
        leads = Lead._search(scope["both_domain"])
        lead_keys = {
            "bucket": self._bucket_sql(SQL("l.create_date"), scope["start"]),
            "user_id": SQL("l.user_id"),
        }
        lead_sets = [("bucket",), ("bucket", "user_id")]
        sla_rows = Report._funnel_sla_rows(leads, lead_keys, lead_sets)
        followup_rows = Report._funnel_followup_rows(leads, lead_keys, lead_sets)

        # per bucket (and person of the current period)
        stages_by = defaultdict(dict)
        for row in stage_rows:
            stages_by[self._group_key(row)][row["role"]] = row
        sla_by = {self._group_key(row): row for row in sla_rows}
        followups_by = defaultdict(lambda: {"due": 0, "done": 0})
        for row in followup_rows:  # per grade: summed over the grades
            followups = followups_by[self._group_key(row)]
            followups["due"] += row["due"]
            followups["done"] += row["done"]

        current = self._figures(Report, stages_by, sla_by, followups_by, "current")
        previous = self._figures(Report, stages_by, sla_by, followups_by, "previous")
        for stage, before in zip(current["stages"], previous["stages"], strict=True):
            stage["previous_conversion"] = before["conversion"]
            stage["previous_reached"] = before["reached"]
            stage["baseline"] = (
                stage["conversion_target"]
                if stage["conversion_target"] is not None
                else before["conversion"]
            )
            stage["baseline_kind"] = (
                "target" if stage["conversion_target"] is not None else "previous"
            )
            stage["next_conversion"] = None
        for stage, after in zip(current["stages"], current["stages"][1:], strict=False):
            stage["next_conversion"] = after["conversion"]
        bottleneck = find_bottleneck(current["stages"])
        return {
            "filters": {
                **filters,
                "period": filters.get("period") or "month",
                "date_from": fields.Date.to_string(scope["date_from"]),
                "date_to": fields.Date.to_string(scope["date_to"]),
            },
            "period_label": self._period_label(scope["date_from"], scope["date_to"]),
            "previous_label": self._period_label(scope["previous_from"], scope["previous_to"]),
            "current": current,
            "previous": previous,
            "bottleneck": bottleneck,
            "people": self._people(Report, stages_by, sla_by, followups_by, scope),
            "options": self._options(),
        }

    @api.model
    def _bucket_sql(self, date_sql, start):
        return SQL("CASE WHEN %s >= %s THEN 'current' ELSE 'previous' END", date_sql, start)

    @staticmethod
    def _group_key(row):
        """``(bucket, user id or False, or ALL)`` of a grouped row."""
        return (row["bucket"], ALL if row["g_user_id"] else (row["user_id"] or False))

    @api.model
    def _figures(self, Report, stages_by, sla_by, followups_by, bucket, user=None):
        """Figures of one period (``bucket``), all people's or one's (``user``)."""
        key = (bucket, ALL if user is None else user)
        figures = Report._funnel_stage_figures(stages_by.get(key, {}))
        sla = sla_by.get(key)
        followups = followups_by.get(key, {"due": 0, "done": 0})
        figures["sla_rate"] = sla and sla["rate"]
        figures["sla_met"] = sla["met"] if sla else 0
        figures["sla_breached"] = sla["breached"] if sla else 0
        figures["followups_due"] = followups["due"]
        figures["followups_done"] = followups["done"]
        figures["followup_rate"] = _rate(followups["done"], followups["due"])
        figures["lost"] = sum(stage["lost"] for stage in figures["stages"])
        del figures["care"]
        return figures

    @api.model
    def _people(self, Report, stages_by, sla_by, followups_by, scope):
        """One row per salesperson of the current period: leads, won, win rate, lost,
        first-contact SLA and follow-ups done, and their new-leads target for the period
        (their salesperson targets overlapping it, pro rata of the days) where set."""
        user_ids = {user for bucket, user in stages_by if bucket == "current" and user != ALL}
        targets = self._new_leads_targets(scope["date_from"], scope["date_to"])
        names = {
            user.id: user.name
            for user in self.env["res.users"].browse([uid for uid in user_ids if uid])
        }
        people = []
        for user_id in user_ids:
            figures = self._figures(Report, stages_by, sla_by, followups_by, "current", user_id)
            people.append(
                {
                    "user_id": user_id or False,
                    "name": names.get(user_id) or _("Unassigned"),
                    "reached": figures["total"],
                    "won": figures["won"],
                    "win_rate": figures["win_rate"],
                    "lost": figures["lost"],
                    "sla_rate": figures["sla_rate"],
                    "followup_rate": figures["followup_rate"],
                    "new_leads_target": targets.get(user_id),
                }
            )
        people.sort(key=lambda row: (-row["reached"], row["name"]))
        return people

    @api.model
    def _new_leads_targets(self, date_from, date_to):
        """``{user_id: new leads expected in date_from..date_to}`` from the salesperson
        targets (Sales → Targets) whose period overlaps it, pro rata of the days."""
        lines = self.env["crm.funnel.target.line"].search_fetch(
            [
                ("metric", "=", "new_leads"),
                ("target_id.level", "=", "user"),
                ("target_id.date_from", "<=", date_to),
                ("target_id.date_to", ">=", date_from),
            ],
            ["target_value", "target_id"],
        )
        expected = defaultdict(float)
        for line in lines:
            target = line.target_id
            overlap = (min(date_to, target.date_to) - max(date_from, target.date_from)).days + 1
            span = (target.date_to - target.date_from).days + 1
            expected[target.user_id.id] += line.target_value * overlap / span
        return dict(expected)

    @api.model
    def _period_label(self, date_from, date_to):
        return _(
            "%(date_from)s – %(date_to)s",
            date_from=format_date(self.env, date_from),
            date_to=format_date(self.env, date_to),
        )

    @api.model
    def _options(self):
        """Choices of the filters: the teams, salespeople and sources the user may read."""
        salesman = self.env.ref("sales_team.group_sale_salesman")
        users = self.env["res.users"].search(
            [("share", "=", False), ("all_group_ids", "in", salesman.ids)], order="name"
        )
        if not self.env.user.has_group("sales_team.group_sale_salesman_all_leads"):
            users = self.env.user
        grades = self.env["crm.lead"]._fields["bndu_grade"]._description_selection(self.env)
        return {
            "teams": [
                {"id": team.id, "name": team.name}
                for team in self.env["crm.team"].search([], order="sequence, name")
            ],
            "users": [{"id": user.id, "name": user.name} for user in users],
            "sources": [
                {"id": source.id, "name": source.name}
                for source in self.env["utm.source"].search([], order="name", limit=200)
            ],
            "grades": [{"id": grade, "name": label} for grade, label in grades],
        }

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    @api.model
    def _lead_ids(self, filters, kind, role=None, user_id=None):
        """Ids of the leads behind a figure of the current period: ``kind`` of
        ``STAGE_KINDS`` at stage ``role`` (the first stage by default: leads, won) or of
        ``LEAD_KINDS``; ``user_id`` (False: unassigned) for a person's row."""
        scope = self._scope(filters or {})
        person = [] if user_id is None else [("user_id", "=", user_id or False)]
        if kind in LEAD_KINDS:
            Lead = self.env["crm.lead"].with_context(active_test=False)
            return Lead.search([*scope["lead_domain"], *person, *LEAD_KINDS[kind]]).ids
        if kind not in STAGE_KINDS:
            raise UserError(_("Unknown figure %(kind)s.", kind=kind))
        roles = [role for role, _label in FUNNEL_ROLES]
        role = role or roles[0]
        if role not in roles:
            raise UserError(_("Unknown funnel stage %(stage)s.", stage=role))
        Report = self.env["crm.funnel.report"].with_context(active_test=False)
        query = Report._search(
            [
                *scope["report_domain"],
                ("funnel_role", "=", role),
                STAGE_KINDS[kind],
                *person,
            ]
        )
        self.env.flush_all()
        rows = self.env.execute_query(
            query.select(SQL("DISTINCT %s", SQL.identifier(Report._table, "lead_id")))
        )
        return sorted(lead_id for (lead_id,) in rows)

    @api.model
    def action_open_leads(self, filters, kind, role=None, user_id=None):
        """The pipeline's list / kanban of the leads behind a figure (see ``_lead_ids``)."""
        ids = self._lead_ids(filters, kind, role, user_id)
        return {
            "type": "ir.actions.act_window",
            "name": _("Opportunities"),
            "res_model": "crm.lead",
            "views": [(False, "list"), (False, "kanban"), (False, "form")],
            "view_mode": "list,kanban,form",
            "domain": [("id", "in", ids)],
            # lost leads are archived: show them too
            "context": {"active_test": False, "create": False},
            "target": "current",
        }

    @api.model
    def action_export(self, filters):
        """The XLSX export wizard, filled with the dashboard's filters (same leads)."""
        scope = self._scope(filters or {})
        context = {
            f"default_{field}": fields.Date.to_string(value)
            if field in ("date_from", "date_to")
            else value
            for field, value in scope["export_values"].items()
        }
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_funnel_std.crm_funnel_export_action"
        )
        action["context"] = context
        return action
