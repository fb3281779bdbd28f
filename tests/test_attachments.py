"""A session's files: the paper's PDF and the slides, figures in posts, serving them, reading
the paper beside the thread, and carrying them through a backup."""

import io
import os
import re
import subprocess
import sys
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from fpdf import FPDF
from PIL import Image

from discussions import attachments, writes
from discussions.models import Answer, Attachment, Participant, Question


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Each test stores its files in a folder of its own, never in the project's data/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def make_pdf(pages=2, text="Attention"):
    pdf = FPDF()
    pdf.set_font("helvetica", size=14)
    for number in range(1, pages + 1):
        pdf.add_page()
        pdf.cell(text=f"{text}, page {number}")
    return bytes(pdf.output())


def photo_with_gps():
    """A JPEG as a phone makes it: EXIF with the camera and a GPS position."""
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 12"  # Model
    exif[0x8825] = {1: "N", 2: (37.0, 33.0, 59.0), 3: "E", 4: (126.0, 58.0, 40.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif()[0x010F] == "PhoneMaker"  # the test's own premise
    return data


def png(size=(30, 20), mode="RGB"):
    out = io.BytesIO()
    Image.new(mode, size).save(out, "PNG")
    return out.getvalue()


def upload(client, paper, data, name="paper.pdf", kind="paper"):
    return client.post(
        reverse("discussions:paper_files", args=[paper.slug]),
        {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )


# Uploading the paper and the slides


def test_the_presenter_attaches_the_papers_pdf_and_it_is_stored(session, as_persona):
    data = make_pdf()
    response = upload(as_persona("bob"), session, data)
    assert response.status_code == 302
    attachment = Attachment.objects.get()
    assert (attachment.paper, attachment.kind, attachment.original_name) == (session, "paper", "paper.pdf")
    assert (attachment.size, attachment.content_type) == (len(data), "application/pdf")
    assert attachment.uploaded_by.username == "bob"
    assert attachment.page_index == {"pages": 2, "starts": {}}  # read at upload: no captions in it
    with default_storage.open(attachment.file.name) as stored:
        assert stored.read() == data
    assert attachment.history.get().history_user.username == "bob"


@pytest.mark.parametrize(
    ("persona", "status"), [("anonymous", 302), ("alice", 403), ("bob", 302), ("carol", 302)]
)
def test_only_the_presenter_and_staff_attach_files(session, as_persona, persona, status):
    client = as_persona(persona)
    response = upload(client, session, make_pdf())
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    assert Attachment.objects.count() == (1 if persona in ("bob", "carol") else 0)
    page = client.get(reverse("discussions:paper_files", args=[session.slug]))
    assert page.status_code == {"anonymous": 302, "alice": 403}.get(persona, 200)


def test_the_same_file_uploaded_twice_is_one_attachment(session, as_persona):
    client = as_persona("bob")
    data = make_pdf()
    upload(client, session, data)
    second = upload(client, session, data, name="paper-again.pdf")
    assert second.status_code == 302
    assert Attachment.objects.count() == 1
    assert Attachment.history.count() == 1
    page = client.get(second["Location"])
    assert "This file was attached already" in page.content.decode() or "이미" in page.content.decode()
    # The same bytes as the slides are another attachment (one stored file).
    upload(client, session, data, name="slides.pdf", kind="slides")
    assert list(Attachment.objects.values_list("kind", flat=True).order_by("kind")) == ["paper", "slides"]
    assert len(set(Attachment.objects.values_list("file", flat=True))) == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"This is a text file renamed paper.pdf\n", "does not start as a PDF"),
        (b"%PDF-1.7\nnot really a PDF after the header\n", "cannot be read|can be read"),
        (png(), "does not start as a PDF"),
    ],
)
def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_stored(session, as_persona, media, data, message):
    client = as_persona("bob")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = upload(client, session, data)
    assert response.status_code == 200
    assert re.search(message, response.content.decode())
    assert Attachment.objects.count() == 0
    assert not media.exists() or not any(media.rglob("*.pdf"))


def test_a_pdf_over_the_limit_is_refused_with_its_size(session, as_persona, monkeypatch):
    monkeypatch.setattr(attachments, "MAX_PDF_BYTES", 1000)
    client = as_persona("bob")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = upload(client, session, make_pdf(pages=3))
    assert response.status_code == 200
    assert "a file here may hold 1000" in response.content.decode()
    assert Attachment.objects.count() == 0


