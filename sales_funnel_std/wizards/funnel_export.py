import base64
from datetime import datetime, time

import pytz

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import date_utils

from ..report.funnel_xlsx import FunnelXlsxExport


class CrmFunnelExport(models.TransientModel):
    """Choose the leads of the funnel workbook and download it (XLSX)."""

    _name = "crm.funnel.export"
    _description = "Funnel Export (XLSX)"

    date_from = fields.Date("From", help="Leads created on or after this day.")
    date_to = fields.Date("To", help="Leads created on or before this day.")
    team_ids = fields.Many2many("crm.team", string="Sales Teams")
    user_ids = fields.Many2many("res.users", string="Salespersons", domain=[("share", "=", False)])
    source_ids = fields.Many2many("utm.source", string="Sources")
    grade_a = fields.Boolean()
    grade_b = fields.Boolean()
    grade_c = fields.Boolean()
    grade_none = fields.Boolean("Not Qualified")
    include_lost = fields.Boolean(default=True)
    lead_ids = fields.Many2many(
        "crm.lead",
        string="Selected Opportunities",
        help="When set (from the pipeline list), only these opportunities are exported.",
    )
    lead_count = fields.Integer("Selected", compute="_compute_lead_count")
    xlsx_file = fields.Binary("File", readonly=True, attachment=True)
    xlsx_filename = fields.Char("File Name", readonly=True)

    @api.model
    def default_get(self, fields_list):
        res = super().default_get(fields_list)
        context = self.env.context
        if (
            "lead_ids" in fields_list
            and context.get("active_model") == "crm.lead"
            and context.get("active_ids")
        ):
            res["lead_ids"] = [fields.Command.set(context["active_ids"])]
        return res

    @api.depends("lead_ids")
    def _compute_lead_count(self):
        for wizard in self:
            wizard.lead_count = len(wizard.lead_ids)

    @api.constrains("date_from", "date_to")
    def _check_dates(self):
        for wizard in self:
            if wizard.date_from and wizard.date_to and wizard.date_from > wizard.date_to:
                raise ValidationError(_("The start of the period must be before its end."))

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _utc_bound(self, day, end=False):
        tz = self.env.tz
        local = tz.localize(datetime.combine(day, time.max if end else time.min))
        return local.astimezone(pytz.utc).replace(tzinfo=None)

    def _lead_domain(self):
        """Domain on ``crm.lead`` (searched with ``active_test=False``) for the filters."""
        self.ensure_one()
        domain = [("id", "in", self.lead_ids.ids)] if self.lead_ids else []
        if self.include_lost:
            domain += ["|", ("active", "=", True), ("won_status", "=", "lost")]
        else:
            domain += [("active", "=", True)]
        if self.date_from:
            domain += [("create_date", ">=", self._utc_bound(self.date_from))]
        if self.date_to:
            domain += [("create_date", "<=", self._utc_bound(self.date_to, end=True))]
        if self.team_ids:
            domain += [("team_id", "in", self.team_ids.ids)]
        if self.user_ids:
            domain += [("user_id", "in", self.user_ids.ids)]
        if self.source_ids:
            domain += [("source_id", "in", self.source_ids.ids)]
        grades = self._grades()
        if grades:
            domain += [("bndu_grade", "in", grades)]
        return domain

    def _report_domain(self):
        """Domain on ``crm.funnel.report`` (Funnel Analysis) for the leads of
        ``_lead_domain`` when no lead is selected: the same filters on the report's own
        columns (cheaper than a sub-query on the leads; the report leaves out archived
        leads that are not lost, as ``include_lost``)."""
        self.ensure_one()
        domain = [] if self.include_lost else [("won_status", "!=", "lost")]
        if self.date_from:
            domain += [("lead_create_date", ">=", self._utc_bound(self.date_from))]
        if self.date_to:
            domain += [("lead_create_date", "<=", self._utc_bound(self.date_to, end=True))]
        for fname, records in (
            ("team_id", self.team_ids),
            ("user_id", self.user_ids),
            ("source_id", self.source_ids),
        ):
            if records:
                domain += [(fname, "in", records.ids)]
        grades = self._grades()
        if grades:
            domain += [("bndu_grade", "in", grades)]
        return domain

    def _grades(self):
        return [
            grade
            for grade, checked in (
                ("a", self.grade_a),
                ("b", self.grade_b),
                ("c", self.grade_c),
                ("none", self.grade_none),
            )
            if checked
        ]

    def _target_domain(self):
        """Domain on ``crm.funnel.target.progress``: the targets of the filters' teams and
        people whose period overlaps the filters' dates (today's period without dates)."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        domain = [
            ("date_from", "<=", self.date_to or (today if not self.date_from else "9999-12-31")),
            ("date_to", ">=", self.date_from or (today if not self.date_to else "0001-01-01")),
        ]
        if self.team_ids:
            domain += [("team_id", "in", self.team_ids.ids)]
        if self.user_ids:
            domain += [("user_id", "in", self.user_ids.ids)]
        return domain

    def _forecast_domain(self):
        """Domain on ``crm.funnel.forecast``: closing dates between the filters' dates (the
        current year without dates), the filters' teams and people."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        domain = [
            ("date", ">=", self.date_from or date_utils.start_of(today, "year")),
            ("date", "<=", self.date_to or date_utils.end_of(today, "year")),
        ]
        if self.team_ids:
            domain += [("team_id", "in", self.team_ids.ids)]
        if self.user_ids:
            domain += [("user_id", "in", self.user_ids.ids)]
        return domain

    def _build_workbook(self):
        """Write the workbook for the current filters; return ``(filename, bytes)``."""
        self.ensure_one()
        exporter = FunnelXlsxExport(
            self.env,
            self._lead_domain(),
            target_domain=self._target_domain(),
            forecast_domain=self._forecast_domain(),
        )
        return exporter.filename(), exporter.build()

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_export(self):
        self.ensure_one()
        filename, content = self._build_workbook()
        self.write({"xlsx_file": base64.b64encode(content), "xlsx_filename": filename})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/?model={self._name}&id={self.id}&field=xlsx_file"
            "&filename_field=xlsx_filename&download=true",
            "target": "self",
        }
