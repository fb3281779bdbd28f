"""Writing in Chromium: filling an open answer (with and without JavaScript), replying and
editing, and doing it with the keyboard alone."""

import pytest
from playwright.sync_api import expect

from discussions.models import Answer
from tests.browser.helpers import log_in, log_out, screenshot, t

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def first_open_slot(paper):
    """The open answer under the first Q9 (선민's), which 쯔위 owes."""
    return (
        Answer.objects.open().filter(question__paper=paper).order_by("question__position", "position").first()
    )


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_tzuyu_fills_her_open_answer_and_the_slot_closes(site, new_page, personas, javascript):
    slot = first_open_slot(site.paper)
    assert slot.question.signature == "Q9 (선민)" and slot.author.name == "쯔위"
    page = new_page(javascript=javascript)
    log_in(page, site, "alice", "/")

    page.get_by_role("navigation", name=t("Site")).get_by_role("link", name=t("My open answers")).click()
    expect(page).to_have_url(site.url("/open/?mine=1"))
    expect(page.locator("h1")).to_have_text(t("My open answers"))
    page.locator(f'main a[href="{slot.get_absolute_url()}"]').click()
    expect(page).to_have_url(site.url(slot.get_absolute_url()))

    item = page.locator(f"#{slot.anchor}")
    expect(item.locator(".waiting")).to_be_visible()
    form = item.locator("form.fill-form")
    expect(form).to_be_visible()
    screenshot(page, f"2-fill-form-{'htmx' if javascript else 'no-js'}")
    text = "mixture model과 비슷하지만, prompt가 task를 고르는 역할을 한다고 봅니다. $p(y|x)$"
    form.get_by_role("textbox").fill(text)
    form.get_by_role("button", name=t("Save answer")).click()

    item = page.locator(f"#{slot.anchor}")
    expect(item.locator(".prose")).to_contain_text("prompt가 task를 고르는 역할")
    expect(item.locator(".prose math")).to_have_count(1)
    expect(item.locator("form")).to_have_count(0)
    expect(item.locator(".waiting")).to_have_count(0)
    if javascript:
        # Swapped in place: no reload, focus on what arrived.
        expect(item).to_be_focused()
        assert page.url == site.url(slot.get_absolute_url())
    else:
        expect(page.locator(".messages")).to_contain_text(t("Your answer is saved."))
    screenshot(page, f"2-filled-{'htmx' if javascript else 'no-js'}")

    page.reload()
    item = page.locator(f"#{slot.anchor}")
    expect(item.locator(".prose")).to_contain_text("prompt가 task를 고르는 역할")
    expect(item.locator("form")).to_have_count(0)
    slot.refresh_from_db()
    assert slot.body == text

    log_out(page)
    log_in(page, site, "bob", site.paper.get_absolute_url())
    item = page.locator(f"#{slot.anchor}")
    expect(item.locator(".prose")).to_contain_text("prompt가 task를 고르는 역할")
    expect(item.locator("form")).to_have_count(0)
    expect(item.locator("textarea")).to_have_count(0)


def test_sunmin_sees_no_fill_form_on_tzuyus_open_slot(site, new_page, personas):
    slot = first_open_slot(site.paper)
    page = new_page()
    log_in(page, site, "bob", site.paper.get_absolute_url())
    item = page.locator(f"#{slot.anchor}")
    expect(item.locator(".waiting")).to_contain_text("쯔위")
    expect(item.locator("form")).to_have_count(0)