def test_a_body_over_the_upload_limit_is_refused_before_it_is_read(session, as_persona):
    # 30 MB and more: the request-body middleware answers 413 from Content-Length alone.
    response = upload(as_persona("bob"), session, b"%PDF-" + b"0" * attachments.UPLOAD_BODY_BYTES)
    assert response.status_code == 413
    assert Attachment.objects.count() == 0


# Serving


def test_a_pdf_is_served_inline_with_its_type_and_may_be_framed_by_the_site_only(session, as_persona, client):
    data = make_pdf()
    upload(as_persona("bob"), session, data, name="어텐션.pdf")
    attachment = Attachment.objects.get()
    client.logout()
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == data
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "utf-8''%EC%96%B4%ED%85%90%EC%85%98.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    # Every other page still refuses to be framed.
    page = client.get(session.get_absolute_url())
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"] and page["X-Frame-Options"] == "DENY"
    assert client.get(reverse("discussions:attachment", args=[attachment.pk + 1])).status_code == 404


def test_a_file_gone_from_the_storage_is_a_404_not_a_500(session, as_persona, client):
    upload(as_persona("bob"), session, make_pdf())
    attachment = Attachment.objects.get()
    default_storage.delete(attachment.file.name)
    assert client.get(attachment.get_absolute_url()).status_code == 404


# Reading the paper beside the thread


def test_the_reading_view_opens_the_pdf_at_the_page_asked(session, seeded, as_persona, client):
    upload(as_persona("bob"), session, make_pdf())
    attachment = Attachment.objects.get()
    client.logout()
    url = reverse("discussions:read", args=[session.slug])
    html = client.get(url + "?page=2").content.decode()
    assert f'src="{attachment.get_absolute_url()}#page=2"' in html
    html = client.get(url).content.decode()
    assert f'src="{attachment.get_absolute_url()}"' in html
    for junk in ("abc", "0", "-1", "99999999999", "２", ""):
        response = client.get(url, {"page": junk})
        assert (response.status_code, response["Location"]) == (302, url), junk


@pytest.mark.parametrize("questions", [3, 30])
def test_the_reading_view_costs_the_same_queries_at_any_size(
    session, as_persona, client, questions, django_assert_num_queries
):
    upload(as_persona("bob"), session, make_pdf())
    client.logout()
    people = list(Participant.objects.all())
    for i in range(questions):
        question, _ = writes.ask(session, author=people[i % len(people)], body=f"질문 {i}", user=None)
        writes.answer(question, author=people[(i + 1) % len(people)], body=f"답 {i}", user=None)
    # generation, the paper, its questions with authors, their topics, their answers with authors, the PDF
    with django_assert_num_queries(6):
        response = client.get(reverse("discussions:read", args=[session.slug]), {"page": "3"})
    assert response.status_code == 200 and b"#page=3" in response.content


def test_an_s3_bucket_in_the_environment_makes_the_storage_django_storages_s3(tmp_path):
    # Not a test against S3: the settings name the backend, and it is built without a request.
    script = (
        "import django; django.setup();"
        "from django.core.files.storage import storages; s = storages['default'];"
        "print(type(s).__module__, s.bucket_name)"
    )
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "studygroup.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "AWS_STORAGE_BUCKET_NAME": "study-files",
        "AWS_S3_REGION_NAME": "ap-northeast-2",
    }
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["storages.backends.s3", "study-files"]


