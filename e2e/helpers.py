"""Small Playwright helpers shared by the browser tests (UI-state waits only, no sleeps)."""

import re

from playwright.sync_api import expect


def rpc(page, model, method, args, kwargs=None):
    """JSON-RPC call with the page's session (checks, never a replacement for the UI flow)."""
    response = page.request.post(
        f"/web/dataset/call_kw/{model}/{method}",
        data={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        },
    )
    payload = response.json()
    assert "error" not in payload, payload
    return payload["result"]


def open_pipeline(page):
    page.goto("/odoo/crm")
    page.wait_for_selector(".o_kanban_renderer")
    return page


def open_menu(page, section, entry):
    """CRM → ``section`` → ``entry`` from the pipeline's top menu."""
    open_pipeline(page)
    page.locator(".o_menu_sections button", has_text=section).click()
    page.locator(".dropdown-menu .dropdown-item", has_text=entry).click()


def kanban_column(page, stage):
    """The kanban column of ``stage`` (exact title)."""
    return page.locator(".o_kanban_group").filter(
        has=page.locator(".o_column_title", has_text=stage)
    )


def drag_card(page, card, column):
    """Drag ``card`` onto ``column`` with real mouse moves (Odoo's sortable needs them).

    The target column is scrolled into view first: a column at the edge of the window
    makes the kanban scroll sideways during the drag and the drop misses it."""
    column.locator(".o_kanban_header").scroll_into_view_if_needed()
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + 15)
    page.mouse.down()
    target = column.locator(".o_kanban_header").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2 + 10, box["y"] + 25, steps=3)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 80, steps=10)
    page.mouse.up()


def kanban_card(page, name):
    return page.locator(".o_kanban_record", has_text=name).first


def open_pipeline_card(page, name, search=False):
    """Open the card ``name`` of the pipeline; ``search``: also won/lost/others' leads."""
    open_pipeline(page)
    if search:
        facets = page.locator(".o_searchview_facet")
        while facets.count():
            facets.first.locator(".o_facet_remove").click()
        page.locator(".o_searchview_input").fill(name)
        page.locator(".o_searchview_input").press("Enter")
        expect(page.locator(".o_kanban_record", has_text=name)).to_have_count(1)
    kanban_card(page, name).click()
    page.wait_for_selector(".o_form_view .o_form_sheet")


def pick_radio(page, field, value):
    page.locator(f"div[name={field}] input[data-value='{value}']").check()


def save_form(page):
    page.locator(".o_form_button_save").click()
    expect(page.locator(".o_form_button_save")).to_be_hidden()


def choose_many2one(page, scope, field, search, option=None):
    """Type ``search`` in the many2one ``field`` of ``scope`` and pick ``option``."""
    option = option or search
    scope.locator(f"div[name={field}] input").fill(search)
    page.locator(".o-autocomplete--dropdown-item", has_text=option).first.click()
    # contacts show as "Company, Person"
    expect(scope.locator(f"div[name={field}] input")).to_have_value(re.compile(re.escape(option)))
