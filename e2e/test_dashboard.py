"""The sales manager's weekly review: the funnel dashboard, a period change, the
bottleneck stage's leads."""

from playwright.sync_api import expect

from e2e.helpers import open_pipeline


def test_manager_opens_bottleneck_leads(page_factory):
    page = page_factory.login("e2e_manager")
    open_pipeline(page)
    page.locator(".o_menu_sections button", has_text="Reporting").click()
    # the dashboard is the first entry of Reporting
    first = page.locator(".dropdown-menu .dropdown-item").first
    expect(first).to_have_text("Funnel Dashboard")
    first.click()
    dashboard = page.locator(".o_funnel_dashboard")
    expect(dashboard.locator(".o_funnel_stage")).to_have_count(6)
    expect(dashboard.locator(".o_funnel_stage").first).to_contain_text("Lead acquisition")
    # this quarter holds the leads of this month
    label = dashboard.locator(".o_funnel_dashboard_body p").first
    month_label = label.inner_text()
    dashboard.locator("select.o_funnel_period").select_option("quarter")
    expect(label).not_to_have_text(month_label)
    expect(dashboard.locator(".o_funnel_people tbody tr").first).to_be_visible()
    bottleneck = dashboard.locator(".o_funnel_stage.o_funnel_bottleneck")
    expect(bottleneck).to_have_count(1)
    expect(bottleneck).to_contain_text("Bottleneck")
    reached = int(bottleneck.locator(".o_funnel_reached").inner_text())
    stage_name = bottleneck.locator(".o_funnel_stage_name").inner_text()
    bottleneck.click()
    expect(page.locator(".o_list_renderer")).to_be_visible()
    expect(page.locator(".o_breadcrumb")).to_contain_text("Funnel Dashboard")
    expect(page.locator(".o_list_renderer .o_data_row")).to_have_count(reached)
    # back to the dashboard: the period chosen is kept
    page.locator(".o_breadcrumb a", has_text="Funnel Dashboard").click()
    expect(page.locator("select.o_funnel_period")).to_have_value("quarter")
    expect(page.locator(".o_funnel_stage.o_funnel_bottleneck")).to_contain_text(
        stage_name.split("\n")[0]
    )
