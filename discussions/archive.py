"""The whole archive at once: a zip of discussion files, and backups that restore everything.

A discussion file (FORMAT.md) carries what the group wrote, but not who may log in, nor the
history of every edit, nor which posts were removed. So a backup holds both: the files, readable
by people and by `import_discussion`, and a `dumpdata` of the rows, which `restore` loads back
with the same ids, so every link to a paper, question or answer keeps working (the restore is a
write: discussions.writes.backups).
"""

import io
import zipfile
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction

from discussions import limits, writer
from discussions.exporter import to_discussion
from discussions.models import Attachment, Paper

# Users and the admin's log refer to permissions and content types, whose ids differ from one
# database to another: they are written with natural keys (["add_paper", "discussions", "paper"]).
ACCOUNTS = ["auth.group", "auth.user", "admin.logentry"]
ACCOUNTS_FILE = "data/accounts.json"
# The app's rows keep their plain ids: history rows may name a user or participant that is gone,
# which a natural key could not write.
ARCHIVE = ["discussions"]
# The page cache's counter (discussions.caching) is not the archive: the new database keeps its own.
NOT_ARCHIVE = ["discussions.ArchiveState"]
ARCHIVE_FILE = "data/archive.json"
PAPERS_FOLDER = "papers"
# The attachments' bytes (discussions.attachments), under their storage names.
FILES_FOLDER = "files"


class ExportError(ValueError):
    """A paper holds a value the file format cannot (the message names the paper)."""


def discussion_file(paper: Paper) -> str:
    try:
        return writer.write(to_discussion(paper))
    except ValueError as error:
        raise ExportError(f"{paper.slug}: {error}") from error


def filename_for(paper: Paper) -> str:
    return f"{paper.slug}.md"


def papers_zip(papers) -> bytes:
    """One discussion file per paper; raises ExportError, naming the paper, when one can't be written."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for paper in papers:
            archive.writestr(filename_for(paper), discussion_file(paper))
    return buffer.getvalue()


def write_backup(path: Path) -> list[str]:
    """Write a backup zip at `path`; returns the papers left out of `papers/` and why.

    A paper the file format can't hold is still in the data, so the backup is complete anyway.
    """
    problems = []
    # Files, accounts and archive must be read at one moment, or a user made in between could be
    # linked in one file and missing from the other. SQLite's transactions read one snapshot;
    # PostgreSQL does so at REPEATABLE READ, which has to be asked for before the first query.
    first_query = not connection.in_atomic_block
    with transaction.atomic(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as backup:
        if first_query and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for paper in Paper.objects.order_by("slug"):
            try:
                backup.writestr(f"{PAPERS_FOLDER}/{filename_for(paper)}", discussion_file(paper))
            except ExportError as error:
                problems.append(str(error))
        backup.writestr(ACCOUNTS_FILE, dump(ACCOUNTS, natural_foreign=True))
        backup.writestr(ARCHIVE_FILE, dump(ARCHIVE, exclude=NOT_ARCHIVE))
        for name in stored_files():
            # Copied in chunks: a 30 MB PDF never sits whole in memory. PDFs and PNGs are
            # compressed already; deflating them again would cost time for nothing.
            with (
                default_storage.open(name, "rb") as source,
                backup.open(f"{FILES_FOLDER}/{name}", "w", force_zip64=True) as target,
            ):
                while chunk := source.read(limits.COPY_CHUNK):
                    target.write(chunk)
    return problems


def stored_files():
    """The storage names of every attachment's bytes, each once (the same bytes may be attached
    to two papers, or as two kinds)."""
    return sorted(set(Attachment.objects.values_list("file", flat=True)))


def dump(labels, **options) -> str:
    out = io.StringIO()
    call_command("dumpdata", *labels, format="json", indent=1, stdout=out, **options)
    return out.getvalue()
