"""Customer objections: the salesman logs one in the customer's words on the Objections
tab, the card shows it, the answer activity is scheduled; answering it in the list marks
it Answered and the answer activity done.

Lead "E2E Object me" (setup_data.py) is the salesman's, at Lead acquisition.
"""

from playwright.sync_api import expect

from e2e.helpers import kanban_card, open_pipeline, open_pipeline_card, rpc, save_form

LEAD = "E2E Object me"
WORDS = "The price is 10% above our budget."


def test_log_and_answer_objection(page_factory):
    page = page_factory.login("e2e_salesman")
    open_pipeline_card(page, LEAD)
    page.get_by_role("tab", name="Objections").click()
    field = page.locator("div[name=objection_ids]")
    field.get_by_role("button", name="Add a line").click()
    row = field.locator(".o_data_row.o_selected_row")
    expect(row).to_be_visible()
    row.locator("div[name=type_id] input").fill("Price")
    page.locator(".o-autocomplete--dropdown-item", has_text="Price").first.click()
    row.locator("div[name=customer_words] textarea").fill(WORDS)
    save_form(page)
    saved = field.locator(".o_data_row", has_text=WORDS)
    expect(saved).to_be_visible()
    expect(saved).to_contain_text("Not Answered")
    expect(saved.locator("td[name=stage_id]")).to_contain_text("Lead acquisition")

    # the answer activity is the salesman's, on the deadline's day
    [objection] = rpc(
        page,
        "crm.lead.objection",
        "search_read",
        [[("lead_id.name", "=", LEAD)]],
        {"fields": ["state", "activity_id", "response_deadline", "stage_id"]},
    )
    assert objection["state"] == "open"
    assert objection["activity_id"], "the answer activity is scheduled"
    [lead] = rpc(
        page,
        "crm.lead",
        "search_read",
        [[("name", "=", LEAD)]],
        {"fields": ["objection_open_count", "objection_clear"]},
    )
    assert lead["objection_open_count"] == 1 and not lead["objection_clear"]

    # the card shows the open objection
    open_pipeline(page)
    expect(kanban_card(page, LEAD).locator("[name=objection_badges]")).to_contain_text(
        "1 open objection(s)"
    )

    # answer it in the list: Answered, the activity done
    open_pipeline_card(page, LEAD)
    page.get_by_role("tab", name="Objections").click()
    field = page.locator("div[name=objection_ids]")
    field.locator(".o_data_row", has_text=WORDS).locator("td[name=response]").click()
    row = field.locator(".o_data_row.o_selected_row")
    row.locator("div[name=response] textarea").fill("Offered payment in three instalments.")
    save_form(page)
    expect(field.locator(".o_data_row", has_text=WORDS)).to_contain_text("Answered")
    [objection] = rpc(
        page,
        "crm.lead.objection",
        "search_read",
        [[("lead_id.name", "=", LEAD)]],
        {"fields": ["state", "responded_by_id", "response_late"]},
    )
    assert objection["state"] == "answered"
    assert objection["responded_by_id"], "who answered is recorded"
    assert not objection["response_late"]
    activities = rpc(
        page,
        "mail.activity",
        "search_count",
        [[("res_model", "=", "crm.lead"), ("activity_type_id.name", "=", "Answer Objection")]],
    )
    assert activities == 0, "the answer activity is done"
