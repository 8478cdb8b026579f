"""Revenue forecast and grade calibration (issue 17): what a sales manager reads."""

from playwright.sync_api import expect

from e2e.helpers import open_menu


def test_manager_reads_the_forecast_against_the_target(page_factory):
    page = page_factory.login("e2e_manager")
    open_menu(page, "Reporting", "Revenue Forecast")
    expect(page.locator(".o_breadcrumb")).to_contain_text("Revenue Forecast")
    # the graph: forecast and target per closing month
    expect(page.locator(".o_graph_renderer canvas")).to_be_visible()
    page.locator(".o_switch_view.o_pivot").click()
    pivot = page.locator(".o_pivot table")
    expect(pivot).to_contain_text("Weighted Pipeline")
    expect(pivot).to_contain_text("Revenue Target")
    # the team's month target of the set-up (team targets are the default comparison)
    expect(pivot).to_contain_text("200,000.00")


def test_manager_opens_grade_calibration(page_factory):
    page = page_factory.login("e2e_manager")
    open_menu(page, "Reporting", "Grade Calibration")
    expect(page.locator(".o_breadcrumb")).to_contain_text("Grade Calibration")
    expect(page.locator(".o_pivot, .o_view_nocontent").first).to_be_visible()
