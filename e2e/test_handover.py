"""Won -> handover wizard -> delivery tasks, in the real web client (salesman)."""

from playwright.sync_api import expect

LEAD = "E2E Hand me over"


def _rpc(page, model, method, args, kwargs=None):
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


def _setup(page_factory):
    """As the administrator: a delivery manager (Project user) and a lead to hand over."""
    admin = page_factory.login("admin", "admin")
    project_user = _rpc(
        admin, "ir.model.data", "check_object_reference", ["project", "group_project_user"]
    )[1]
    existing = _rpc(admin, "res.users", "search", [[("login", "=", "e2e_delivery")]])
    if not existing:
        _rpc(
            admin,
            "res.users",
            "create",
            [
                {
                    "name": "E2E Delivery Manager",
                    "login": "e2e_delivery",
                    "group_ids": [(4, project_user)],
                }
            ],
        )
    salesman = _rpc(admin, "res.users", "search", [[("login", "=", "e2e_salesman")]])[0]
    _rpc(
        admin,
        "crm.lead",
        "create",
        [{"name": LEAD, "type": "opportunity", "user_id": salesman, "expected_revenue": 88000}],
    )


def test_salesman_marks_won_and_hands_over(page_factory):
    _setup(page_factory)
    page = page_factory.login("e2e_salesman")
    page.goto("/odoo/crm")
    page.wait_for_selector(".o_kanban_renderer")
    page.locator(".o_kanban_record", has_text=LEAD).first.click()
    page.wait_for_selector(".o_form_view")
    page.locator("button[name=action_set_won_rainbowman]").click()

    # "won opens the wizard" (default on): the handover dialog is offered at once
    dialog = page.locator(".modal-dialog", has_text="Hand Over to Delivery")
    expect(dialog).to_be_visible()
    dialog.get_by_role("tab", name="Delivery Tasks").click()
    expect(dialog.locator("div[name=line_ids] .o_data_row")).to_have_count(6)
    dialog.locator("div[name=contract_number] input").fill("HT-E2E-1")
    manager = dialog.locator("div[name=delivery_manager_id] input")
    manager.fill("E2E Delivery")
    page.locator(".o-autocomplete--dropdown-item", has_text="E2E Delivery Manager").first.click()
    dialog.locator("button[name=action_confirm]").click()
    expect(dialog).to_be_hidden()

    page.get_by_role("tab", name="Deal & Handover").click()
    expect(page.locator("div[name=handover_state]").first).to_contain_text("Handed Over")
    expect(page.locator("div[name=contract_number] input").first).to_have_value("HT-E2E-1")
