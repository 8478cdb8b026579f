"""The sales manager's reporting: Funnel Analysis chart and the XLSX workbook."""

import io
import re

import openpyxl
from playwright.sync_api import expect

from e2e.helpers import open_pipeline

SHEETS = [
    "Funnel Summary",
    "Pipeline",
    "Follow-up Log",
    "Handovers",
    "Targets",
    "Forecast",
    "Objections",
    "Customer Care",
]


def _reporting_menu(page, entry):
    open_pipeline(page)
    page.locator(".o_menu_sections button", has_text="Reporting").click()
    page.locator(".dropdown-menu .dropdown-item", has_text=entry).click()


def test_manager_sees_funnel_chart(page_factory):
    page = page_factory.login("e2e_manager")
    _reporting_menu(page, "Funnel Analysis")
    expect(page.locator(".o_breadcrumb")).to_contain_text("Funnel Analysis")
    expect(page.locator(".o_graph_renderer canvas")).to_be_visible()
    # the list view of the same report holds the stage rows behind the bars
    page.locator(".o_switch_view.o_list").click()
    expect(page.locator(".o_list_renderer .o_data_row").first).to_be_visible()
    expect(page.locator(".o_list_renderer")).to_contain_text(re.compile("Need discovery", re.I))


def test_manager_downloads_xlsx_workbook(page_factory):
    page = page_factory.login("e2e_manager")
    _reporting_menu(page, "Funnel Export (XLSX)")
    dialog = page.locator(".modal-dialog", has_text="Funnel Export (XLSX)")
    expect(dialog).to_be_visible()
    with page.expect_download() as download_info:
        dialog.locator("button[name=action_export]").click()
    download = download_info.value
    assert download.suggested_filename.startswith("funnel_export_")
    assert download.suggested_filename.endswith(".xlsx")
    with open(download.path(), "rb") as handle:
        workbook = openpyxl.load_workbook(io.BytesIO(handle.read()), read_only=True)
    assert workbook.sheetnames == SHEETS
    summary = workbook["Funnel Summary"]
    assert summary["A1"].value == "Sales Funnel"
    assert [cell.value for cell in summary[3]][:2] == ["Stage", "Leads Reached"]
    pipeline = workbook["Pipeline"]
    header = [cell.value for cell in pipeline[1]]
    assert header[:2] == ["Opportunity", "Customer"], header
    names = {row[header.index("Opportunity")] for row in pipeline.iter_rows(2, values_only=True)}
    assert {"E2E Gate me", "E2E Hand me over"} <= names, names
