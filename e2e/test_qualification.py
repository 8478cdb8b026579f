"""Scoring a lead in the real web client (salesman, then the zh_CN salesman)."""

import re

from playwright.sync_api import expect


def _open_pipeline_card(page, name):
    page.goto("/odoo/crm")
    page.wait_for_selector(".o_kanban_renderer")
    page.locator(".o_kanban_record", has_text=name).first.click()
    page.wait_for_selector(".o_form_view")


def _pick(page, field, value):
    page.locator(f"div[name={field}] input[data-value='{value}']").check()


def test_salesman_scores_lead_grade_badge_appears(page_factory):
    page = page_factory.login("e2e_salesman")
    _open_pipeline_card(page, "E2E Score me")
    page.get_by_role("tab", name="BNDU Qualification").click()
    for field, value in (
        ("bndu_budget", "5"),
        ("bndu_need", "5"),
        ("bndu_decision", "3"),
        ("bndu_urgency", "3"),
    ):
        _pick(page, field, value)
    # total and grade update live, before saving
    expect(page.locator("div[name=bndu_total]").first).to_contain_text("16")
    expect(page.locator("div[name=bndu_grade]").first).to_contain_text("A – High intent")
    page.locator(".o_form_button_save").click()
    expect(page.locator(".o_form_button_save")).to_be_hidden()
    page.goto("/odoo/crm")
    card = page.locator(".o_kanban_record", has_text="E2E Score me").first
    expect(card.locator("[name=bndu_grade]")).to_contain_text("A – High intent")


def test_zh_cn_salesman_sees_chinese_labels(page_factory):
    page = page_factory.login("e2e_salesman_zh", locale="zh-CN")
    _open_pipeline_card(page, "E2E 评分线索")
    page.get_by_role("tab", name="BNDU 意向评估").click()
    expect(page.locator(".o_form_view")).to_contain_text("预算（B）")
    expect(page.locator(".o_form_view")).to_contain_text("5 – 预算明确且匹配方案报价")
    for field in ("bndu_budget", "bndu_need", "bndu_decision", "bndu_urgency"):
        _pick(page, field, "2")
    expect(page.locator("div[name=bndu_grade]").first).to_contain_text(re.compile("B类"))