def test_the_reading_view_shows_the_thread_and_says_when_no_pdf_is_attached(seeded, client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = client.get(reverse("discussions:read", args=[seeded.slug]))
    html = response.content.decode()
    assert "No PDF is attached to this session yet." in html and "<iframe" not in html
    assert seeded.questions.first().body_html[:40] in html


def test_the_reading_page_allows_a_same_origin_frame_only(seeded, client):
    policy = client.get(reverse("discussions:read", args=[seeded.slug]))["Content-Security-Policy"]
    assert "frame-src 'self'" in policy and "object-src 'none'" in policy


def test_the_paper_page_links_the_reading_view_and_the_files_for_the_presenter(session, as_persona):
    html = as_persona("bob").get(session.get_absolute_url()).content.decode()
    assert reverse("discussions:read", args=[session.slug]) in html
    assert reverse("discussions:paper_files", args=[session.slug]) in html
    html = as_persona("alice").get(session.get_absolute_url()).content.decode()
    assert reverse("discussions:paper_files", args=[session.slug]) not in html


# Figures in posts


def answer_with_image(client, question, data, name="figure.png", body="그림을 보세요."):
    return client.post(
        reverse("discussions:answer", args=[question.pk]),
        {"body": body, "token": writes.new_token(), "image": SimpleUploadedFile(name, data)},
    )


def test_a_member_answers_with_a_figure_and_its_exif_is_stripped(seeded, as_persona):
    question = Question.objects.shown().filter(paper=seeded).first()
    response = answer_with_image(as_persona("alice"), question, photo_with_gps(), name="photo.jpg")
    assert response.status_code == 302
    figure = Attachment.objects.get()
    assert (figure.kind, figure.content_type, figure.paper) == ("image", "image/jpeg", seeded)
    with default_storage.open(figure.file.name) as stored:
        image = Image.open(stored)
        image.load()
    assert image.size == (64, 48)
    assert not image.getexif() and "exif" not in image.info
    answer = Answer.objects.get(body__contains=figure.get_absolute_url())
    assert answer.body.endswith(f"({figure.get_absolute_url()})")
    assert f'<img src="{figure.get_absolute_url()}"' in answer.body_html
    served = as_persona("alice").get(figure.get_absolute_url())
    assert served["Content-Type"] == "image/jpeg" and served["Content-Disposition"].startswith("inline")


def test_a_figure_is_stored_at_most_2560_pixels_a_side_and_a_jpeg_stays_a_jpeg():
    wide = attachments.check_image(png(size=(3000, 1000)), "wide.png")
    assert Image.open(io.BytesIO(wide.data)).size == (2560, 853)
    assert (wide.content_type, wide.extension) == ("image/png", "png")
    photo = attachments.check_image(photo_with_gps(), "photo.jpg")
    assert Image.open(io.BytesIO(photo.data)).format == "JPEG"


def test_a_figure_is_added_when_editing_a_post(seeded, as_persona):
    question = Question.objects.shown().filter(paper=seeded).first()
    client = as_persona("carol")  # staff edit anyone's post
    response = client.post(
        reverse("discussions:edit_question", args=[question.pk]),
        {"body": question.body, "version": question.version, "image": SimpleUploadedFile("f.png", png())},
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.body.endswith(f"({Attachment.objects.get().get_absolute_url()})")
    assert question.history.first().history_user.username == "carol"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"just text, named like a picture\n", "figure.png", "not an image that can be read"),
        (png(size=(10_000, 6_000), mode="1"), "bomb.png", "too large an image"),
        (b"\x89PNG" + b"0" * attachments.MAX_IMAGE_BYTES, "huge.png", "may hold 5.0"),
    ],
)
def test_an_image_that_cannot_be_decoded_or_is_too_big_is_refused_and_the_text_kept(
    seeded, as_persona, data, name, message
):
    question = Question.objects.shown().filter(paper=seeded).first()
    client = as_persona("alice")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    before = Answer.objects.count()
    response = answer_with_image(client, question, data, name=name, body="내가 쓴 글은 남는다")
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html and "내가 쓴 글은 남는다" in html
    assert Answer.objects.count() == before and Attachment.objects.count() == 0


def test_a_double_submit_with_a_figure_makes_one_post_and_one_attachment(seeded, as_persona):
    question = Question.objects.shown().filter(paper=seeded).first()
    client = as_persona("alice")
    token = writes.new_token()
    for _ in range(2):
        client.post(
            reverse("discussions:answer", args=[question.pk]),
            {"body": "같은 그림", "token": token, "image": SimpleUploadedFile("f.png", png())},
        )
    assert Attachment.objects.count() == 1
    assert Answer.objects.filter(body__startswith="같은 그림").count() == 1


def test_an_exported_file_carries_the_figure_as_a_link(seeded, as_persona, client):
    question = Question.objects.shown().filter(paper=seeded).first()
    answer_with_image(as_persona("alice"), question, png())
    text = client.get(reverse("discussions:paper_download", args=[seeded.slug])).content.decode()
    assert f"({Attachment.objects.get().get_absolute_url()})" in text


