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


def test_staff_remove_the_wrong_pdf_and_the_files_page_says_which_one_the_chips_open(
    site, settings, tmp_path, new_page, personas
):
    from discussions.models import Question
    from tests.browser.helpers import log_in, t

    settings.MEDIA_ROOT = tmp_path / "media"
    right, _ = writes.attach(
        site.paper,
        attachments.check_pdf(make_pdf(pages=3), "gpt3.pdf"),
        kind=Attachment.Kind.PAPER,
        user=None,
    )
    wrong, _ = writes.attach(
        site.paper,
        attachments.check_pdf(make_pdf(pages=2, text="Another paper"), "gpt3.pdf"),
        kind=Attachment.Kind.PAPER,
        user=None,
    )
    figure, _ = writes.attach(
        site.paper, attachments.check_image(make_png(), "plot.png"), kind=Attachment.Kind.IMAGE, user=None
    )
    question = Question.objects.shown().filter(paper=site.paper).first()
    writes.save_text(
        question,
        f"{question.body}\n\n![그림]({figure.get_absolute_url()})",
        expected_version=question.version,
        user=None,
    )
    chips = t("The place chips open this PDF.")
    page = new_page(javascript=False)
    path = f"/papers/{site.paper.slug}/files/"
    log_in(page, site, "carol", path)

    # Two rows of one name: the newest is the one the chips open, and the page says so.
    expect(page.locator(f"#attachment-{wrong.pk}")).to_contain_text(chips)
    expect(page.locator(f"#attachment-{right.pk}")).not_to_contain_text(chips)
    # The figure is listed with its post, not among the PDFs.
    expect(page.locator("ul.attachments.figures")).to_contain_text("plot.png")
    expect(page.locator("ul.attachments.figures a", has_text=question.signature)).to_have_attribute(
        "href", question.get_absolute_url()
    )
    expect(page.locator(".attachment", has_text="plot.png")).to_have_count(0)
    screenshot(page, "attachments-files-two-pdfs")

    page.locator(f"#attachment-{wrong.pk} .actions a").nth(1).click()
    page.locator("main form button.danger").click()
    page.wait_for_url(site.url(path))
    expect(page.locator(f"#attachment-{wrong.pk}")).to_have_count(0)
    expect(page.locator(f"#attachment-{right.pk}")).to_contain_text(chips)
    wrong.refresh_from_db()
    assert wrong.hidden_at is not None and wrong.history.count() == 2
    page.goto(site.url(f"/papers/{site.paper.slug}/read/"))
    assert page.locator("iframe#paper-pdf").get_attribute("src") == right.get_absolute_url()
