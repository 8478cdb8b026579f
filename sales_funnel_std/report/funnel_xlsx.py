"""Funnel workbook: summary, pipeline, follow-up log, handovers, targets, forecast,
objections and customer care in one ``.xlsx``.

The workbook is written by xlsxwriter in ``constant_memory`` mode: each sheet is
written row by row, in order, and flushed to a temporary file as it goes. Rows are
read from the database by chunks of ids (one SQL query per chunk, labels, translated
names and Excel date serials computed by PostgreSQL), so the memory used does not grow
with the number of leads. Ids come from ``_search`` with the user's rights: the workbook
holds exactly the records the user may read.

Columns are declared in ``_pipeline_columns`` / ``_followup_columns`` /
``_handover_columns``: one line per column; a column whose source field does not exist
(another feature not installed) is left out automatically.
"""

import io
import tempfile
from collections import namedtuple

import pytz
import xlsxwriter

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import SQL, date_utils

from .crm_funnel_report import FUNNEL_ROLES

CHUNK_SIZE = 2000
SHEETS = (
    "summary",
    "pipeline",
    "followups",
    "handovers",
    "targets",
    "forecast",
    "objections",
    "care",
)
EXCEL_EPOCH_DAYS = 25569  # 1970-01-01 as an Excel serial date

# kind: text, int, float, money, percent, date, datetime
Column = namedtuple("Column", "label kind width sql requires", defaults=((),))


