from django.core.management.base import BaseCommand

from discussions import tasks, writes
from discussions.models import Attachment


class Command(BaseCommand):
    help = (
        "Queue the page index of every shown PDF that has none yet (one uploaded before the worker "
        "existed); --failed: of those that could not be indexed too (after raising the limits). "
        "The task worker reads them: docs/operations-worker.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--failed", action="store_true", help="try the PDFs that failed again too")

    def handle(self, *args, failed, **options):
        pdfs = Attachment.objects.shown().pdfs().filter(page_index__isnull=True).order_by("pk")
        if not failed:
            pdfs = pdfs.filter(index_error="")
        queued = 0
        for attachment in pdfs:
            if attachment.index_error:
                writes.set_page_index(attachment)  # pending again: the files page says so
            tasks.index_pages.enqueue(attachment.pk)
            queued += 1
        self.stdout.write(f"{queued} PDF(s) queued for the task worker")
