"""Funnel analytics benchmarks (issue 7 "Benchmark").

The pipeline sheet of the funnel workbook (one row per lead, 18 columns) against:
(a) Odoo's built-in list export to XLSX of the same leads and columns, through the code
    path of ``/web/export/xlsx`` (``search`` + ``export_data`` + ``ExcelExport.from_data``,
    whole workbook in memory);
(b) raw xlsxwriter writing the same cells from a prepared Python list (same options as
    the export: ``constant_memory``), i.e. the floor for writing those cells.
Targets: >= 2.5x the built-in export's cells/s; <= 1.5x the raw xlsxwriter time; RSS
growth <= 50 MB at 100k leads. Plus the whole workbook (every sheet; the row's name says
4 sheets, kept for its history: the Targets sheet is the fifth since session 4) and the
funnel report figures (< 2 s at 100k leads / 500k history rows).
Every operation counts cells (rows x columns), except the report (leads).
"""

import inspect
import io
import json
from types import SimpleNamespace

import xlsxwriter

from bench.registry import operation

# The built-in export's columns, the same as the pipeline sheet's (without the optional
# columns of other features).
EXPORT_FIELDS = [
    "name",
    "partner_id",
    "contact_name",
    "user_id",
    "team_id",
    "stage_id",
    "date_last_stage_update",
    "bndu_budget",
    "bndu_need",
    "bndu_decision",
    "bndu_urgency",
    "bndu_total",
    "bndu_grade",
    "activity_date_deadline",
    "expected_revenue",
    "probability",
    "won_status",
    "create_date",
]
# columns of other features, exported when installed (as the pipeline sheet does)
OPTIONAL_FIELDS = ["sla_state"]
ALL_LEADS = ["|", ("active", "=", True), ("won_status", "=", "lost")]
_OPTIONS = set(inspect.signature(operation).parameters)


def _operation(name, **options):
    """``operation`` with the options the registry of this branch knows."""
    return operation(name, **{key: value for key, value in options.items() if key in _OPTIONS})


def _exporter(env, **kwargs):
    from odoo.addons.sales_funnel_std.report.funnel_xlsx import FunnelXlsxExport

    return FunnelXlsxExport(env(context=dict(env.context, active_test=False)), ALL_LEADS, **kwargs)


def _pipeline_width(exporter):
    return len(exporter._columns_available(exporter._pipeline_columns()))


@_operation(
    "analytics: XLSX pipeline sheet (funnel export)",
    vanilla=False,
    unit="cells",
    group="analytics",
    user="manager",
    target=">= 2.5x built-in export cells/s; <= 1.5x raw xlsxwriter; RSS growth <= 50 MB",
)
def export_pipeline(env, ctx):
    exporter = _exporter(env)
    width = _pipeline_width(exporter)

    def run():
        content = exporter.build(sheets=("pipeline",))
        assert content[:2] == b"PK"
        return exporter.row_counts["pipeline"] * width

    return run


@_operation(
    "analytics: XLSX whole funnel workbook (4 sheets)",
    vanilla=False,
    unit="cells",
    group="analytics",
    user="manager",
)
def export_workbook(env, ctx):
    exporter = _exporter(env)
    width = _pipeline_width(exporter)

    def run():
        exporter.build()
        return exporter.row_counts["pipeline"] * width

    return run


@_operation(
    "analytics: built-in list export to XLSX (/web/export/xlsx path)",
    vanilla=False,
    unit="cells",
    group="analytics",
    user="manager",
)
def builtin_export(env, ctx):
    from odoo import http
    from odoo.addons.web.controllers.export import ExcelExport

    # set-up (rolled back): the list export menu needs the "Access to export" right
    env.user.sudo().group_ids |= env.ref("base.group_allow_export")

    Lead = env["crm.lead"].with_context(active_test=False)
    names = EXPORT_FIELDS + [name for name in OPTIONAL_FIELDS if name in Lead._fields]
    fields_info = Lead.fields_get(names, ["string", "type"])
    fields = [
        {"name": name, "label": fields_info[name]["string"], "type": fields_info[name]["type"]}
        for name in names
    ]
    params = json.dumps(
        {
            "model": "crm.lead",
            "fields": fields,
            "ids": False,
            "domain": ALL_LEADS,
            "import_compat": False,
        }
    )
    params = json.loads(params)

    def run():
        # what ExportFormat.base() does for an ungrouped export, without the HTTP response
        http._request_stack.push(SimpleNamespace(env=env))
        try:
            records = Lead.search(params["domain"])
            rows = records.export_data(names).get("datas", [])
            headers = [field["label"] for field in params["fields"]]
            content = ExcelExport().from_data(params["fields"], headers, rows)
        finally:
            http._request_stack.pop()
        assert content[:2] == b"PK"
        return len(rows) * len(names)

    return run


@_operation(
    "analytics: raw xlsxwriter, same cells from a prepared list",
    vanilla=False,
    unit="cells",
    group="analytics",
    user="manager",
)
def raw_xlsxwriter(env, ctx):
    # untimed: the very values of the export's cells, as Python values
    exporter = _exporter(env)
    columns = exporter._columns_available(exporter._pipeline_columns())
    ids = exporter._lead_ids()
    from odoo.tools import SQL

    env.cr.execute(
        SQL(
            "SELECT %s FROM crm_lead lead WHERE lead.id = ANY(%s) ORDER BY lead.id",
            SQL(", ").join(column.sql for column in columns),
            ids,
        )
    )
    rows = env.cr.fetchall()
    headers = [column.label for column in columns]
    kinds = [column.kind for column in columns]

    def run():
        output = io.BytesIO()
        workbook = xlsxwriter.Workbook(output, {"constant_memory": True})
        sheet = workbook.add_worksheet()
        bold = workbook.add_format({"bold": True})
        number = workbook.add_format({"num_format": "#,##0.00"})
        formats = [None if kind == "text" else number for kind in kinds]
        for col, header in enumerate(headers):
            sheet.write(0, col, header, bold)
        for row_index, row in enumerate(rows, start=1):
            for col, value in enumerate(row):
                sheet.write(row_index, col, value, formats[col])
        workbook.close()
        return len(rows) * len(headers)

    return run


@_operation(
    "analytics: funnel report figures (all leads)",
    vanilla=False,
    unit="leads",
    group="analytics",
    user="manager",
    target="< 2 s at 100k leads / 500k history rows",
)
def funnel_figures(env, ctx):
    report = env["crm.funnel.report"]

    def run():
        figures = report._funnel_figures([])
        return figures["total"]

    return run
