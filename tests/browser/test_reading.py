"""Reading the archive in Chromium: a visitor's path, phones, and the interface in English."""

import re

import pytest
from playwright.sync_api import expect

from discussions.models import Answer, Question
from tests.browser.helpers import PAPER_TITLE, screenshot, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_reads_a_thread_follows_a_topic_and_searches(site, new_page):
    first_q4 = Question.objects.filter(paper=site.paper, label="Q4").order_by("position").first()
    page = new_page()
    page.goto(site.url("/"))
    page.get_by_role("link", name=PAPER_TITLE).click()
    expect(page).to_have_url(site.url(site.paper.get_absolute_url()))
    expect(page.locator("h1")).to_have_text(PAPER_TITLE)

    # The table of contents lists the questions; the first Q4 is 소연's.
    toc = page.get_by_role("navigation", name=t("Questions"))
    toc.get_by_role("link", name=re.compile(r"^Q4 소연")).click()
    expect(page).to_have_url(re.compile(f"#{first_q4.anchor}$"))
    question = page.locator(f"#{first_q4.anchor}")
    expect(question).to_be_in_viewport()
    expect(question.get_by_role("heading")).to_contain_text("Q4 소연")

    answer = question.locator("li.answer").filter(has=page.locator(".author", has_text="선민"))
    expect(answer).to_be_visible()
    expect(answer).to_contain_text("잠재 표현(latent representation)")
    screenshot(page, "1-visitor-q4")

    question.locator("a.topic", has_text="bias").click()
    expect(page).to_have_url(site.url("/topics/bias/"))
    expect(page.locator("h1")).to_have_text("bias")
    expect(page.locator("main")).to_contain_text(first_q4.signature)

    search = page.get_by_role("search").get_by_role("searchbox")
    search.fill("효율")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"/search/\?q=%ED%9A%A8%EC%9C%A8$"))
    expect(page.get_by_role("search").get_by_role("searchbox")).to_have_value("효율")
    expect(page.locator("main")).to_contain_text("효율")
    screenshot(page, "1-visitor-search")


def test_copy_link_copies_the_items_address(site, new_page):
    answer = Answer.objects.filter(author__name="선민").order_by("position").first()
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(site.url(site.paper.get_absolute_url()))
    item = page.locator(f"#{answer.anchor}")
    link = item.locator("a.copy-link").first
    expect(link).to_have_attribute("href", answer.get_absolute_url())
    link.click()
    assert page.evaluate("navigator.clipboard.readText()") == site.url(answer.get_absolute_url())
    expect(page.locator("#live-status")).to_have_text(t("Link copied"))


def test_without_javascript_copy_link_is_a_plain_link_to_the_item(site, new_page):
    answer = Answer.objects.filter(author__name="선민").order_by("position").first()
    page = new_page(javascript=False)
    page.goto(site.url("/"))
    page.goto(site.url(site.paper.get_absolute_url()))
    page.locator(f"#{answer.anchor} a.copy-link").first.click()
    expect(page).to_have_url(site.url(answer.get_absolute_url()))


PHONE_PAGES = [
    "/",
    "/papers/language-models-are-few-shot-learners/",
    "/topics/",
    "/topics/bias/",
    "/search/?q=%ED%9A%A8%EC%9C%A8",
    "/open/",
    "/accounts/login/",
]


def test_no_page_scrolls_sideways_on_a_phone(site, new_page, personas):
    page = new_page(width=375, height=812, is_mobile=True, has_touch=True)
    paths = [*PHONE_PAGES, f"/answers/{Answer.objects.filter(author__name='선민').first().pk}/history/"]
    for path in paths:
        page.goto(site.url(path))
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways: {widths}"
    screenshot(page, "4-phone-history")

    # A member's view has the fill form and more links in the header.
    from tests.browser.helpers import log_in

    log_in(page, site, "alice", "/open/?mine=1")
    for path in [site.paper.get_absolute_url(), "/open/?mine=1"]:
        page.goto(site.url(path))
        widths = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"{path} scrolls sideways for a member: {widths}"
    slot = Answer.objects.open().order_by("question__position", "position").first()
    page.goto(site.url(slot.get_absolute_url()))
    screenshot(page, "4-phone-fill-form")
    page.goto(site.url(site.paper.get_absolute_url()))
    screenshot(page, "4-phone-paper")


def test_the_interface_switches_to_english_and_the_discussion_stays_as_written(site, new_page):
    q4 = Question.objects.filter(paper=site.paper, label="Q4").order_by("position").first()
    new_page().goto(site.url(site.paper.get_absolute_url()))  # another visitor: the page is now cached
    page = new_page()
    page.goto(site.url(site.paper.get_absolute_url()))
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.get_by_role("heading", name=t("Discussion"), exact=True)).to_be_visible()
    korean_body = page.locator(f"#{q4.anchor} .prose").first.inner_text()

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(site.url(site.paper.get_absolute_url()))
    nav = page.get_by_role("navigation", name="Site")
    expect(nav.get_by_role("link", name="Waiting for answers")).to_be_visible()
    expect(page.get_by_role("heading", name="Discussion", exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Waiting for 쯔위")
    assert page.locator(f"#{q4.anchor} .prose").first.inner_text() == korean_body
    screenshot(page, "6-english")

    # The choice sticks from page to page, and switches back.
    page.get_by_role("link", name="Waiting for answers").first.click()
    expect(page.locator("h1")).to_have_text("Waiting for answers")
    page.get_by_role("button", name="한국어").click()
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    expect(page.locator("h1")).to_have_text(t("Waiting for answers"))
