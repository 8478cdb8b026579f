"""Targets (playbook 002 阶段一): the manager's Actual vs Target, the team card, and the
salesperson's 《销售目标责任书》 PDF."""

import re

from playwright.sync_api import expect

from e2e.helpers import open_menu


def test_manager_sees_actual_vs_target(page_factory):
    page = page_factory.login("e2e_manager")
    open_menu(page, "Reporting", "Actual vs Target")
    expect(page.locator(".o_breadcrumb")).to_contain_text("Actual vs Target")
    rows = page.locator(".o_list_renderer .o_data_row")
    expect(rows.filter(has_text="E2E Team").filter(has_text="New leads").first).to_be_visible()
    # the team's new leads: the funnel's leads created by the set-up, against 20
    team_row = rows.filter(has_text="New leads").filter(has_not_text="E2E Salesman").first
    expect(team_row).to_contain_text("20.00")
    expect(team_row.locator(".o_progressbar")).to_be_visible()
    page.locator(".o_switch_view.o_pivot").click()
    expect(page.locator(".o_pivot table")).to_contain_text("Won revenue")
    # the team's card in CRM → Sales → Teams shows the month's revenue target
    open_menu(page, "Sales", "Teams")
    card = page.locator(".o_kanban_record", has_text="E2E Team")
    expect(card.locator(".o_funnel_team_target")).to_contain_text("200,000")


def test_salesman_prints_his_target_agreement(page_factory):
    page = page_factory.login("e2e_salesman")
    open_menu(page, "Sales", "Targets")
    expect(page.locator(".o_breadcrumb")).to_contain_text("Targets")
    rows = page.locator(".o_list_renderer .o_data_row")
    # his own target and his team's; not his teammate's
    expect(rows).to_have_count(2)
    rows.filter(has_text="E2E Salesman").click()
    expect(page.locator(".o_form_view")).to_contain_text("Actual vs Target")
    with page.expect_download() as download_info:
        page.locator("button[name=action_print_agreement]").click()
    download = download_info.value
    assert re.match(r"Target Agreement - .*E2E Salesman.*\.pdf$", download.suggested_filename), (
        download.suggested_filename
    )
    with open(download.path(), "rb") as handle:
        assert handle.read(5) == b"%PDF-"
