"""The escalation ladder (issue 17): the team leader finds the leads escalated to them
with the "Escalated to Me" filter; the salesperson sees why on the lead and restarts the
clock with a follow-up.

Lead "E2E Escalate me" (setup_data.py): a month in Lead acquisition, escalated by the
sweep to the team leader (e2e_manager).
"""

from playwright.sync_api import expect

from e2e.helpers import kanban_card, open_pipeline, open_pipeline_card, rpc

LEAD = "E2E Escalate me"


def _apply_filter(page, label):
    page.locator(".o_searchview_dropdown_toggler").click()
    page.locator(".o_filter_menu .o_menu_item").get_by_text(label, exact=True).click()
    page.keyboard.press("Escape")


def test_leader_filters_leads_escalated_to_them(page_factory):
    page = page_factory.login("e2e_manager")
    open_pipeline(page)
    facets = page.locator(".o_searchview_facet")
    while facets.count():
        facets.first.locator(".o_facet_remove").click()
    _apply_filter(page, "Escalated to Me")
    expect(page.locator(".o_searchview_facet")).to_contain_text("Escalated to Me")
    expect(kanban_card(page, LEAD)).to_be_visible()
    expect(page.locator(".o_kanban_record", has_text="E2E Object me")).to_have_count(0)


def test_salesperson_sees_the_escalation_and_restarts_the_clock(page_factory):
    page = page_factory.login("e2e_salesman")
    open_pipeline(page)
    _apply_filter(page, "Escalated")
    expect(kanban_card(page, LEAD)).to_be_visible()
    expect(page.locator(".o_kanban_record", has_text="E2E Object me")).to_have_count(0)
    open_pipeline_card(page, LEAD)
    alert = page.locator("[name=escalation_alert]")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Team Leader Notified")
    expect(alert).to_contain_text("Stage time limit passed")
    page.get_by_role("tab", name="Escalations").click()
    expect(page.locator("div[name=escalation_ids] .o_data_row")).to_have_count(1)

    # a follow-up restarts the clock: the lead is no longer escalated
    [lead] = rpc(page, "crm.lead", "search_read", [[("name", "=", LEAD)]], {"fields": ["id"]})
    rpc(page, "crm.lead", "action_log_followup", [[lead["id"]], {"channel": "phone"}])
    page.reload()
    page.wait_for_selector(".o_form_view .o_form_sheet")
    expect(page.locator("[name=escalation_alert]")).to_be_hidden()
    assert not rpc(
        page, "crm.lead", "search_count", [[("name", "=", LEAD), ("escalation_level", "!=", False)]]
    )
