"""Playwright fixtures: Debian's Chromium, one logged-in page per test, screenshots on failure."""

import os
import pathlib

import pytest
from playwright.sync_api import expect, sync_playwright

from .browser import launch_chromium

BASE_URL = os.environ.get("E2E_URL", "http://localhost:8071")
DB = os.environ.get("E2E_DB", "sf_e2e")
SHOTS = pathlib.Path(__file__).parent / "screenshots"

# Assertions wait up to 15 s (Playwright's default is 5 s): a dialog that opens after a
# server round trip on a loaded 2-CPU machine is slow, not missing.
expect.set_options(timeout=15000)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        page = item.funcargs.get("page_factory")
        if page is not None:
            SHOTS.mkdir(exist_ok=True)
            for i, opened in enumerate(page.pages):
                opened.screenshot(path=str(SHOTS / f"{item.name}_{i}.png"), full_page=True)


class PageFactory:
    def __init__(self, browser):
        self.browser = browser
        self.pages = []
        self.contexts = []

    def login(self, login, password=None, locale="en-US", viewport=None):
        context = self.browser.new_context(
            base_url=BASE_URL, locale=locale, viewport=viewport or {"width": 1440, "height": 900}
        )
        context.set_default_timeout(30000)
        self.contexts.append(context)
        page = context.new_page()
        self.pages.append(page)
        page.goto(f"/web/login?db={DB}")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", password or login)
        page.click("button[type=submit]")
        # the first page of a fresh server compiles the asset bundles: slow on a busy machine
        page.wait_for_selector(".o_main_navbar", timeout=120000)
        return page

    def close(self):
        for context in self.contexts:
            context.close()


@pytest.fixture
def page_factory(browser):
    factory = PageFactory(browser)
    yield factory
    factory.close()
