"""Work outside the request: a PDF's pages are indexed by the task worker (`manage.py db_worker`,
django-tasks with its database backend), in a child process the kernel stops at its limits."""

import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_tasks_db.models import DBTaskResult
from fpdf import FPDF

from discussions import writes
from discussions.models import Attachment, Participant
from discussions.reading import paper_pdf
from tests.test_pdfindex import crafted_pdf

# The worker's own database rows and commits: not inside a test's transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def database_tasks(settings, tmp_path):
    """Tasks wait in the database until the worker runs them, as in production."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


def paper_with_captions():
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for caption in ("1 Introduction", "Figure 2.1: Zero-shot, one-shot and few-shot", "Table 6: Results"):
        pdf.add_page()
        pdf.cell(text=caption)
    return bytes(pdf.output())


def upload(client, paper, data, name="paper.pdf"):
    return client.post(
        reverse("discussions:paper_files", args=[paper.slug]),
        {"kind": "paper", "file": SimpleUploadedFile(name, data, content_type="application/pdf")},
    )


def run_worker():
    """`manage.py db_worker --batch`: every task waiting, then it exits (its signal handlers put back)."""
    handlers = {
        number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)
    }
    try:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)


def test_an_upload_answers_before_the_pdf_is_read_and_the_worker_brings_the_chips(
    session, as_persona, client
):
    writes.ask(
        session,
        author=Participant.objects.get(name="소연"),
        body="Figure 2.1을 보면 Table 6 과 다르게",
        user=None,
    )
    # A crafted PDF that takes pypdf seconds is not read in the request: the upload answers at once.
    client = as_persona("bob")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert upload(client, session, crafted_pdf(400_000), name="crafted.pdf").status_code == 302
    crafted = Attachment.objects.get()
    assert crafted.page_index is None and crafted.index_pending
    waiting = DBTaskResult.objects.get()
    assert (waiting.task_path, waiting.status, waiting.args_kwargs["args"]) == (
        "discussions.tasks.index_pages",
        "READY",
        [crafted.pk],
    )
    files = client.get(reverse("discussions:paper_files", args=[session.slug])).content.decode()
    assert "Its pages are being indexed" in files

    # The real paper, uploaded next, is the one the chips open; the crafted one is removed before
    # the worker comes by, so the worker spends nothing on it.
    assert upload(client, session, paper_with_captions()).status_code == 302
    paper = paper_pdf(session)
    assert paper.original_name == "paper.pdf" and paper.page_index is None
    read = reverse("discussions:read", args=[session.slug])
    visitor = as_persona("anonymous")
    assert f'href="{read}?page=' not in visitor.get(session.get_absolute_url()).content.decode()
    writes.detach(crafted, user=None)

    run_worker()

    paper.refresh_from_db()
    assert paper.page_index == {"pages": 3, "starts": {"section:1": 1, "figure:2.1": 2, "table:6": 3}}
    statuses = dict(DBTaskResult.objects.values_list("args_kwargs__args__0", "status"))
    assert statuses == {crafted.pk: "SUCCESSFUL", paper.pk: "SUCCESSFUL"}
    crafted.refresh_from_db()
    assert crafted.page_index is None  # removed before its turn: not read
    # The visitor's cached page shows the chips now: the index moved the paper's generations.
    html = visitor.get(session.get_absolute_url()).content.decode()
    assert f'href="{read}?page=2"' in html and f'href="{read}?page=3"' in html


def test_the_child_is_stopped_by_its_cpu_limit_and_the_pdf_still_shows(session, as_persona, settings):
    settings.PDF_INDEX_CPU_SECONDS = 1  # the crafted PDF takes several seconds unbounded
    writes.ask(session, author=Participant.objects.get(name="소연"), body="Figure 2.1을 보면", user=None)
    client = as_persona("bob")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert upload(client, session, crafted_pdf(400_000), name="crafted.pdf").status_code == 302

    run_worker()

    result = DBTaskResult.objects.get()
    assert result.status == "FAILED"
    assert result.exception_class_path == "discussions.tasks.IndexFailed"
    assert "processor time" in result.traceback
    crafted = Attachment.objects.get()
    assert crafted.page_index is None and not crafted.index_pending
    assert "more than 1 seconds of processor time" in crafted.index_error
    # It still shows: listed, served, the PDF the chips and the reading view open (at page 1).
    files = client.get(reverse("discussions:paper_files", args=[session.slug])).content.decode()
    assert "Its pages could not be indexed" in files and "crafted.pdf" in files
    assert paper_pdf(session) == crafted
    read = reverse("discussions:read", args=[session.slug])
    assert f'src="{crafted.get_absolute_url()}"' in client.get(read).content.decode()
    html = as_persona("anonymous").get(session.get_absolute_url()).content.decode()
    assert "Figure 2.1" in html and f'href="{read}?page=' not in html


def test_index_pdfs_queues_the_pdfs_left_without_an_index(session, settings):
    from io import StringIO

    from discussions import attachments

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # nothing runs
    old, _ = writes.attach(
        session, attachments.check_pdf(paper_with_captions(), "old.pdf"), kind="paper", user=None
    )
    failed, _ = writes.attach(
        session, attachments.check_pdf(crafted_pdf(10), "bad.pdf"), kind="slides", user=None
    )
    writes.set_page_index(failed, error="stopped")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    out = StringIO()
    call_command("index_pdfs", stdout=out)
    assert out.getvalue().strip() == "1 PDF(s) queued for the task worker"
    assert list(DBTaskResult.objects.values_list("args_kwargs__args__0", flat=True)) == [old.pk]
    call_command("index_pdfs", "--failed", stdout=out)
    failed.refresh_from_db()
    assert failed.index_pending  # the files page says it is being indexed again
    run_worker()
    old.refresh_from_db()
    failed.refresh_from_db()
    assert old.page_index["pages"] == 3 and failed.page_index == {"pages": 1, "starts": {}}
