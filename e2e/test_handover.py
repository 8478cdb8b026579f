"""Won -> handover wizard -> delivery project and tasks, in the real web client.

The salesman marks his negotiated deal won (every checklist of the stage gates is done, so
only the handover remains); the sales manager, also project administrator, then follows the
delivery from the lead's smart buttons (the salesman has no project access: none shown).
"""

from playwright.sync_api import expect

from e2e.helpers import (
    choose_many2one,
    drag_card,
    kanban_column,
    open_pipeline,
    open_pipeline_card,
)

LEAD = "E2E Hand me over"
PROJECT = "E2E Customer Ltd - E2E Hand me over"


def test_salesman_marks_won_and_hands_over(page_factory):
    page = page_factory.login("e2e_salesman")
    open_pipeline_card(page, LEAD)
    page.locator("button[name=action_set_won_rainbowman]").click()

    # "won opens the wizard" (default on): the handover dialog (客户交接清单) is offered at once
    dialog = page.locator(".modal-dialog", has_text="Hand Over to Delivery")
    expect(dialog).to_be_visible()
    expect(dialog.locator("div[name=project_name] input")).to_have_value(PROJECT)
    dialog.get_by_role("tab", name="Delivery Tasks").click()
    expect(dialog.locator("div[name=line_ids] .o_data_row")).to_have_count(6)
    dialog.locator("div[name=contract_number] input").fill("HT-E2E-1")
    choose_many2one(page, dialog, "delivery_manager_id", "E2E Delivery", "E2E Delivery Manager")
    dialog.locator("button[name=action_confirm]").click()
    expect(dialog).to_be_hidden()

    # the lead is won and handed over
    expect(page.locator(".o_form_view .ribbon", has_text="Won")).to_be_visible()
    page.get_by_role("tab", name="Deal & Handover").click()
    expect(page.locator("div[name=handover_state]").first).to_contain_text("Handed Over")
    expect(page.locator("div[name=contract_number] input").first).to_have_value("HT-E2E-1")

    expect(page.locator("button[name=action_view_handover_tasks]")).to_have_count(0)

    # the manager's smart buttons: the six delivery tasks, then the delivery project
    page = page_factory.login("e2e_manager")
    open_pipeline_card(page, LEAD, search=True)
    tasks_button = page.locator("button[name=action_view_handover_tasks]")
    expect(tasks_button).to_contain_text("6")
    tasks_button.click()
    expect(page.locator(".o_breadcrumb")).to_contain_text("Delivery Tasks")
    rows = page.locator(".o_data_row")
    expect(rows).to_have_count(6)
    expect(rows.first).to_contain_text(PROJECT)
    page.locator(".o_breadcrumb a", has_text=LEAD).click()
    page.locator("button[name=action_view_handover_project]").click()
    expect(page.locator(".o_breadcrumb")).to_contain_text(PROJECT)
    expect(page.locator(".o_form_view div[name=user_id] input")).to_have_value(
        "E2E Delivery Manager"
    )


def test_card_dragged_into_won_offers_the_handover(page_factory):
    """Reps win deals by dragging the card: the handover wizard follows there too."""
    lead = "E2E Drag me to won"
    page = page_factory.login("e2e_salesman")
    open_pipeline(page)
    card = kanban_column(page, "Negotiation").locator(".o_kanban_record", has_text=lead)
    expect(card).to_be_visible()
    drag_card(page, card, kanban_column(page, "Won"))

    dialog = page.locator(".modal-dialog", has_text="Hand Over to Delivery")
    expect(dialog).to_be_visible()
    expect(dialog.locator("div[name=project_name] input")).to_have_value(
        f"E2E Customer Ltd - {lead}"
    )
    # handing over can wait: the deal stays won, still "to hand over"
    dialog.locator(".modal-footer button", has_text="Cancel").click()
    expect(dialog).to_be_hidden()
    open_pipeline(page)
    won_card = kanban_column(page, "Won").locator(".o_kanban_record", has_text=lead)
    expect(won_card).to_be_visible()
    open_pipeline_card(page, lead)
    expect(page.locator(".o_form_view .ribbon", has_text="Won")).to_be_visible()
