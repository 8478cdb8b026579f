"""Screenshots of the real web client for the Apps page (issue 8).

Run by scripts/screenshots.sh against a running Odoo with the demo database:
    SHOTS_URL=http://localhost:8076 SHOTS_DB=sf_screenshots python scripts/screenshots.py
Writes PNGs to sales_funnel_std/static/description/screenshots/. Waits on UI state only.
"""

import os
import pathlib
import sys

from playwright.sync_api import expect, sync_playwright

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
from e2e.browser import launch_chromium

BASE_URL = os.environ.get("SHOTS_URL", "http://localhost:8076")
DB = os.environ.get("SHOTS_DB", "sf_screenshots")
OUT = pathlib.Path(__file__).resolve().parent.parent / (
    "sales_funnel_std/static/description/screenshots"
)
VIEWPORT = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
HIDE_CHAT = """document.addEventListener("DOMContentLoaded", () => {
    const style = document.createElement("style");
    style.textContent = ".o-mail-ChatHub, .o-mail-ChatWindow {display: none !important}";
    document.head.appendChild(style);
});"""


def login(browser, login, locale="en-US", viewport=VIEWPORT):
    context = browser.new_context(base_url=BASE_URL, locale=locale, viewport=viewport)
    context.set_default_timeout(30000)
    page = context.new_page()
    page.goto(f"/web/login?db={DB}")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", login)
    page.click("button[type=submit]")
    page.wait_for_selector(".o_main_navbar")
    return page


def rpc(page, model, method, args, kwargs=None):
    return page.evaluate(
        """async ([model, method, args, kwargs]) => {
            const response = await fetch('/web/dataset/call_kw', {
                method: 'POST',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify({jsonrpc: '2.0', method: 'call', params: {
                    model, method, args, kwargs}}),
            });
            const data = await response.json();
            if (data.error) { throw new Error(JSON.stringify(data.error)); }
            return data.result;
        }""",
        [model, method, args, kwargs or {}],
    )


def lead_id(page, name):
    ids = rpc(
        page,
        "crm.lead",
        "search",
        [[["name", "=", name]]],
        {"limit": 1, "context": {"active_test": False}},
    )
    assert ids, f"demo lead {name!r} not found: is this a demo database?"
    return ids[0]


def settle(page):
    """Wait until the web client shows no loading indicator and no pending animation."""
    expect(page.locator(".o_loading_indicator")).to_have_count(0)
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def shot(page, name, **kwargs):
    settle(page)
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), **kwargs)
    print(f"[screenshots] {path.relative_to(OUT.parents[3])} ({path.stat().st_size // 1024} KB)")


def pipeline(page, name, all_leads=True):
    page.goto("/odoo/crm")
    page.wait_for_selector(".o_kanban_renderer .o_kanban_record")
    if all_leads:
        # drop the default "My Pipeline" filter: the manager sees both teams
        facets = page.locator(".o_searchview_facet .o_facet_remove")
        while facets.count():
            facets.first.click()
        # an empty "My Pipeline" shows sample cards: wait for the real ones
        expect(page.locator(".o_view_sample_data")).to_have_count(0)
        expect(page.locator(".o_kanban_record", has_text="Fleet tracking platform")).to_be_visible()
    shot(page, name)


def open_lead(page, name, tab=None):
    page.goto(f"/odoo/crm/{lead_id(page, name)}")
    page.wait_for_selector(".o_form_view .o_form_sheet")
    if tab:
        page.get_by_role("tab", name=tab, exact=True).click()
        expect(page.locator(".o_notebook .nav-link.active")).to_have_text(tab)


