"""Checklist owners and approvals (issue 18): the owner's "My Checklist Items" (待处理阶段
任务) with the overdue line, completed there; the team leader approves a request."""

import re

from playwright.sync_api import expect

from e2e.helpers import open_menu, rpc


def _line(page, lead_name, item_name):
    return rpc(
        page,
        "crm.lead.checklist.line",
        "search_read",
        [[("lead_id.name", "=", lead_name), ("item_id.name", "=", item_name)]],
        {"fields": ["is_done", "approval_state", "done_user_id"]},
    )[0]


def test_owner_completes_the_overdue_line(page_factory):
    page = page_factory.login("e2e_legal")
    open_menu(page, "Sales", "My Checklist Items")
    expect(page.locator(".o_breadcrumb")).to_contain_text("My Checklist Items")
    row = page.locator(".o_data_row", has_text="E2E Legal review")
    expect(row).to_be_visible()
    expect(row).to_have_class(re.compile("text-danger"))  # overdue
    row.locator("button[name=action_mark_done]").click()
    expect(row.locator("button[name=action_mark_done]")).to_have_count(0)
    line = _line(page, "E2E Legal review", "E2E Contract terms reviewed")
    assert line["is_done"] and line["done_user_id"][1] == "E2E Legal", line


def test_team_leader_approves_the_request(page_factory):
    page = page_factory.login("e2e_manager")
    open_menu(page, "Sales", "My Checklist Items")
    awaiting = rpc(
        page, "crm.lead.checklist.line", "search_read", [[("awaiting_my_approval", "=", True)]]
    )
    assert [line["lead_id"][1] for line in awaiting] == ["E2E Approve me"], awaiting
    row = page.locator(".o_data_row", has_text="E2E Approve me")
    expect(row).to_contain_text("E2E Discount approved")
    row.locator("button[name=action_approve]").click()
    expect(row.locator("button[name=action_approve]")).to_have_count(0)
    line = _line(page, "E2E Approve me", "E2E Discount approved")
    assert line["approval_state"] == "approved" and line["is_done"], line
