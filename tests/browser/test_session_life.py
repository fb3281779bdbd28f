"""The whole life of a session in Chromium: proposed, prepared, asked, claimed, requested, filled,
held from its agenda, a removal that would take others' words refused, mail for a member who never
opened Settings, then exported and imported into an empty archive unchanged."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from discussions import mailing
from discussions.models import Answer, Paper, Participant, Preference
from tests.browser.helpers import log_in, log_out, screenshot, t
from tests.test_planning import snapshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Attention Is All You Need"


def test_a_session_from_proposal_to_archive(site, new_page, personas, tmp_path, smtp):
    page = new_page()
    date = (datetime.date.today() + datetime.timedelta(days=7)).isoformat()

    # 선민 (bob) proposes the next session; he presents it.
    log_in(page, site, "bob", "/")
    page.get_by_role("link", name=t("Propose the next session")).click()
    page.fill("#id_title", TITLE)
    page.fill("#id_url", "1706.03762")
    page.fill("#id_session_date", date)
    page.get_by_role("button", name=t("Propose")).click()

    # He completes it: the presenter's description, and two background references.
    expect(page.locator("h1")).to_have_text(t("Prepare the session"))
    page.fill("#id_description", "트랜스포머를 처음 소개한 논문입니다.")
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.locator(".session-status")).to_contain_text(t("Upcoming session"))
    page.get_by_role("link", name=t("Background references"), exact=True).click()
    page.fill("#id_refs-0-label", "The Illustrated Transformer")
    page.fill("#id_refs-0-url", "https://jalammar.github.io/illustrated-transformer/")
    page.select_option("#id_refs-0-kind", "blog")
    page.fill("#id_refs-1-label", "Yannic's video")
    page.fill("#id_refs-1-url", "https://www.youtube.com/watch?v=iDulhoQ2pro")
    page.select_option("#id_refs-1-kind", "video")
    page.get_by_role("button", name=t("Save references")).click()
    expect(page.locator(".background")).to_contain_text("The Illustrated Transformer")
    expect(page.locator(".background")).to_contain_text("Yannic's video")
    paper_url = page.url.split("#")[0]

    # Three members ask.
    for who in ("bob", "alice", "carol"):
        if who != "bob":
            log_out(page)
            log_in(page, site, who, paper_url.removeprefix(site.base))
        form = page.locator("section.ask form")
        form.get_by_role("textbox").fill(f"{who}의 질문: 왜 attention만으로 충분한가요?")
        form.get_by_role("button", name=t("Post question")).click()
        expect(page.locator(".messages")).to_contain_text(t("Your question is posted."))
    paper = Paper.objects.get(title=TITLE)
    bobs, alices, carols = paper.questions.order_by("position")

    # 쯔위 (alice) claims 선민's question.
    log_out(page)
    log_in(page, site, "alice", paper_url.removeprefix(site.base))
    page.locator(f"#{bobs.anchor}").get_by_role("button", name=re.compile(t("I'll answer this"))).click()
    expect(page.locator(".messages")).to_be_visible()
    claim = Answer.objects.open().get(question=bobs)
    assert claim.author.name == "쯔위"

    # 선민, presenting, asks 정훈 (carol) to answer 쯔위's question.
    log_out(page)
    log_in(page, site, "bob", paper_url.removeprefix(site.base))
    page.locator(f"#{alices.anchor}").get_by_role("link", name=t("Ask someone to answer")).click()
    page.select_option("#id_member", str(Participant.objects.get(name="정훈").pk))
    page.get_by_role("button", name=t("Ask to answer")).click()
    assert Answer.objects.open().get(question=alices).author.name == "정훈"

    # 쯔위 fills her claim from her open answers.
    log_out(page)
    log_in(page, site, "alice", "/open/?mine=1")
    page.locator(f'main a[href="{claim.get_absolute_url()}"]').first.click()
    item = page.locator(f"#{claim.anchor}")
    item.locator("form.fill-form textarea").fill("attention이 위치 인코딩과 함께 순서를 담기 때문입니다.")
    item.get_by_role("button", name=t("Save answer")).click()
    expect(page.locator(f"#{claim.anchor} .prose")).to_contain_text("위치 인코딩")

    # The agenda shows what is left: 선민's answered, 쯔위's waiting for 정훈, 정훈's nobody yet.
    page.goto(site.url(f"/papers/{paper.slug}/agenda/"))
    items = page.locator(".agenda-item")
    expect(items).to_have_count(3)
    expect(items.nth(0).locator(".answered")).to_be_visible()
    expect(items.nth(1).locator(".waiting")).to_contain_text("정훈")
    expect(items.nth(2).locator(".nobody")).to_be_visible()
    expect(page.locator(".owed-table")).to_contain_text("정훈")
    items.nth(0).get_by_role("button", name=re.compile(t("Mark as discussed"))).click()
    expect(page.locator(".agenda-item").nth(0)).to_have_class(re.compile("discussed"))
    screenshot(page, "session-agenda", full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".agenda form").first).to_be_hidden()
    screenshot(page, "session-agenda-print", full_page=True)
    page.emulate_media(media="screen")
    phone = new_page(width=375, height=812)
    phone.goto(site.url(f"/papers/{paper.slug}/agenda/"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375  # nothing scrolls sideways on a phone
    screenshot(phone, "session-agenda-phone", full_page=True)

    # 선민 would remove his question: 쯔위 answered it, so it stays, and the page says why.
    log_out(page)
    log_in(page, site, "bob", paper_url.removeprefix(site.base))
    page.goto(site.url(f"/questions/{bobs.pk}/delete/"))
    expect(page.locator(".removal-refused")).to_have_text(
        t("Others answered this; you can edit it, or ask staff to remove it.")
    )
    expect(page.locator(".removal-list")).to_contain_text(claim.signature)
    expect(page.get_by_role("button", name=t("Remove"))).to_have_count(0)
    page.goto(paper_url)
    expect(page.locator(f"#{claim.anchor} .prose")).to_contain_text("위치 인코딩")

    # 정훈 never opened Settings: the daily digest is his default all the same, and tells him
    # 선민 asked him to answer.
    carol = personas["carol"]
    type(carol).objects.filter(pk=carol.pk).update(email="jeonghun@example.com")
    assert not Preference.objects.filter(user=carol).exists()
    mailing.run(now=timezone.now() + datetime.timedelta(hours=25))
    mails = [message for message in smtp.messages if message["To"] == "jeonghun@example.com"]
    assert len(mails) == 1 and TITLE in mails[0].get_body(("plain",)).get_content()

    # Exported through the page's download link, then imported into an empty archive: the same.
    before = snapshot(paper)
    download = page.request.get(site.url(f"/papers/{paper.slug}/download/"))
    assert download.ok
    Paper.objects.all().delete()
    Participant.objects.all().delete()
    path = tmp_path / "session.md"
    path.write_bytes(download.body())
    call_command("import_discussion", str(path), stdout=io.StringIO())
    assert snapshot(Paper.objects.get()) == before
