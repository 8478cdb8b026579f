"""The lead's Checklist tab (issue 18): items grouped by stage, guidance visible, one click to
tick, a file dropped or uploaded on a document item, the template to download, the gate's
refusal, and the same checklist usable on a phone-sized window.

Leads "E2E Checklist me" / "E2E Checklist mobile" (setup_data.py) sit at Need discovery,
earlier stages done, the SPIN interview and the requirements list (with a template) open.
"""

import re

from playwright.sync_api import expect

from e2e.helpers import choose_many2one, rpc

LEAD = "E2E Checklist me"


def open_checklist(page, name, tab="Checklist"):
    """The lead's form, Checklist tab (by URL: the same on a phone-sized window)."""
    [lead_id] = rpc(page, "crm.lead", "search", [[["name", "=", name]]])
    page.goto(f"/odoo/crm/{lead_id}")
    page.wait_for_selector(".o_form_view .o_form_sheet")
    page.get_by_role("tab", name=tab, exact=True).click()
    checklist = page.locator(".o_funnel_checklist")
    expect(checklist).to_be_visible()
    return checklist


def stage_section(checklist, stage):
    return checklist.locator(".o_funnel_checklist_stage").filter(
        has=checklist.page.locator(".o_funnel_checklist_stage_name", has_text=stage)
    )


def item(checklist, name):
    return checklist.locator(".o_funnel_checklist_item").filter(
        has=checklist.page.locator(".o_funnel_checklist_name", has_text=name)
    )


def drop_file(page, target, name, content):
    """Drop a file on ``target`` as the browser does when a file is dragged from the desktop."""
    transfer = page.evaluate_handle(
        """([name, content]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([content], name, {type: "application/pdf"}));
            return transfer;
        }""",
        [name, content],
    )
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    target.dispatch_event("drop", {"dataTransfer": transfer})


def test_salesman_works_through_the_checklist(page_factory):
    page = page_factory.login("e2e_salesman")
    checklist = open_checklist(page, LEAD)

    # 1. grouped by stage: the current stage first and open, the stages passed folded
    sections = checklist.locator(".o_funnel_checklist_stage_name")
    expect(sections.first).to_have_text("Need discovery")
    current = stage_section(checklist, "Need discovery")
    expect(current).to_have_class(re.compile("o_funnel_checklist_current"))
    expect(current).to_contain_text("Current stage")
    qualification = stage_section(checklist, "Qualification")
    expect(qualification.locator(".o_funnel_checklist_item")).to_have_count(0)
    qualification.locator(".o_funnel_checklist_stage_header").click()
    budget = item(checklist, "Budget (B) scored")
    expect(budget).to_be_visible()
    expect(budget.locator(".o_funnel_checklist_field_hint")).to_contain_text("Budget")

    # 2. names in full, the guidance visible (SPIN questions)
    spin = item(checklist, "SPIN interview done")
    expect(spin.locator(".o_funnel_checklist_guidance")).to_contain_text("S – Situation")
    requirements = item(checklist, "Requirements list")
    expect(requirements.locator(".o_funnel_checklist_guidance")).to_be_visible()
    expect(requirements.locator(".o_funnel_checklist_required")).to_be_visible()

    # 3. one click ticks the SPIN interview, saved (still ticked after a reload)
    check = spin.locator(".o_funnel_checklist_check")
    expect(check).to_have_attribute("aria-checked", "false")
    check.click()
    expect(check).to_have_attribute("aria-checked", "true")
    expect(spin.locator(".o_funnel_checklist_done_by")).to_contain_text("E2E Salesman")
    page.reload()
    checklist = open_checklist(page, LEAD)
    spin = item(checklist, "SPIN interview done")
    expect(spin.locator(".o_funnel_checklist_check")).to_have_attribute("aria-checked", "true")

    # 4. the template is there to download; a document item cannot be ticked by hand (the
    #    server's message)
    requirements = item(checklist, "Requirements list")
    template = requirements.locator("a.o_funnel_checklist_template")
    expect(template).to_contain_text("requirements_list_template.txt")
    expect(template).to_have_attribute("href", re.compile("field=template_file"))
    assert page.request.get(template.get_attribute("href")).text() == "Requirements list template"
    requirements.locator(".o_funnel_checklist_check").click()
    notification = page.locator(".o_notification", has_text="cannot be ticked by hand")
    expect(notification).to_be_visible()
    expect(requirements.locator(".o_funnel_checklist_check")).to_have_attribute(
        "aria-checked", "false"
    )

    # 5. the gate refuses to move on while the requirements list is missing
    page.locator(".o_statusbar_status button", has_text="Solution & proposal").click()
    error = page.locator(".o_error_dialog")
    expect(error).to_contain_text("required checklist items")
    expect(error).to_contain_text("Requirements list")
    error.locator(".modal-footer button", has_text="Close").click()
    expect(error).to_be_hidden()
    page.reload()
    checklist = open_checklist(page, LEAD)
    expect(page.locator(".o_statusbar_status button.o_arrow_button_current")).to_have_text(
        re.compile("Need discovery")
    )

    # 6. the requirements list uploaded, then the customer's confirmation: done
    requirements = item(checklist, "Requirements list")
    requirements.locator(".o_funnel_checklist_dropzone input[type=file]").set_input_files(
        files=[
            {
                "name": "requirements_list.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n% E2E requirements list\n",
            }
        ]
    )
    expect(requirements.locator(".o_funnel_checklist_attachment")).to_contain_text(
        "requirements_list.pdf"
    )
    expect(requirements.locator(".o_funnel_checklist_check")).to_have_attribute(
        "aria-checked", "false"
    )
    requirements.locator(".o_funnel_checklist_confirm").click()
    dialog = page.locator(".modal-dialog", has_text="Requirements list")
    choose_many2one(page, dialog, "confirmed_partner_id", "E2E Buyer", "E2E Buyer Zhang")
    date_input = dialog.locator("div[name=confirmed_date] input")
    date_input.fill("11/02/2026")
    date_input.press("Tab")
    dialog.locator(".modal-footer .o_form_button_save").click()
    expect(dialog).to_be_hidden()
    expect(requirements.locator(".o_funnel_checklist_check")).to_have_attribute(
        "aria-checked", "true"
    )
    expect(requirements.locator(".o_funnel_checklist_confirmation")).to_contain_text(
        "E2E Buyer Zhang"
    )
    expect(page.locator("div[name=funnel_gate_summary]")).not_to_contain_text("Blocked")

    # 7. the move now succeeds; a proposal dropped on its item completes it
    page.locator(".o_statusbar_status button", has_text="Solution & proposal").click()
    current = stage_section(checklist, "Solution & proposal")
    expect(current).to_have_class(re.compile("o_funnel_checklist_current"))
    proposal = item(checklist, "Proposal with function, value and case")
    drop_file(page, proposal, "proposal.pdf", "%PDF-1.4\n% E2E proposal\n")
    expect(proposal.locator(".o_funnel_checklist_attachment")).to_contain_text("proposal.pdf")
    expect(proposal.locator(".o_funnel_checklist_check")).to_have_attribute("aria-checked", "true")
    [line] = rpc(
        page,
        "crm.lead.checklist.line",
        "search_read",
        [[["lead_id.name", "=", LEAD], ["name", "=", "Proposal with function, value and case"]]],
        {"fields": ["is_done", "attachment_ids"]},
    )
    assert line["is_done"] and len(line["attachment_ids"]) == 1