# Backup and restore


def test_a_backup_carries_the_files_and_restores_them(transactional_db, session, as_persona, media, tmp_path):
    data = make_pdf(pages=3)
    upload(as_persona("bob"), session, data)
    attachment = Attachment.objects.get()
    out = StringIO()
    call_command("backup", "-o", str(tmp_path / "backups"), stdout=out)
    path = out.getvalue().strip()
    with zipfile.ZipFile(path) as backup:
        assert backup.read(f"files/{attachment.file.name}") == data

    call_command("flush", interactive=False, verbosity=0)
    default_storage.delete(attachment.file.name)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    call_command("restore", path, stdout=StringIO())

    restored = Attachment.objects.get()
    assert (restored.pk, restored.sha256, restored.file.name) == (
        attachment.pk,
        attachment.sha256,
        attachment.file.name,
    )
    with default_storage.open(restored.file.name) as stored:
        assert stored.read() == data
    assert restored.history.count() == 1


def test_a_restore_onto_storage_that_still_holds_the_files_stores_none_twice(
    transactional_db, session, as_persona, media, tmp_path
):
    """A new database over the same bucket or folder: the bytes are there under their names (their
    SHA-256), so the restore writes none of them again and the rows keep pointing at them."""
    upload(as_persona("bob"), session, make_pdf(pages=2))
    attachment = Attachment.objects.get()
    out = StringIO()
    call_command("backup", "-o", str(tmp_path / "backups"), stdout=out)
    call_command("flush", interactive=False, verbosity=0)
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()
    stored_before = sorted(path.name for path in media.rglob("*") if path.is_file())
    call_command("restore", out.getvalue().strip(), stdout=StringIO())
    assert sorted(path.name for path in media.rglob("*") if path.is_file()) == stored_before
    assert Attachment.objects.get().file.name == attachment.file.name


def test_a_restore_refuses_a_backup_that_lacks_a_file_its_rows_name(
    transactional_db, session, as_persona, tmp_path
):
    upload(as_persona("bob"), session, make_pdf())
    out = StringIO()
    call_command("backup", "-o", str(tmp_path / "backups"), stdout=out)
    path = out.getvalue().strip()
    stripped = tmp_path / "stripped.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(stripped, "w") as target:
        for item in source.infolist():
            if not item.filename.startswith("files/"):
                target.writestr(item, source.read(item))
    call_command("flush", interactive=False, verbosity=0)
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.base import CommandError

    ContentType.objects.clear_cache()
    with pytest.raises(CommandError, match="missing from the backup"):
        call_command("restore", str(stripped), stdout=StringIO())
    assert Attachment.objects.count() == 0


def test_the_admin_lists_attachments_with_their_history_and_adds_none(session, personas, staff_client):
    checked = attachments.check_pdf(make_pdf(), "listed.pdf")
    attachment, _ = writes.attach(session, checked, kind=Attachment.Kind.PAPER, user=personas["carol"])
    listing = staff_client.get(reverse("admin:discussions_attachment_changelist"))
    assert listing.status_code == 200 and "listed.pdf" in listing.content.decode()
    history = staff_client.get(reverse("admin:discussions_attachment_history", args=[attachment.pk]))
    assert history.status_code == 200 and "carol" in history.content.decode()
    assert staff_client.get(reverse("admin:discussions_attachment_add")).status_code == 403


def test_a_posts_place_opens_the_papers_pdf_at_the_page_where_it_starts(session, as_persona, client):
    from discussions import writes as write_path
    from discussions.models import Participant

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for caption in ("1 Introduction", "Figure 2.1: Zero-shot, one-shot and few-shot", "Table 6: Results"):
        pdf.add_page()
        pdf.cell(text=caption)
    assert upload(as_persona("bob"), session, bytes(pdf.output())).status_code == 302
    question, _ = write_path.ask(
        session,
        author=Participant.objects.get(name="소연"),
        body="Figure 2.1을 보면 Table 6 과 다르게",
        user=None,
    )
    html = as_persona("anonymous").get(session.get_absolute_url()).content.decode()
    read = reverse("discussions:read", args=[session.slug])
    assert f'href="{read}?page=2"' in html and f'href="{read}?page=3"' in html
    page = client.get(f"{read}?page=2").content.decode()
    assert "#page=2" in page


