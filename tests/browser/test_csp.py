"""The Content-Security-Policy in Chromium: the main pages, the admin and the enhancements (htmx,
site.js) break none of its rules. Chromium reports each refusal as a console error."""

import re

import pytest
from playwright.sync_api import expect

from discussions.models import Answer
from tests.browser.helpers import log_in, screenshot, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_csp(page):
    """The CSP refusals the page reports on the console, as they come."""
    refused = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return refused


def test_the_watcher_sees_a_refusal(site, new_page):
    # So that an empty list below means no refusal, not a deaf watcher.
    page = new_page()
    refused = watch_csp(page)
    page.goto(site.url("/"))
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s); }"
    )
    page.wait_for_timeout(100)
    assert refused and "script-src" in refused[0]


def test_the_main_pages_break_no_rule_of_the_policy(site, new_page):
    page = new_page()
    refused = watch_csp(page)
    for path in [
        "/",
        site.paper.get_absolute_url(),
        "/search/?q=효율",
        "/topics/",
        "/open/",
        "/accounts/login/",
    ]:
        response = page.goto(site.url(path))
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
    assert refused == []


def test_the_admin_breaks_no_rule_of_the_policy(site, new_page, django_user_model):
    django_user_model.objects.create_superuser("curator", "curator@example.com", "pw-curator")
    page = new_page()
    refused = watch_csp(page)
    page.goto(site.url("/admin/login/?next=/admin/"))
    page.fill("#id_username", "curator")
    page.fill("#id_password", "pw-curator")
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(site.url("/admin/"))
    for path in [
        "/admin/discussions/paper/",
        "/admin/discussions/participant/",
        f"/admin/discussions/paper/{site.paper.pk}/change/",
        "/admin/discussions/participant/add/",
    ]:
        page.goto(site.url(path))
        page.wait_for_load_state("networkidle")
    # The admin's own scripts run: the changelist's "select all" checks every row.
    page.goto(site.url("/admin/discussions/participant/"))
    page.locator("#action-toggle").check()
    expect(page.locator("input.action-select").first).to_be_checked()
    screenshot(page, "csp-admin-changelist")
    assert refused == []


def test_htmx_fills_an_open_answer_in_place_under_the_policy(site, new_page, personas):
    slot = Answer.objects.open().filter(author__name="쯔위").order_by("position").first()
    page = new_page()
    refused = watch_csp(page)
    log_in(page, site, "alice", next_path=slot.get_absolute_url())
    item = page.locator(f"#{slot.anchor}")
    item.locator("form.fill-form").get_by_role("textbox").fill("CSP 아래에서 채운 답입니다.")
    with page.expect_response(re.compile(rf"/answers/{slot.pk}/fill/")) as posted:
        item.locator("form.fill-form").get_by_role("button", name=t("Save answer")).click()
    assert posted.value.request.headers.get("hx-request") == "true"  # htmx sent it, not the browser
    expect(page.locator(f"#{slot.anchor}")).to_contain_text("CSP 아래에서 채운 답입니다.")
    assert refused == []
