"""Post-sale care (001 §6): the salesman logs the first revisit of a won deal with the
customer's feedback (客户反馈), then turns its repurchase need into a new opportunity,
linked both ways to the original deal."""

from playwright.sync_api import expect

from e2e.helpers import open_pipeline_card, pick_radio, rpc

DEAL = "E2E Care me"


def test_salesman_logs_care_visit_and_creates_repurchase(page_factory):
    page = page_factory.login("e2e_salesman")
    open_pipeline_card(page, DEAL, search=True)
    page.locator("button[name=action_log_care_visit]").click()

    dialog = page.locator(".modal-dialog", has_text="Log Care Visit")
    expect(dialog).to_be_visible()
    expect(dialog.locator("div[name=kind] select, div[name=kind] input").first).to_be_visible()
    pick_radio(dialog, "satisfaction", "5")
    dialog.locator("div[name=has_repurchase_need] input").check()
    dialog.locator("div[name=repurchase_need] textarea").fill("A second warehouse in Q3.")
    dialog.locator("div[name=repurchase_revenue] input").fill("25000")
    dialog.locator(".modal-footer button", has_text="Save").first.click()
    expect(dialog).to_be_hidden()

    # the visit is on the deal; its form offers the repurchase opportunity
    care_button = page.locator("button[name=action_view_care_visits]")
    expect(care_button).to_contain_text("1")
    care_button.click()
    page.locator(".o_data_row", has_text=DEAL).first.click()
    page.locator("button[name=action_new_repurchase_opportunity]").click()

    # the new opportunity: pre-filled, sourced "Repurchase", linked to the deal
    expect(page.locator(".o_breadcrumb")).to_contain_text("E2E Care Customer Ltd – repurchase")
    expect(page.locator("div[name=expected_revenue] input").first).to_have_value("25,000.00")
    origin_button = page.locator("button[name=action_view_origin_lead]")
    expect(origin_button).to_be_visible()
    [opp] = rpc(
        page,
        "crm.lead",
        "search_read",
        [[("name", "=", "E2E Care Customer Ltd – repurchase")]],
        {"fields": ["source_id", "origin_lead_id", "funnel_origin", "user_id"]},
    )
    assert opp["source_id"][1] == "Repurchase"
    assert opp["origin_lead_id"][1] == DEAL
    assert opp["funnel_origin"] == "repurchase"

    # and back: the original deal's smart button
    origin_button.click()
    expect(page.locator(".o_breadcrumb")).to_contain_text(DEAL)
    expect(page.locator("button[name=action_view_derived_leads]")).to_contain_text("1")
