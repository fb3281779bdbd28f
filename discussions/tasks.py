"""Work done outside a request, by the task worker (`manage.py db_worker`, docs/operations-worker.md).

Django's tasks framework (the django-tasks backport of Django 6's `django.tasks`) keeps each task
in the database (django-tasks-db) until a worker runs it; the tests and a quick try without a
worker run it at once (TASKS_BACKEND=immediate).
"""

from django.conf import settings
from django.core.files.storage import default_storage
from django_tasks import task

from discussions import pdfindex, writes
from discussions.models import Attachment


class IndexFailed(Exception):
    """The PDF could not be indexed: the task's result records it as failed, with this message."""


@task()
def index_pages(attachment_id: int) -> dict | None:
    """Read where each figure, table and section of an attached PDF starts, in a child process the
    kernel stops at PDF_INDEX_CPU_SECONDS of processor time and PDF_INDEX_MEMORY_MB of memory
    (pdfindex.index_in_child), and write it to the attachment (writes.set_page_index): the
    thread's place chips open those pages from then on.

    A PDF that cannot be indexed still shows, and its places open page 1; the attachment says why
    (the files page shows it) and the task fails with that reason. Returns the pages and places
    found, or None when there was nothing to read (the attachment is gone, removed, or done)."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None or attachment.hidden_at is not None or not attachment.index_pending:
        return None
    try:
        with default_storage.open(attachment.file.name, "rb") as stored:
            data = stored.read()
        found = pdfindex.index_in_child(
            data,
            cpu_seconds=settings.PDF_INDEX_CPU_SECONDS,
            memory_bytes=settings.PDF_INDEX_MEMORY_MB * 1024 * 1024,
        )
    except (pdfindex.PdfError, OSError) as error:
        writes.set_page_index(attachment, error=str(error) or error.__class__.__name__)
        raise IndexFailed(f"attachment {attachment_id}: {error}") from error
    writes.set_page_index(attachment, page_index={"pages": found.pages, "starts": found.starts})
    return {"pages": found.pages, "places": len(found.starts)}