def test_a_visitor_who_read_the_thread_before_the_pdf_came_sees_its_pages_after(session, as_persona, client):
    """A visitor's question blocks are kept (discussions.blocks): the session's PDF is in their key."""
    question, _ = writes.ask(
        session, author=Participant.objects.get(name="소연"), body="Figure 2.1을 보면", user=None
    )
    read = reverse("discussions:read", args=[session.slug])
    assert f'href="{read}?page=' not in client.get(session.get_absolute_url()).content.decode()
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for caption in ("1 Introduction", "Figure 2.1: Zero-shot, one-shot and few-shot"):
        pdf.add_page()
        pdf.cell(text=caption)
    assert upload(as_persona("bob"), session, bytes(pdf.output())).status_code == 302
    assert f'href="{read}?page=2"' in client.get(session.get_absolute_url()).content.decode()


# Fixing a wrong PDF: which one the chips open, replacing, removing


def two_papers(client, session):
    """Two uploads of the paper under one name, the second the right one."""
    upload(client, session, make_pdf(pages=2, text="wrong"), name="roberta-small.pdf")
    upload(client, session, make_pdf(pages=3, text="right"), name="roberta-small.pdf")
    return list(Attachment.objects.order_by("pk"))


def files_page(client, session):
    return client.get(reverse("discussions:paper_files", args=[session.slug])).content.decode()


def row_of(html, attachment):
    start = html.index(f'id="attachment-{attachment.pk}"')
    return html[start : html.index("</li>", start)]


def test_the_files_page_says_which_pdf_the_chips_open(session, as_persona):
    client = as_persona("bob")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    older, newer = two_papers(client, session)
    html = files_page(client, session)
    assert "The place chips open this PDF." in row_of(html, newer)
    assert "The place chips open this PDF." not in row_of(html, older)
    assert html.count("The place chips open this PDF.") == 1
    assert "Its 3 pages are indexed." in row_of(html, newer)
    assert "Its 2 pages are indexed." in row_of(html, older)
    read = client.get(reverse("discussions:read", args=[session.slug])).content.decode()
    assert f'src="{newer.get_absolute_url()}"' in read


def test_the_presenter_removes_the_wrong_pdf_and_its_history_keeps_it(session, as_persona):
    client = as_persona("bob")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    right, wrong = two_papers(client, session)  # the wrong one came last: the chips open it
    remove = reverse("discussions:remove_attachment", args=[wrong.pk])
    confirm = client.get(remove).content.decode()
    assert "The place chips open this PDF now" in confirm and "roberta-small.pdf" in confirm
    assert client.post(remove).status_code == 302

    wrong.refresh_from_db()
    assert wrong.hidden_at is not None
    versions = list(wrong.history.order_by("history_id"))
    assert [(v.hidden_at is None, v.history_change_reason) for v in versions] == [
        (True, None),
        (False, "removed"),
    ]
    assert versions[-1].history_user.username == "bob"
    html = files_page(client, session)
    assert f'id="attachment-{wrong.pk}"' not in html
    assert "The place chips open this PDF." in row_of(html, right)
    # Visitors are not served it any more; its remover still is, to see what was removed.
    assert as_persona("anonymous").get(wrong.get_absolute_url()).status_code == 404
    served = as_persona("carol").get(wrong.get_absolute_url())
    assert served.status_code == 200 and served["Cache-Control"] == "private, no-store"
    # A second click says so, and changes nothing.
    client = as_persona("bob")
    again = client.post(remove, follow=True)
    assert "This file was removed meanwhile." in again.content.decode()
    assert wrong.history.count() == 2


def test_the_same_file_uploaded_again_after_its_removal_is_a_new_attachment(session, as_persona):
    client = as_persona("bob")
    data = make_pdf()
    upload(client, session, data)
    first = Attachment.objects.get()
    client.post(reverse("discussions:remove_attachment", args=[first.pk]))
    upload(client, session, data)
    second = Attachment.objects.shown().get()
    assert second.pk != first.pk and second.file.name == first.file.name