class FunnelXlsxExport:
    """Write the funnel workbook for the leads of ``lead_domain`` readable by ``env.user``.

    ``env`` carries the user (rights), language (labels) and timezone (dates).
    ``summary_domain`` is the domain on ``crm.funnel.report`` for the summary figures
    (defaults to the rows of the selected leads); ``target_domain`` the domain on
    ``crm.funnel.target.progress`` of the Targets sheet (defaults to the current period);
    ``forecast_domain`` the domain on ``crm.funnel.forecast`` of the Forecast sheet
    (defaults to the closing dates of the current year).
    Use ``build()`` to get the bytes and ``filename()`` for the file name.
    """

    def __init__(
        self,
        env,
        lead_domain,
        summary_domain=None,
        chunk_size=CHUNK_SIZE,
        target_domain=None,
        forecast_domain=None,
    ):
        self.env = env
        self.target_domain = target_domain
        self.forecast_domain = forecast_domain
        self.Lead = env["crm.lead"].with_context(active_test=False)
        self.lead_domain = lead_domain
        self.summary_domain = summary_domain
        self.chunk_size = chunk_size
        self.lang = env.lang or "en_US"
        self.tz = env.tz  # pytz timezone (UTC by default)
        self.now = fields.Datetime.now()
        self.row_counts = {}

    # ------------------------------------------------------------
    # PUBLIC
    # ------------------------------------------------------------

    def filename(self):
        local = pytz.utc.localize(self.now).astimezone(self.tz)
        return f"funnel_export_{local:%Y-%m-%d_%H%M}.xlsx"

    def build(self, sheets=SHEETS):
        """Return the workbook (the ``sheets`` of ``SHEETS``, all by default) as bytes."""
        with tempfile.TemporaryDirectory(prefix="funnel_xlsx_") as tmpdir:
            output = io.BytesIO()
            workbook = xlsxwriter.Workbook(
                output,
                {
                    "constant_memory": True,
                    "tmpdir": tmpdir,
                    "strings_to_numbers": False,
                    "strings_to_formulas": False,
                    "strings_to_urls": False,
                },
            )
            self._init_formats(workbook)
            # the sheets read with SQL: what the ORM still holds must be in the database
            self.env.flush_all()
            lead_ids = self._lead_ids()
            for sheet in sheets:
                getattr(self, f"_write_{sheet}")(workbook, lead_ids)
            workbook.close()
            return output.getvalue()

    # ------------------------------------------------------------
    # SOURCES
    # ------------------------------------------------------------

    def _lead_ids(self):
        """Ids of the selected leads the user may read, in a stable order."""
        query = self.Lead._search(self.lead_domain, order="id")
        self.env.cr.execute(query.select())
        return [row[0] for row in self.env.cr.fetchall()]

    def _has_field(self, model, fname):
        """The stored field exists and the user may read it: SQL reads skip the ORM's
        field access, so a column is only written when the ORM would show the field
        (field ``groups``, read access to the model)."""
        if model not in self.env:
            return False
        Model = self.env[model]
        field = Model._fields.get(fname)
        return bool(
            field
            and field.store
            and field.column_type
            and Model._has_field_access(field, "read")
            and self.env["ir.model.access"].check(model, "read", raise_exception=False)
        )

    def _columns_available(self, columns):
        return [col for col in columns if all(self._has_field(*req) for req in col.requires)]

    def _label(self, model, fname):
        """Field label in the user's language (the field name if the field is absent)."""
        if not self._has_field(model, fname):
            return fname
        return self.env[model]._fields[fname]._description_string(self.env)

    def _name_sql(self, model, id_sql):
        """Translated display name of the ``model`` record whose id is ``id_sql``."""
        if model not in self.env:
            return SQL("NULL")
        if model == "res.users":
            return SQL(
                "(SELECT p.name FROM res_users u JOIN res_partner p ON p.id = u.partner_id"
                " WHERE u.id = %s)",
                id_sql,
            )
        Model = self.env[model]
        field = Model._fields[Model._rec_name]
        return SQL(
            "(SELECT %s FROM %s t WHERE t.id = %s)",
            self._text_sql(SQL("t.%s", SQL.identifier(field.name)), field),
            SQL.identifier(Model._table),
            id_sql,
        )

    def _field_column(self, model, fname, kind, width, sql):
        """A column showing a field: labelled like it, written only when the user may
        read it (see ``_has_field``)."""
        return Column(self._label(model, fname), kind, width, sql, ((model, fname),))

    def _text_sql(self, column_sql, field):
        if field.translate:
            return SQL("COALESCE(%s->>%s, %s->>'en_US')", column_sql, self.lang, column_sql)
        return column_sql

    def _selection_sql(self, model, fname, column_sql):
        """Label of a selection value, in the user's language, computed by PostgreSQL."""
        if not self._has_field(model, fname):
            return SQL("NULL")
        selection = self.env[model]._fields[fname]._description_selection(self.env)
        if not selection:
            return SQL("NULL")
        return SQL(
            "CASE %s %s END",
            column_sql,
            SQL(" ").join(SQL("WHEN %s THEN %s", key, label) for key, label in selection),
        )

    def _date_sql(self, column_sql, kind="datetime"):
        """Excel serial number of a UTC timestamp (in the user's timezone) or a date."""
        if kind == "date":
            return SQL("(%s - DATE '1970-01-01' + %s)", column_sql, EXCEL_EPOCH_DAYS)
        return SQL(
            "(EXTRACT(EPOCH FROM (%s AT TIME ZONE 'UTC' AT TIME ZONE %s)"
            "::timestamp without time zone) / 86400.0 + %s)",
            column_sql,
            self.tz.zone,
            EXCEL_EPOCH_DAYS,
        )

    # ------------------------------------------------------------
    # COLUMNS (one line per column; ``requires`` = fields of other features)
    # ------------------------------------------------------------

    def _lead_identity_columns(self):
        """Opportunity name and customer: the first columns of the lead sheets."""
        _ = self.env._
        return [
            self._field_column("crm.lead", "name", "text", 30, SQL("lead.name")),
            Column(
                _("Customer"),
                "text",
                28,
                SQL(
                    "COALESCE(%s, lead.partner_name)",
                    self._name_sql("res.partner", SQL("lead.partner_id")),
                ),
            ),
        ]

    def _salesperson_column(self):
        return self._field_column(
            "crm.lead", "user_id", "text", 20, self._name_sql("res.users", SQL("lead.user_id"))
        )

    def _pipeline_columns(self):
        _ = self.env._
        lead = "crm.lead"
        return [
            *self._lead_identity_columns(),
            Column(_("Contact"), "text", 20, SQL("lead.contact_name")),
            self._salesperson_column(),
            self._field_column(
                lead, "team_id", "text", 18, self._name_sql("crm.team", SQL("lead.team_id"))
            ),
            self._field_column(
                lead, "stage_id", "text", 18, self._name_sql("crm.stage", SQL("lead.stage_id"))
            ),
            Column(
                _("Days in Stage"),
                "float",
                12,
                SQL(
                    "ROUND((EXTRACT(EPOCH FROM (%s - COALESCE(lead.date_last_stage_update,"
                    " lead.create_date))) / 86400.0)::numeric, 1)",
                    self.now,
                ),
            ),
            self._field_column(lead, "bndu_budget", "int", 10, SQL("lead.bndu_budget::int")),
            self._field_column(lead, "bndu_need", "int", 10, SQL("lead.bndu_need::int")),
            self._field_column(lead, "bndu_decision", "int", 10, SQL("lead.bndu_decision::int")),
            self._field_column(lead, "bndu_urgency", "int", 10, SQL("lead.bndu_urgency::int")),
            self._field_column(lead, "bndu_total", "float", 10, SQL("lead.bndu_total")),
            self._field_column(
                lead,
                "bndu_grade",
                "text",
                16,
                self._selection_sql(lead, "bndu_grade", SQL("lead.bndu_grade")),
            ),
            Column(
                _("Checklist"),
                "text",
                10,
                # the card's progress: current, applicable items; not applicable = done
                SQL(
                    "(SELECT COUNT(*) FILTER (WHERE cl.is_done OR cl.not_applicable)"
                    " || ' / ' || COUNT(*)"
                    " FROM crm_lead_checklist_line cl WHERE cl.lead_id = lead.id"
                    " AND cl.is_current_stage AND cl.required HAVING COUNT(*) > 0)"
                ),
                (
                    ("crm.lead.checklist.line", "is_done"),
                    ("crm.lead.checklist.line", "not_applicable"),
                    ("crm.lead.checklist.line", "required"),
                ),
            ),
            Column(
                _("Next Follow-up"),
                "date",
                14,
                self._date_sql(
                    SQL(
                        "(SELECT MIN(a.date_deadline) FROM mail_activity a WHERE a.res_model"
                        " = 'crm.lead' AND a.res_id = lead.id AND a.active)"
                    ),
                    "date",
                ),
            ),
            self._field_column(
                lead,
                "sla_state",
                "text",
                14,
                self._selection_sql(lead, "sla_state", SQL("lead.sla_state")),
            ),
            self._field_column(lead, "expected_revenue", "money", 16, SQL("lead.expected_revenue")),
            self._field_column(lead, "probability", "percent", 10, SQL("lead.probability / 100.0")),
            self._field_column(
                lead,
                "won_status",
                "text",
                10,
                self._selection_sql(lead, "won_status", SQL("lead.won_status")),
            ),
            self._field_column(
                lead, "create_date", "datetime", 17, self._date_sql(SQL("lead.create_date"))
            ),
        ]

    def _followup_columns(self):
        _ = self.env._
        model = "crm.lead.followup"
        available = self._has_field(model, "lead_id")

        def label(fname, default):
            return self._label(model, fname) if available else default

        def selection(fname, alias="f"):
            if not available:
                return SQL("NULL")
            return self._selection_sql(
                model, fname, SQL("%s.%s", SQL(alias), SQL.identifier(fname))
            )

        return [
            Column(label("date", _("Date")), "datetime", 17, self._date_sql(SQL("f.date"))),
            Column(_("Opportunity"), "text", 30, SQL("lead.name")),
            Column(
                _("Customer"),
                "text",
                28,
                SQL(
                    "COALESCE(%s, lead.partner_name)",
                    self._name_sql("res.partner", SQL("lead.partner_id")),
                ),
            ),
            Column(label("channel", _("Channel")), "text", 12, selection("channel")),
            Column(label("summary", _("Summary")), "text", 40, SQL("f.summary")),
            Column(label("feedback", _("Customer Feedback")), "text", 40, SQL("f.feedback")),
            Column(
                _("Attitude Change"),
                "text",
                24,
                SQL(
                    "CASE WHEN f.attitude_before IS NULL AND f.attitude_after IS NULL THEN NULL"
                    " ELSE CONCAT_WS(' → ', COALESCE(%s, '-'), COALESCE(%s, '-')) END",
                    selection("attitude_before"),
                    selection("attitude_after"),
                ),
                ((model, "attitude_before"), (model, "attitude_after")),
            ),
            Column(_("Next Step"), "text", 24, SQL("f.next_step"), ((model, "next_step"),)),
            Column(_("Salesperson"), "text", 20, self._name_sql("res.users", SQL("f.user_id"))),
        ]

    def _objection_columns(self):
        _ = self.env._
        model = "crm.lead.objection"

        def field(fname, kind, width, sql):
            return self._field_column(model, fname, kind, width, sql)

        def selection(fname):
            return self._selection_sql(model, fname, SQL("o.%s", SQL.identifier(fname)))

        return [
            field("raised_on", "datetime", 17, self._date_sql(SQL("o.raised_on"))),
            *self._lead_identity_columns(),
            field("type_id", "text", 16, self._name_sql("crm.objection.type", SQL("o.type_id"))),
            field("customer_words", "text", 40, SQL("o.customer_words")),
            field("stage_id", "text", 18, self._name_sql("crm.stage", SQL("o.stage_id"))),
            field("response_deadline", "datetime", 17, self._date_sql(SQL("o.response_deadline"))),
            field("response", "text", 40, SQL("o.response")),
            field("responded_on", "datetime", 17, self._date_sql(SQL("o.responded_on"))),
            field("state", "text", 12, selection("state")),
            Column(
                self._label(model, "response_late"),
                "text",
                12,
                SQL("CASE WHEN o.response_late THEN %s END", _("Yes")),
                ((model, "response_late"),),
            ),
            field(
                "resolved_by_id", "text", 20, self._name_sql("res.users", SQL("o.resolved_by_id"))
            ),
            field("resolved_on", "datetime", 17, self._date_sql(SQL("o.resolved_on"))),
            self._salesperson_column(),
            self._field_column(
                "crm.lead",
                "won_status",
                "text",
                10,
                self._selection_sql("crm.lead", "won_status", SQL("lead.won_status")),
            ),
        ]

    def _care_columns(self):
        """One row per care visit (客户反馈): satisfaction, suggestions, repurchase and
        referral; columns follow the fields the user may read."""
        _ = self.env._
        model = "crm.lead.care"

        def col(fname, kind, width, sql):
            return self._field_column(model, fname, kind, width, sql)

        def selection(fname):
            return self._selection_sql(model, fname, SQL("c.%s", SQL.identifier(fname)))

        def yes_no(fname):
            return SQL(
                "CASE WHEN c.%s THEN %s ELSE %s END", SQL.identifier(fname), _("Yes"), _("No")
            )

        return [
            col("date", "datetime", 17, self._date_sql(SQL("c.date"))),
            *self._lead_identity_columns(),
            col("kind", "text", 18, selection("kind")),
            col("channel", "text", 12, selection("channel")),
            col("satisfaction_score", "int", 12, SQL("c.satisfaction_score")),
            col("suggestions", "text", 40, SQL("c.suggestions")),
            col("has_repurchase_need", "text", 12, yes_no("has_repurchase_need")),
            col("repurchase_need", "text", 40, SQL("c.repurchase_need")),
            col("repurchase_revenue", "money", 14, SQL("c.repurchase_revenue")),
            col("referral_intent", "text", 12, yes_no("referral_intent")),
            col("referral_note", "text", 28, SQL("c.referral_note")),
            col("next_action", "text", 24, SQL("c.next_action")),
            col("user_id", "text", 20, self._name_sql("res.users", SQL("c.user_id"))),
            col("team_id", "text", 18, self._name_sql("crm.team", SQL("c.team_id"))),
        ]

    def _handover_columns(self):
        _ = self.env._
        lead = "crm.lead"

        def opt(fname, kind, width, sql=None):
            """A column on a handover field of the lead (present once that feature is)."""
            if sql is None:
                sql = SQL("lead.%s", SQL.identifier(fname))
            return self._field_column(lead, fname, kind, width, sql)

        return [
            *self._lead_identity_columns(),
            self._salesperson_column(),
            Column(_("Won On"), "date", 12, self._date_sql(SQL("lead.date_closed"))),
            opt("contract_number", "text", 16),
            opt(
                "contract_signing_date",
                "date",
                12,
                self._date_sql(SQL("lead.contract_signing_date"), "date"),
            ),
            opt("contract_amount", "money", 16),
            Column(
                self._label(lead, "expected_revenue"), "money", 16, SQL("lead.expected_revenue")
            ),
            opt("payment_terms", "text", 20),
            opt("service_period", "text", 16),
            opt(
                "delivery_deadline",
                "date",
                12,
                self._date_sql(SQL("lead.delivery_deadline"), "date"),
            ),
            opt(
                "handover_state",
                "text",
                12,
                self._selection_sql(lead, "handover_state", SQL("lead.handover_state")),
            ),
            opt(
                "handover_user_id",
                "text",
                20,
                self._name_sql("res.users", SQL("lead.handover_user_id")),
            ),
            opt("handover_date", "datetime", 17, self._date_sql(SQL("lead.handover_date"))),
            opt(
                "handover_project_id",
                "text",
                24,
                self._name_sql("project.project", SQL("lead.handover_project_id")),
            ),
            Column(
                _("Tasks"),
                "int",
                8,
                SQL("(SELECT COUNT(*) FROM project_task t WHERE t.funnel_lead_id = lead.id)"),
                (("project.task", "funnel_lead_id"), ("crm.lead", "handover_project_id")),
            ),
        ]

    # ------------------------------------------------------------
    # WRITING
    # ------------------------------------------------------------

    def _init_formats(self, workbook):
        currency = self.env.company.currency_id
        digits = "0" * (currency.decimal_places or 0)
        number = "#,##0" + ("." + digits if digits else "")
        symbol = (currency.symbol or "").replace('"', "")
        money = f'"{symbol}"{number}' if currency.position == "before" else f'{number}" {symbol}"'
        self.formats = {
            "header": workbook.add_format(
                {
                    "bold": True,
                    "bg_color": "#E9ECEF",
                    "border": 1,
                    "text_wrap": True,
                    "valign": "top",
                }
            ),
            "title": workbook.add_format({"bold": True, "font_size": 14}),
            "note": workbook.add_format({"italic": True, "font_color": "#6C757D"}),
            "text": None,
            "int": workbook.add_format({"num_format": "0"}),
            "float": workbook.add_format({"num_format": "#,##0.0"}),
            "money": workbook.add_format({"num_format": money}),
            "percent": workbook.add_format({"num_format": "0.0%"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        }

    def _write_header(self, sheet, columns):
        header = self.formats["header"]
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(0, index, column.label, header)
        sheet.freeze_panes(1, 0)

    def _write_table(self, workbook, key, name, columns, from_sql, ids, empty_note):
        """Write a sheet of ``columns`` for ``ids`` (chunked), ``from_sql`` with ``%(ids)s``."""
        columns = self._columns_available(columns)
        sheet = workbook.add_worksheet(name)
        if len(ids) >= sheet.xls_rowmax:
            raise UserError(
                self.env._(
                    "Too many rows for one Excel sheet (%(count)s rows, limit: %(limit)s): "
                    "narrow the period, teams or salespeople.",
                    count=len(ids),
                    limit=sheet.xls_rowmax - 1,
                )
            )
        self._write_header(sheet, columns)
        writers = []
        for index, column in enumerate(columns):
            method = sheet.write_string if column.kind == "text" else sheet.write_number
            writers.append((index, method, self.formats[column.kind]))
        select = SQL(", ").join(column.sql for column in columns)
        cr = self.env.cr
        row = 0
        for start in range(0, len(ids), self.chunk_size):
            chunk = ids[start : start + self.chunk_size]
            cr.execute(SQL("SELECT %s %s", select, from_sql(chunk)))
            for values in cr.fetchall():
                row += 1
                for index, write, cell_format in writers:
                    value = values[index]
                    if value is not None and value != "":
                        write(row, index, value, cell_format)
        if row:
            sheet.autofilter(0, 0, row, len(columns) - 1)
        else:
            sheet.autofilter(0, 0, 0, len(columns) - 1)
            sheet.write_string(1, 0, empty_note, self.formats["note"])
        self.row_counts[key] = row
        return sheet

    def _write_pipeline(self, workbook, lead_ids):
        _ = self.env._
        self._write_table(
            workbook,
            "pipeline",
            _("Pipeline"),
            self._pipeline_columns(),
            lambda chunk: SQL("FROM crm_lead lead WHERE lead.id = ANY(%s) ORDER BY lead.id", chunk),
            lead_ids,
            _("No opportunity matches the selection."),
        )

    def _write_followups(self, workbook, lead_ids):
        _ = self.env._
        ids = []
        if "crm.lead.followup" in self.env and lead_ids:
            Followup = self.env["crm.lead.followup"].with_context(active_test=False)
            query = Followup._search([("lead_id", "any", self.lead_domain)], order="id")
            self.env.cr.execute(query.select())
            ids = [row[0] for row in self.env.cr.fetchall()]
        self._write_table(
            workbook,
            "followups",
            _("Follow-up Log"),
            self._followup_columns(),
            lambda chunk: SQL(
                "FROM crm_lead_followup f JOIN crm_lead lead ON lead.id = f.lead_id"
                " WHERE f.id = ANY(%s) ORDER BY f.date, f.id",
                chunk,
            ),
            ids,
            _("No follow-up record matches the selection."),
        )

    def _lead_child_ids(self, model, lead_ids):
        """Ids of the ``model`` records of the selected leads the user may read (the
        user's record rules apply: ids from ``_search``), in a stable order."""
        if model not in self.env or not lead_ids:
            return []
        Model = self.env[model].with_context(active_test=False)
        query = Model._search([("lead_id", "any", self.lead_domain)], order="id")
        self.env.cr.execute(query.select())
        return [row[0] for row in self.env.cr.fetchall()]

    def _write_objections(self, workbook, lead_ids):
        _ = self.env._
        self._write_table(
            workbook,
            "objections",
            _("Objections"),
            self._objection_columns(),
            lambda chunk: SQL(
                "FROM crm_lead_objection o JOIN crm_lead lead ON lead.id = o.lead_id"
                " WHERE o.id = ANY(%s) ORDER BY o.raised_on, o.id",
                chunk,
            ),
            self._lead_child_ids("crm.lead.objection", lead_ids),
            _("No objection matches the selection."),
        )

    def _write_care(self, workbook, lead_ids):
        _ = self.env._
        self._write_table(
            workbook,
            "care",
            _("Customer Care"),
            self._care_columns(),
            lambda chunk: SQL(
                "FROM crm_lead_care c JOIN crm_lead lead ON lead.id = c.lead_id"
                " WHERE c.id = ANY(%s) ORDER BY c.date, c.id",
                chunk,
            ),
            self._lead_child_ids("crm.lead.care", lead_ids),
            _("No care visit matches the selection."),
        )

    def _write_handovers(self, workbook, lead_ids):
        _ = self.env._
        won_ids = []
        if lead_ids:
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM crm_lead WHERE id = ANY(%s) AND won_status = 'won' ORDER BY id",
                    lead_ids,
                )
            )
            won_ids = [row[0] for row in self.env.cr.fetchall()]
        self._write_table(
            workbook,
            "handovers",
            _("Handovers"),
            self._handover_columns(),
            lambda chunk: SQL("FROM crm_lead lead WHERE lead.id = ANY(%s) ORDER BY lead.id", chunk),
            won_ids,
            _("No won opportunity in the selection."),
        )

    def _write_summary(self, workbook, lead_ids):
        _ = self.env._
        fmt = self.formats
        sheet = workbook.add_worksheet(_("Funnel Summary"))
        domain = self.summary_domain
        if domain is None:
            domain = [("lead_id", "any", self.lead_domain)]
        figures = (
            self.env["crm.funnel.report"]
            .with_context(active_test=False)
            ._funnel_figures(domain, lead_query=self.Lead._search(self.lead_domain))
        )
        sheet.set_column(0, 0, 26)
        sheet.set_column(1, 8, 16)
        sheet.write_string(0, 0, _("Sales Funnel"), fmt["title"])
        headers = [
            _("Stage"),
            _("Leads Reached"),
            _("Conversion from Previous Stage"),
            _("Lost at Stage"),
            _("Median Days in Stage"),
            _("Average Days in Stage"),
            _("Time Limit (Days)"),
            _("Within Time Limit"),
            _("Over Time Limit"),
        ]
        header_row = 2
        for col, header in enumerate(headers):
            sheet.write_string(header_row, col, header, fmt["header"])
        row = header_row
        for stage in figures["stages"]:
            row += 1
            sheet.write_string(row, 0, stage["name"])
            sheet.write_number(row, 1, stage["reached"], fmt["int"])
            if stage["conversion"] is not None:
                sheet.write_number(row, 2, stage["conversion"] / 100.0, fmt["percent"])
            sheet.write_number(row, 3, stage["lost"], fmt["int"])
            if stage["median_days"] is not None:
                sheet.write_number(row, 4, stage["median_days"], fmt["float"])
            if stage["avg_days"] is not None:
                sheet.write_number(row, 5, stage["avg_days"], fmt["float"])
            if stage["time_limit"]:
                sheet.write_number(row, 6, stage["time_limit"], fmt["int"])
            if stage["within_limit"] is not None:
                sheet.write_number(row, 7, stage["within_limit"] / 100.0, fmt["percent"])
            sheet.write_number(row, 8, stage["over_limit"], fmt["int"])
        last_stage_row = row
        row += 2
        kpis = [
            (_("Leads in Funnel"), figures["total"], "int"),
            (_("Won"), figures["won"], "int"),
            (_("Win Rate"), figures["win_rate"], "percent"),
            (_("A-Grade Leads"), figures["a_total"], "int"),
            (_("A-Grade Won"), figures["a_won"], "int"),
            (_("A-Grade Win Rate"), figures["a_win_rate"], "percent"),
        ]
        if figures["sla"] is not None:
            kpis.append((_("First-Contact SLA Compliance"), figures["sla"]["rate"], "percent"))
        if figures.get("care") is not None:
            care = figures["care"]
            kpis += [
                (_("Average Customer Satisfaction (1-5)"), care["satisfaction"], "float"),
                (_("First Revisit On Time"), care["revisit_on_time"], "percent"),
                (_("Repurchase Rate"), care["repurchase_rate"], "percent"),
                (_("Repurchase Opportunities"), care["repurchases"], "int"),
                (_("Referral Opportunities"), care["referrals"], "int"),
            ]
        for label, value, kind in kpis:
            row += 1
            sheet.write_string(row, 0, label, fmt["header"])
            if value is not None:
                sheet.write_number(row, 1, value / 100.0 if kind == "percent" else value, fmt[kind])
        if figures["followups"] is not None:
            row += 2
            for col, header in enumerate((_("Grade"), _("Follow-ups Due"), _("Follow-ups Done"))):
                sheet.write_string(row, col, header, fmt["header"])
            for line in figures["followups"]:
                row += 1
                sheet.write_string(row, 0, line["name"])
                sheet.write_number(row, 1, line["due"], fmt["int"])
                sheet.write_number(row, 2, line["done"], fmt["int"])
        if not lead_ids:
            row += 2
            sheet.write_string(row, 0, _("No opportunity matches the selection."), fmt["note"])
        sheet.freeze_panes(header_row + 1, 0)
        chart = workbook.add_chart({"type": "bar"})
        chart.add_series(
            {
                "name": _("Leads Reached"),
                "categories": [sheet.name, header_row + 1, 0, last_stage_row, 0],
                "values": [sheet.name, header_row + 1, 1, last_stage_row, 1],
                "data_labels": {"value": True},
            }
        )
        chart.set_title({"name": _("Sales Funnel")})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        sheet.insert_chart(1, 10, chart, {"x_scale": 1.3, "y_scale": 1.2})
        self.row_counts["summary"] = len(FUNNEL_ROLES)
        return sheet

    def _write_targets(self, workbook, lead_ids):
        """Actual vs target of the selection's period (read through the ORM: the user's
        record rules and field access apply; a few rows per team and person)."""
        _ = self.env._
        fmt = self.formats
        sheet = workbook.add_worksheet(_("Targets"))
        Progress = self.env["crm.funnel.target.progress"]
        domain = self.target_domain
        if domain is None:
            today = fields.Date.context_today(Progress)
            domain = [("date_from", "<=", today), ("date_to", ">=", today)]
        fnames = [
            "period_label",
            "level",
            "team_id",
            "user_id",
            "metric",
            "funnel_role",
            "target_value",
            "period_target",
            "actual_value",
            "actual_per_week",
            "progress",
        ]
        kinds = {
            "target_value": "float",
            "period_target": "float",
            "actual_value": "float",
            "actual_per_week": "float",
            "progress": "percent",
        }
        fnames = [
            fname for fname in fnames if Progress._has_field_access(Progress._fields[fname], "read")
        ]
        columns = [
            Column(
                Progress._fields[fname]._description_string(self.env),
                kinds.get(fname, "text"),
                12 if fname in kinds else 18,
                None,
            )
            for fname in fnames
        ]
        self._write_header(sheet, columns)
        rows = Progress.search_read(domain, fnames, order="date_from, level, team_id, user_id")
        selections = {
            fname: dict(Progress._fields[fname]._description_selection(self.env))
            for fname in ("level", "metric", "funnel_role")
            if fname in fnames
        }
        for row_index, row in enumerate(rows, start=1):
            for col, fname in enumerate(fnames):
                value = row[fname]
                if value is False or value is None:
                    continue
                if fname in selections:
                    sheet.write_string(row_index, col, selections[fname].get(value, value))
                elif fname in kinds:
                    number = value / 100.0 if kinds[fname] == "percent" else value
                    sheet.write_number(row_index, col, number, fmt[kinds[fname]])
                elif isinstance(value, (list, tuple)):
                    sheet.write_string(row_index, col, value[1])
                else:
                    sheet.write_string(row_index, col, str(value))
        if rows:
            sheet.autofilter(0, 0, len(rows), len(columns) - 1)
        else:
            sheet.write_string(1, 0, _("No target for the selected period."), fmt["note"])
        self.row_counts["targets"] = len(rows)
        return sheet

    def _write_forecast(self, workbook, lead_ids):
        """Won + weighted pipeline against the revenue targets per closing month: per team
        (team targets), then per salesperson (personal targets). Grouped reads through the
        ORM: the user's record rules apply."""
        _ = self.env._
        fmt = self.formats
        sheet = workbook.add_worksheet(_("Forecast"))
        Forecast = self.env["crm.funnel.forecast"]
        domain = self.forecast_domain
        if domain is None:
            today = fields.Date.context_today(Forecast)
            domain = [
                ("date", ">=", date_utils.start_of(today, "year")),
                ("date", "<=", date_utils.end_of(today, "year")),
            ]
        sheet.set_column(0, 0, 12)
        sheet.set_column(1, 1, 24)
        sheet.set_column(2, 6, 16)
        row = 0
        count = 0
        team_label = _("Sales Team")
        person_label = _("Salesperson")
        for groupby, group_label in (("team_id", team_label), ("user_id", person_label)):
            headers = [
                _("Month"),
                group_label,
                _("Won Revenue"),
                _("Weighted Pipeline"),
                _("Forecast"),
                _("Revenue Target"),
                _("Forecast vs Target"),
            ]
            for col, header in enumerate(headers):
                sheet.write_string(row, col, header, fmt["header"])
            for line in Forecast._forecast_by_month(domain, groupby):
                row += 1
                count += 1
                sheet.write_string(row, 0, f"{line['month']:%Y-%m}")
                sheet.write_string(row, 1, line["group"].display_name or _("None"))
                for col, key in enumerate(("won", "pipeline", "forecast", "target"), start=2):
                    sheet.write_number(row, col, line[key], fmt["money"])
                if line["target"]:
                    sheet.write_number(row, 6, line["forecast"] / line["target"], fmt["percent"])
            row += 2
        if not count:
            sheet.write_string(row, 0, _("No forecast for the selected period."), fmt["note"])
        self.row_counts["forecast"] = count
        return sheet
