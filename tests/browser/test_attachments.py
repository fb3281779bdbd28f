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