def test_the_presenter_replaces_a_pdf_in_one_step(session, as_persona):
    client = as_persona("bob")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    data = make_pdf(pages=2)
    upload(client, session, data, name="slides-v1.pdf", kind="slides")
    old = Attachment.objects.get()
    url = reverse("discussions:replace_attachment", args=[old.pk])
    assert "slides-v1.pdf" in client.get(url).content.decode()

    same = client.post(url, {"file": SimpleUploadedFile("again.pdf", data)}, follow=True)
    assert "This is the file already there" in same.content.decode()
    refused = client.post(url, {"file": SimpleUploadedFile("notes.pdf", b"just text")})
    assert refused.status_code == 200 and "does not start as a PDF" in refused.content.decode()
    assert Attachment.objects.shown().get() == old

    response = client.post(url, {"file": SimpleUploadedFile("slides-v2.pdf", make_pdf(pages=4))})
    assert response.status_code == 302
    new = Attachment.objects.shown().get()
    assert (new.original_name, new.kind, new.page_index["pages"]) == ("slides-v2.pdf", "slides", 4)
    old.refresh_from_db()
    assert old.hidden_at is not None
    assert old.history.first().history_change_reason == "replaced by slides-v2.pdf"
    assert paper_pdf_of(session) == new


def paper_pdf_of(paper):
    from discussions.reading import paper_pdf

    return paper_pdf(paper)


@pytest.mark.parametrize(("persona", "status"), [("anonymous", 302), ("alice", 403), ("carol", 200)])
def test_only_the_presenter_and_staff_replace_or_remove_a_file(session, as_persona, persona, status):
    upload(as_persona("bob"), session, make_pdf())
    attachment = Attachment.objects.get()
    client = as_persona(persona)
    for name in ("remove_attachment", "replace_attachment"):
        assert client.get(reverse(f"discussions:{name}", args=[attachment.pk])).status_code == status
    response = client.post(reverse("discussions:remove_attachment", args=[attachment.pk]))
    attachment.refresh_from_db()
    assert (attachment.hidden_at is not None) == (persona == "carol")
    assert response.status_code == (302 if persona in ("anonymous", "carol") else 403)
    missing = client.get(reverse("discussions:remove_attachment", args=[999_999]))
    assert missing.status_code == (302 if persona == "anonymous" else 404)


def test_a_figure_is_listed_with_its_post_not_among_the_sessions_pdfs(seeded, as_persona, django_user_model):
    question = Question.objects.shown().filter(paper=seeded).first()
    answer_with_image(as_persona("alice"), question, png(), name="plot.png")
    figure = Attachment.objects.get(kind="image")
    answer = Answer.objects.get(body__contains=figure.get_absolute_url())
    client = as_persona("carol")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    upload(client, seeded, make_pdf(), name="gpt3.pdf")
    html = client.get(reverse("discussions:paper_files", args=[seeded.slug])).content.decode()
    pdfs, figures = html.split("Figures in posts", 1)
    assert "gpt3.pdf" in pdfs and "plot.png" not in pdfs
    assert "plot.png" in figures and f'href="{answer.get_absolute_url()}"' in figures
    assert answer.signature in figures
    # A figure has no remove or replace of its own: its post's edit changes it.
    assert client.get(reverse("discussions:remove_attachment", args=[figure.pk])).status_code == 404


@pytest.mark.parametrize("figures", [1, 6])
def test_the_files_page_costs_the_same_queries_whatever_it_lists(
    seeded, as_persona, figures, django_assert_num_queries
):
    question = Question.objects.shown().filter(paper=seeded).first()
    alice = as_persona("alice")
    for number in range(figures):
        answer_with_image(alice, question, png(size=(10 + number, 10)), name=f"f{number}.png")
    client = as_persona("carol")
    for number in range(figures):
        upload(client, seeded, make_pdf(pages=1, text=f"version {number}"), name=f"v{number}.pdf")
    url = reverse("discussions:paper_files", args=[seeded.slug])
    # session, user, the paper, its shown files with their uploaders, the questions and the
    # answers that link figures, the PDF the chips open, the header's unread notifications, member
    with django_assert_num_queries(9):
        response = client.get(url)
    assert response.status_code == 200 and response.content.decode().count('class="attachment"') == figures
