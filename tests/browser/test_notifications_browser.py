"""소연 asks, 선민 answers, 소연 sees the count in the header, opens it and lands on the answer."""

import re

import pytest
from playwright.sync_api import expect

from discussions.models import Answer, Participant
from tests.browser.helpers import log_in, log_out, screenshot, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_soyeon_is_told_of_sunmins_answer_and_lands_on_it(site, new_page, personas, django_user_model):
    soyeon = django_user_model.objects.create_user("soyeon", password="pw-soyeon")
    Participant.objects.filter(name="소연").update(user=soyeon)
    page = new_page()
    paper_path = site.paper.get_absolute_url()

    log_in(page, site, "soyeon", paper_path)
    form = page.locator("section.ask form")
    form.get_by_role("textbox").fill("in-context learning은 정말 학습인가요?")
    form.get_by_role("button", name=t("Post question")).click()
    expect(page.locator(".notifications-link .count")).to_have_count(0)
    log_out(page)

    log_in(page, site, "bob", paper_path)
    question = site.paper.questions.get(body="in-context learning은 정말 학습인가요?")
    page.locator(f"#{question.anchor}").get_by_role("link", name=t("Answer"), exact=True).click()
    page.get_by_role("textbox").fill("gradient 없이도 예시에서 배운다는 점에서 일종의 학습입니다.")
    page.get_by_role("button", name=t("Save"), exact=True).click()
    log_out(page)

    log_in(page, site, "soyeon", "/")
    count = page.locator(".notifications-link .count")
    expect(count).to_have_text(re.compile(r"^1\b"))
    screenshot(page, "notifications-count")
    page.locator(".notifications-link").click()
    expect(page.locator(".notification.unread")).to_have_count(1)
    screenshot(page, "notifications-page")
    page.locator(".notification.unread a").first.click()
    answer = Answer.objects.get(body__startswith="gradient 없이도")
    expect(page).to_have_url(re.compile(re.escape(answer.get_absolute_url()) + "$"))
    expect(page.locator(f"#{answer.anchor}")).to_be_visible()
    expect(page.locator(".notifications-link .count")).to_have_count(0)
