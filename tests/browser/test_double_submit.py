"""A double click, and Back then submit again, make one post: the form's one-time token."""

import pytest
from playwright.sync_api import expect

from discussions.models import Answer, Question
from tests.browser.helpers import log_in, screenshot, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def hold_requests(page, pattern, seconds=0.4):
    """Slow the form's POST down, as a slow connection would, so the second click lands while
    the first request is still on its way."""
    import time

    def slow(route):
        if route.request.method == "POST":
            time.sleep(seconds)
        route.continue_()

    page.route(pattern, slow)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_double_click_on_post_question_makes_one_question(site, new_page, personas, javascript):
    page = new_page(javascript=javascript)
    log_in(page, site, "bob", site.paper.get_absolute_url())
    form = page.locator("section.ask form")
    form.get_by_role("textbox").fill("두 번 눌러도 한 번만 올라가는 질문")
    hold_requests(page, "**/ask/")
    form.get_by_role("button", name=t("Post question")).dblclick()
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_be_visible()
    screenshot(page, f"double-click-ask-{'js' if javascript else 'no-js'}")
    assert Question.objects.filter(body="두 번 눌러도 한 번만 올라가는 질문").count() == 1


def test_back_then_submit_again_makes_one_answer(site, new_page, personas):
    question = Question.objects.filter(label="Q2").first()
    page = new_page()
    log_in(page, site, "bob", f"/questions/{question.pk}/answer/")
    page.get_by_role("textbox").fill("뒤로 갔다가 다시 보낸 답")
    page.get_by_role("button", name=t("Save"), exact=True).click()
    page.wait_for_url(f"**{site.paper.get_absolute_url()}#*")
    page.go_back()
    expect(page.get_by_role("textbox")).to_have_value("뒤로 갔다가 다시 보낸 답")
    page.get_by_role("button", name=t("Save"), exact=True).click()
    page.wait_for_url(f"**{site.paper.get_absolute_url()}#*")
    expect(page.locator(".messages")).to_contain_text(t("This was posted already; here it is."))
    assert Answer.objects.filter(body="뒤로 갔다가 다시 보낸 답").count() == 1