def test_checklist_on_a_phone(page_factory):
    """At 390 px the checklist stacks: no sideways scrolling, the checkbox is clickable."""
    page = page_factory.login("e2e_salesman", viewport={"width": 390, "height": 844})
    checklist = open_checklist(page, "E2E Checklist mobile")
    spin = item(checklist, "SPIN interview done")
    expect(spin.locator(".o_funnel_checklist_guidance")).to_be_visible()
    widths = page.evaluate(
        """() => ({
            page: document.documentElement.scrollWidth,
            window: window.innerWidth,
            checklist: document.querySelector('.o_funnel_checklist').scrollWidth,
            box: document.querySelector('.o_funnel_checklist').clientWidth,
        })"""
    )
    assert widths["page"] <= widths["window"], widths
    assert widths["checklist"] <= widths["box"], widths
    name_box = spin.locator(".o_funnel_checklist_name").bounding_box()
    assert name_box["x"] + name_box["width"] <= 390, name_box
    check = spin.locator(".o_funnel_checklist_check")
    box = check.bounding_box()
    assert box["width"] >= 30 and box["height"] >= 30, box
    check.click()
    expect(check).to_have_attribute("aria-checked", "true")
    upload = item(checklist, "Requirements list").locator(".o_funnel_checklist_upload")
    expect(upload).to_be_visible()


def test_gate_refusal_in_chinese(page_factory):
    """A zh_CN salesman: the checklist in his language's stage names, the gate's refusal in
    Chinese when he moves on with the items of Lead acquisition open."""
    page = page_factory.login("e2e_salesman_zh", locale="zh-CN")
    checklist = open_checklist(page, "E2E 评分线索", tab="检查清单")
    current = checklist.locator(".o_funnel_checklist_current")
    expect(current.locator(".o_funnel_checklist_item")).to_have_count(2)
    expect(current.locator(".o_funnel_checklist_check").first).to_have_attribute(
        "aria-checked", "false"
    )
    [stage_id] = rpc(page, "crm.stage", "search", [[["funnel_role", "=", "qualification"]]])
    page.locator(f".o_statusbar_status button[data-value='{stage_id}']").click()
    error = page.locator(".o_error_dialog")
    expect(error).to_contain_text("必填检查项完成前不能变更阶段")
    expect(error).to_contain_text("E2E 评分线索")
