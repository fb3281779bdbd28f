"""The reading view in Chromium: the paper's PDF beside the thread on a wide screen, above it on
a phone, opened at the page a link asks for."""

import pytest
from playwright.sync_api import expect

from discussions import attachments, writes
from discussions.models import Attachment
from tests.browser.helpers import screenshot
from tests.test_attachments import make_pdf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pdf(site, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    checked = attachments.check_pdf(make_pdf(pages=3), "gpt3.pdf")
    attachment, _ = writes.attach(site.paper, checked, kind=Attachment.Kind.PAPER, user=None)
    return attachment


def boxes(page):
    frame = page.locator("iframe#paper-pdf")
    thread = page.locator(".reading-thread")
    expect(thread.locator("article.question").first).to_be_visible()
    return frame.bounding_box(), thread.bounding_box()


def test_the_reading_view_opens_page_two_beside_the_thread_and_above_it_on_a_phone(site, pdf, new_page):
    path = f"/papers/{site.paper.slug}/read/?page=2"

    page = new_page(width=1400, height=900, javascript=False)
    page.goto(site.url(path))
    src = page.locator("iframe#paper-pdf").get_attribute("src")
    assert src == f"{pdf.get_absolute_url()}#page=2"
    frame, thread = boxes(page)
    # Side by side: the thread starts right of the PDF, at about the same height.
    assert thread["x"] >= frame["x"] + frame["width"]
    assert abs(thread["y"] - frame["y"]) < 80
    screenshot(page, "attachments-reading-wide")

    phone = new_page(width=375, height=812, javascript=False)
    phone.goto(site.url(path))
    frame, thread = boxes(phone)
    # One after the other: the thread below the PDF, both the phone's width, nothing sideways.
    assert thread["y"] >= frame["y"] + frame["height"]
    assert frame["width"] <= 375 and thread["width"] <= 375
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(phone, "attachments-reading-phone")


def test_the_framed_pdf_and_a_figure_break_no_rule_of_the_policy(site, pdf, new_page):
    from discussions.models import Question
    from tests.browser.test_csp import watch_csp

    figure, _ = writes.attach(
        site.paper, attachments.check_image(make_png(), "figure.png"), kind=Attachment.Kind.IMAGE, user=None
    )
    question = Question.objects.shown().filter(paper=site.paper).first()
    writes.save_text(
        question,
        f"{question.body}\n\n![그림]({figure.get_absolute_url()})",
        expected_version=question.version,
        user=None,
    )
    page = new_page()
    refused = watch_csp(page)
    page.on("console", lambda message: "X-Frame-Options" in message.text and refused.append(message.text))
    page.goto(site.url(f"/papers/{site.paper.slug}/read/?page=2"))
    page.wait_for_load_state("networkidle")
    image = page.locator(f'img[src="{figure.get_absolute_url()}"]')
    expect(image).to_be_visible()
    assert image.evaluate("img => img.naturalWidth") == 30
    assert refused == []

    # So that an empty list means no refusal: a page that may not be framed is refused in a frame.
    page.evaluate(
        "() => { const f = document.createElement('iframe'); f.src = '/'; document.body.append(f); }"
    )
    page.wait_for_timeout(500)
    assert refused and "frame-ancestors" in " ".join(refused)


def make_png():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_the_reading_view_and_the_files_page_have_no_serious_accessibility_violations(
    site, pdf, new_page, personas
):
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.helpers import log_in
    from tests.browser.test_accessibility import serious

    axe = Axe()
    page = new_page()
    found = {}
    log_in(page, site, "carol", "/")
    for path in [f"/papers/{site.paper.slug}/read/?page=2", f"/papers/{site.paper.slug}/files/"]:
        page.goto(site.url(path))
        if problems := serious(axe.run(page)):
            found[path] = problems
    assert not found, found
