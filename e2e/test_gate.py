"""The stage gate on the kanban: a drag forward is refused while a required item is open.

Lead "E2E Gate me" (setup_data.py) sits at Need discovery with the SPIN interview done and
the requirements list (客户需求清单) missing.
"""

import re

from playwright.sync_api import expect

from e2e.helpers import (
    choose_many2one,
    drag_card,
    kanban_card,
    kanban_column,
    open_pipeline,
    open_pipeline_card,
)

LEAD = "E2E Gate me"
FROM, TO = "Need discovery", "Solution & proposal"


def test_drag_refused_until_requirements_list_uploaded(page_factory):
    page = page_factory.login("e2e_salesman")
    open_pipeline(page)
    card = kanban_column(page, FROM).locator(".o_kanban_record", has_text=LEAD)
    expect(card).to_be_visible()
    expect(card.locator("[name=funnel_checklist_progress]")).to_contain_text("1/2")
    expect(card).to_contain_text("Blocked")

    # 1. refused: the dialog lists the missing item, the card stays in its column
    drag_card(page, card, kanban_column(page, TO))
    error = page.locator(".o_error_dialog")
    expect(error).to_be_visible()
    expect(error).to_contain_text("required checklist items")
    expect(error).to_contain_text(re.compile(f"{LEAD} — {FROM}: Requirements list"))
    error.locator(".modal-footer button", has_text="Close").click()
    expect(error).to_be_hidden()
    expect(kanban_column(page, FROM).locator(".o_kanban_record", has_text=LEAD)).to_be_visible()
    expect(kanban_column(page, TO).locator(".o_kanban_record", has_text=LEAD)).to_have_count(0)

    # 2. the rep uploads the requirements list confirmed by the customer's buyer
    kanban_card(page, LEAD).click()
    page.wait_for_selector(".o_form_view .o_form_sheet")
    page.get_by_role("tab", name="Checklist").click()
    line = page.locator(".o_funnel_checklist_item", has_text="Requirements list")
    line.locator(".o_funnel_checklist_dropzone input[type=file]").set_input_files(
        files=[
            {
                "name": "requirements_list.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n% E2E requirements list\n",
            }
        ]
    )
    expect(line.locator(".o_funnel_checklist_attachment")).to_contain_text("requirements_list.pdf")
    line.locator(".o_funnel_checklist_confirm").click()
    dialog = page.locator(".modal-dialog", has_text="Requirements list")
    expect(dialog).to_be_visible()
    choose_many2one(page, dialog, "confirmed_partner_id", "E2E Buyer", "E2E Buyer Zhang")
    date_input = dialog.locator("div[name=confirmed_date] input")
    date_input.fill("11/02/2026")
    date_input.press("Tab")
    expect(dialog.locator("div[name=confirmed_date]")).to_contain_text("Nov 2")
    dialog.locator(".modal-footer .o_form_button_save").click()
    expect(dialog).to_be_hidden()
    expect(line.locator(".o_funnel_checklist_check")).to_have_attribute("aria-checked", "true")
    expect(page.locator("div[name=funnel_gate_summary]")).not_to_contain_text("Blocked")

    # 3. the same drag now succeeds
    open_pipeline(page)
    card = kanban_column(page, FROM).locator(".o_kanban_record", has_text=LEAD)
    drag_card(page, card, kanban_column(page, TO))
    expect(kanban_column(page, TO).locator(".o_kanban_record", has_text=LEAD)).to_be_visible()
    expect(kanban_column(page, FROM).locator(".o_kanban_record", has_text=LEAD)).to_have_count(0)
    expect(page.locator(".o_error_dialog")).to_have_count(0)
    open_pipeline(page)  # saved, not only shown
    expect(kanban_column(page, TO).locator(".o_kanban_record", has_text=LEAD)).to_be_visible()


def test_pipeline_prompts_managers_to_adopt(page_factory):
    """A team that has not adopted the standard funnel: its managers see one line above the
    pipeline with the action that adopts it; salesmen do not."""
    salesman = page_factory.login("e2e_salesman")
    open_pipeline(salesman)
    expect(salesman.locator(".o_kanban_record").first).to_be_visible()
    expect(salesman.locator(".o_funnel_adoption_prompt")).to_have_count(0)

    page = page_factory.login("e2e_manager")
    open_pipeline(page)
    prompt = page.locator(".o_funnel_adoption_prompt")
    expect(prompt).to_contain_text("The standard funnel is advisory for E2E Advisory Team")
    prompt.locator(".o_funnel_adopt").click()
    dialog = page.locator(".modal-dialog", has_text="Apply the Standard Funnel")
    expect(dialog.locator("div[name=team_ids]")).to_contain_text("E2E Advisory Team")
    dialog.locator(".modal-footer button", has_text="Apply").click()
    expect(dialog).to_be_hidden()
    page.wait_for_selector(".o_kanban_renderer")
    expect(page.locator(".o_funnel_adoption_prompt")).to_have_count(0)


def test_manager_marks_an_item_not_applicable(page_factory):
    """A sales manager marks "First visit record" not applicable with a reason: the line
    shows the reason, the lead is no longer blocked."""
    page = page_factory.login("e2e_manager")
    open_pipeline_card(page, "E2E Not applicable", search=True)  # the salesman's lead
    expect(page.locator("div[name=funnel_gate_summary]")).to_contain_text("Blocked")
    page.get_by_role("tab", name="Checklist").click()
    row = page.locator(".o_funnel_checklist_item", has_text="First visit record")
    row.locator(".o_funnel_checklist_set_na").click()
    dialog = page.locator(".modal-dialog", has=page.locator("div[name=reason]"))
    expect(dialog).to_be_visible()
    dialog.locator("div[name=reason] textarea").fill("Met at the trade fair")
    dialog.locator(".modal-footer button", has_text="Mark Not Applicable").click()
    expect(dialog).to_be_hidden()
    row = page.locator(".o_funnel_checklist_item", has_text="First visit record")
    expect(row).to_have_class(re.compile("o_funnel_checklist_na"))
    expect(row.locator(".o_funnel_checklist_na_reason")).to_contain_text("Met at the trade fair")
    expect(row).to_have_attribute("title", "Met at the trade fair")
    expect(row.locator(".o_funnel_checklist_set_applicable")).to_be_visible()
    expect(page.locator("div[name=funnel_gate_summary]")).not_to_contain_text("Blocked")
