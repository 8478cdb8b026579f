"""Scoring a lead in the real web client (salesman, then the zh_CN salesman)."""

import re

from playwright.sync_api import expect

from e2e.helpers import kanban_card, open_pipeline, open_pipeline_card, pick_radio, save_form

SCORES = (("bndu_budget", "5"), ("bndu_need", "5"), ("bndu_decision", "3"), ("bndu_urgency", "3"))


def test_salesman_scores_lead_grade_badge_and_first_contact_appear(page_factory):
    page = page_factory.login("e2e_salesman")
    open_pipeline_card(page, "E2E Score me")
    # not scored yet: no first-contact activity is planned
    expect(page.locator(".o-mail-Chatter")).to_be_visible()
    expect(page.locator(".o-mail-Activity")).to_have_count(0)
    page.get_by_role("tab", name="BNDU Qualification").click()
    for field, value in SCORES:
        pick_radio(page, field, value)
    # total and grade update live, before saving
    expect(page.locator("div[name=bndu_total]").first).to_contain_text("16")
    expect(page.locator("div[name=bndu_grade]").first).to_contain_text("A – High intent")
    save_form(page)

    # the cadence engine planned the first contact (grade A): shown in the chatter
    activity = page.locator(".o-mail-Activity")
    expect(activity).to_have_count(1)
    activity.get_by_role("button", name="Info").click()
    expect(activity.locator(".o-mail-Activity-details")).to_contain_text("First Contact")
    page.get_by_role("tab", name="Follow-ups").click()
    expect(page.locator("div[name=sla_state]").first).to_contain_text("Pending")

    # and on the pipeline card: the grade badge and the activity button
    open_pipeline(page)
    card = kanban_card(page, "E2E Score me")
    expect(card.locator("[name=bndu_grade]")).to_contain_text("A – High intent")
    button = card.locator(".o-mail-ActivityButton")
    expect(button.locator("i.fa-phone")).to_be_visible()
    button.click()
    expect(page.locator(".o-mail-ActivityListPopoverItem")).to_contain_text("First contact (SLA)")


def test_zh_cn_salesman_sees_chinese_labels(page_factory):
    page = page_factory.login("e2e_salesman_zh", locale="zh-CN")
    open_pipeline_card(page, "E2E 评分线索")
    page.get_by_role("tab", name="BNDU 意向评估").click()
    form = page.locator(".o_form_view")
    expect(form).to_contain_text("预算（B）")
    expect(form).to_contain_text("5 – 预算明确且匹配方案报价")
    for field, _value in SCORES:
        pick_radio(page, field, "2")
    expect(page.locator("div[name=bndu_grade]").first).to_contain_text(re.compile("B类"))
    save_form(page)
    # the first contact is planned, named in Chinese
    activity = page.locator(".o-mail-Activity")
    activity.get_by_role("button", name="信息").click()
    expect(activity.locator(".o-mail-Activity-details")).to_contain_text("首次联系")
    page.get_by_role("tab", name="跟进记录").click()
    expect(page.locator("div[name=sla_state]").first).to_contain_text("待联系")