def test_a_member_replies_edits_and_the_history_keeps_both_versions(site, new_page, personas):
    parent = Answer.objects.get(question__paper=site.paper, author__name="정훈", label="A8")
    page = new_page()
    log_in(page, site, "bob", site.paper.get_absolute_url())

    page.locator(f"#{parent.anchor} > .actions").get_by_role("link", name=t("Reply")).click()
    expect(page).to_have_url(site.url(f"/answers/{parent.pk}/reply/"))
    page.get_by_role("textbox").fill("word2vec 예시가 좋네요. 처음 쓴 답글입니다.")
    page.locator("main form button[type=submit]:not([name=preview])").click()

    reply = Answer.objects.get(parent=parent)
    expect(page).to_have_url(site.url(reply.get_absolute_url()))
    item = page.locator(f"#{parent.anchor} .replies #{reply.anchor}")
    expect(item).to_contain_text("처음 쓴 답글입니다.")
    expect(item.locator(".author")).to_have_text("선민")

    item.locator(".actions").get_by_role("link", name=t("Edit")).click()
    textbox = page.get_by_role("textbox")
    expect(textbox).to_have_value("word2vec 예시가 좋네요. 처음 쓴 답글입니다.")
    textbox.fill("word2vec 예시가 좋네요. 고쳐 쓴 답글입니다.")
    page.locator("main form button[type=submit]:not([name=preview])").click()
    expect(page).to_have_url(site.url(reply.get_absolute_url()))
    expect(page.locator(f"#{reply.anchor} .prose")).to_have_text(
        "word2vec 예시가 좋네요. 고쳐 쓴 답글입니다."
    )

    page.locator(f"#{reply.anchor} .actions").get_by_role("link", name=t("History")).click()
    expect(page).to_have_url(site.url(f"/answers/{reply.pk}/history/"))
    versions = page.locator(".version")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("고쳐 쓴 답글입니다.")
    expect(versions.nth(1)).to_contain_text("처음 쓴 답글입니다.")
    screenshot(page, "3-history")


def test_the_fill_form_is_reached_and_submitted_with_the_keyboard_alone(site, new_page, personas):
    slot = first_open_slot(site.paper)
    page = new_page()
    log_in(page, site, "alice", "/open/?mine=1")

    def tab_to(selector, most=60):
        for _ in range(most):
            page.keyboard.press("Tab")
            if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
                return
        raise AssertionError(f"Tab never reached {selector}")

    tab_to(f'main a[href="{slot.get_absolute_url()}"]')
    page.keyboard.press("Enter")
    expect(page).to_have_url(site.url(slot.get_absolute_url()))
    tab_to(f"#{slot.anchor} textarea", most=10)
    page.keyboard.type("키보드만으로 쓴 답변입니다.")
    tab_to(f"#{slot.anchor} button[type=submit]", most=3)
    expect(page.locator(f"#{slot.anchor} button[type=submit]").first).to_be_focused()
    expect(page.locator(":focus")).to_have_text(t("Save answer"))
    screenshot(page, "5-keyboard-before-enter")
    page.keyboard.press("Enter")

    item = page.locator(f"#{slot.anchor}")
    expect(item.locator(".prose")).to_have_text("키보드만으로 쓴 답변입니다.")
    expect(item).to_be_focused()
    screenshot(page, "5-keyboard-saved")
    slot.refresh_from_db()
    assert slot.body == "키보드만으로 쓴 답변입니다."


def test_a_preview_from_the_enhanced_form_shows_the_preview_page(site, new_page, personas):
    slot = first_open_slot(site.paper)
    page = new_page()
    log_in(page, site, "alice", site.paper.get_absolute_url())
    form = page.locator(f"#{slot.anchor} form.fill-form")
    form.get_by_role("textbox").fill("미리 보기: $x^2$")
    form.get_by_role("button", name=t("Preview")).click()
    expect(page.locator(".preview math")).to_have_count(1)
    expect(page.get_by_role("textbox")).to_have_value("미리 보기: $x^2$")
    expect(page.locator("h1")).to_have_text(t("Fill in your answer"))
    slot.refresh_from_db()
    assert slot.is_open
    expect(page).to_have_url(site.url(f"/answers/{slot.pk}/fill/"))


def test_the_enhanced_form_still_refuses_an_empty_answer(site, new_page, personas):
    slot = first_open_slot(site.paper)
    page = new_page()
    log_in(page, site, "alice", site.paper.get_absolute_url())
    posts = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    form = page.locator(f"#{slot.anchor} form.fill-form")
    form.get_by_role("button", name=t("Save answer")).click()
    assert page.evaluate("document.activeElement.name") == "body"  # the browser's own check, no request
    assert posts == []

    form.get_by_role("textbox").fill("   ")
    form.get_by_role("button", name=t("Save answer")).click()
    expect(page.locator(".field-errors")).to_have_text(t("Write something before saving."))
    expect(page.locator("h1")).to_have_text(t("Fill in your answer"))
    slot.refresh_from_db()
    assert slot.is_open
