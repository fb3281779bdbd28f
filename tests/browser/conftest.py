"""End-to-end tests in Debian's Chromium, driven by Playwright, against the real app.

pytest-django's `live_server` runs the app on a free local port against the test database;
one browser is started per session and each test gets a fresh context (cookies, viewport,
language, colour scheme). Run them alone with `pytest -m browser`.
"""

import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told the calls are deliberate (they are: plain test code).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium fonts-nanum"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def site(live_server, seeded):
    """The app with the GPT-3 archive, served on a free port; `site.url("/open/")`."""

    class Site:
        base = live_server.url
        paper = seeded

        def url(self, path):
            return self.base + path

    return Site()


@pytest.fixture
def new_page(browser, request):
    """`new_page(viewport=…, locale=…)`: a page in a fresh browser context, closed after the test."""
    contexts = []

    def make(width=1280, height=900, locale="ko-KR", color_scheme="light", javascript=True, **extra):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            color_scheme=color_scheme,
            reduced_motion="reduce",
            java_script_enabled=javascript,
            **extra,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def java():
    found = shutil.which("java")
    if not found:
        if os.environ.get("CI"):
            pytest.fail("java is missing: the Nu Html Checker needs it")
        pytest.skip("java is missing: the Nu Html Checker needs it")
    return found


def pytest_unconfigure(config):
    """A run without Chromium is not a green run of the browser tests: say so last, where it is read."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return
    skipped = [
        report
        for report in reporter.stats.get("skipped", [])
        if "chromium" in str(report.longrepr) or "java is missing" in str(report.longrepr)
    ]
    if skipped:
        reporter.write_sep("!", f"{len(skipped)} BROWSER TESTS DID NOT RUN", red=True, bold=True)
        reporter.write_line(
            "Chromium, its Korean font or Java is missing: apt-get install chromium fonts-nanum "
            "default-jre-headless (.ci/run installs them). Nothing was checked in a real browser.",
            red=True,
        )