def show_checklist(page):
    """Scroll the lead's Checklist tab to the top of the form (the widget under its tabs)."""
    expect(page.locator(".o_funnel_checklist_item").first).to_be_visible()
    page.evaluate(
        "() => document.querySelector('.o_notebook_headers').scrollIntoView({block: 'start'})"
    )


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        manager = login(browser, "manager")
        pipeline(manager, "pipeline")

        salesman = login(browser, "salesman1")
        open_lead(salesman, "Yard management", "BNDU Qualification")
        shot(salesman, "lead_bndu")
        open_lead(salesman, "Predictive maintenance pilot", "Checklist")
        show_checklist(salesman)
        shot(salesman, "lead_checklist")
        # the gate: moving on with the requirements list missing is refused
        salesman.locator(".o_statusbar_status button", has_text="Solution & proposal").click()
        dialog = salesman.locator(".modal-dialog")
        expect(dialog).to_contain_text("Requirements list")
        shot(salesman, "gate_refusal")
        dialog.locator(".modal-footer button").first.click()
        expect(dialog).to_have_count(0)
        open_lead(salesman, "Yard management", "Follow-ups")
        shot(salesman, "lead_followups")
        # screening (issue 15): the profile, the suggestion to confirm, intake timeliness
        open_lead(salesman, "Injection moulding line upgrade", "Screening")
        shot(salesman, "lead_screening")
        open_lead(salesman, "Spare parts portal")
        salesman.locator("button[name=action_open_handover_wizard]").first.click()
        wizard = salesman.locator(".modal-dialog .o_form_view")
        expect(wizard).to_be_visible()
        wizard.get_by_role("tab", name="Delivery Tasks").click()
        expect(wizard.locator(".o_data_row").first).to_be_visible()
        shot(salesman, "handover_wizard")

        manager.goto("/odoo/action-sales_funnel_std.crm_funnel_report_action")
        manager.wait_for_selector(".o_graph_renderer canvas")
        shot(manager, "funnel_analysis")

        # targets (issue 15): actual vs target of this period, and a signed-off agreement
        manager.goto("/odoo/action-sales_funnel_std.crm_funnel_target_progress_action")
        manager.wait_for_selector(".o_list_renderer .o_data_row")
        shot(manager, "targets")
        manager.goto("/odoo/action-sales_team.crm_team_action_pipeline")
        expect(manager.locator(".o_funnel_team_target").first).to_be_visible()
        shot(manager, "team_targets")

        # objections and post-sale care (issue 16), forecast (issue 17)
        open_lead(manager, "MES 系统升级", "Objections")
        shot(manager, "lead_objections")
        manager.goto("/odoo/action-sales_funnel_std.crm_lead_care_action")
        manager.wait_for_selector(".o_list_renderer .o_data_row, .o_pivot, .o_graph_renderer")
        shot(manager, "customer_care")
        manager.goto("/odoo/action-sales_funnel_std.crm_funnel_forecast_action")
        manager.wait_for_selector(".o_graph_renderer canvas")
        shot(manager, "revenue_forecast")
        # the weekly review as a picture (issue 20): this quarter's funnel, its bottleneck
        manager.goto("/odoo/action-sales_funnel_std.crm_funnel_dashboard_action")
        manager.wait_for_selector(".o_funnel_stage")
        label = manager.locator(".o_funnel_period_label").inner_text()
        manager.locator("select.o_funnel_period").select_option("quarter")
        expect(manager.locator(".o_funnel_period_label")).not_to_have_text(label)
        shot(manager, "funnel_dashboard")
        # the escalation ladder (issue 17): why the lead is escalated, its log
        open_lead(manager, "POS upgrade for 40 stores", "Escalations")
        expect(manager.locator("[name=escalation_alert]")).to_be_visible()
        shot(manager, "lead_escalation")

        admin = login(browser, "admin")
        admin.goto("/odoo/action-crm.crm_config_settings_action")
        block = admin.locator(".o_settings_container", has_text="Criterion Weights").first
        block.scroll_into_view_if_needed()
        admin.evaluate(
            "() => document.querySelector('[name=bndu_qualification]')"
            "?.scrollIntoView({block: 'start'})"
        )
        shot(admin, "settings")

        # the checklist on a phone (issue 18): stacked, the same actions
        phone = login(browser, "salesman1", viewport=PHONE)
        # a chat window would cover the form on a phone-sized window
        phone.context.add_init_script(HIDE_CHAT)
        open_lead(phone, "Predictive maintenance pilot", "Checklist")
        show_checklist(phone)
        shot(phone, "lead_checklist_mobile")

        salesman_zh = login(browser, "salesman2", locale="zh-CN")
        pipeline(salesman_zh, "pipeline_zh_CN", all_leads=False)
        # 张伟's 《销售目标责任书》, in his language (the HTML of the PDF report)
        target_ids = rpc(
            salesman_zh, "crm.funnel.target", "search", [[["level", "=", "user"]]], {"limit": 1}
        )
        salesman_zh.goto(f"/report/html/sales_funnel_std.report_target_agreement/{target_ids[0]}")
        salesman_zh.wait_for_selector(".o_funnel_target_agreement")
        shot(salesman_zh, "target_agreement_zh_CN")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
