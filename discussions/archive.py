"""The whole archive at once: a zip of discussion files, and backups that restore everything.

A discussion file (FORMAT.md) carries what the group wrote, but not who may log in, nor the
history of every edit, nor which posts were removed. So a backup holds both: the files, readable
by people and by `import_discussion`, and a `dumpdata` of the rows, which `restore` loads back
with the same ids, so every link to a paper, question or answer keeps working.
"""

import io
import json
import tempfile
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction

from discussions import limits, writer
from discussions.exporter import to_discussion
from discussions.models import Attachment, Paper, Participant, Topic
from discussions.writes import archive_write

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


NOT_EXPORTED_FILE = "NOT-EXPORTED.txt"


def papers_zip(papers, problems=None) -> bytes:
    """One discussion file per paper. A paper the file format cannot hold (a title stored with a
    line break before the title rule, say) never stops the others: it is left out, and named with
    why in the zip's NOT-EXPORTED.txt and in `problems` (a list, when given)."""
    left_out = []
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for paper in papers:
            try:
                archive.writestr(filename_for(paper), discussion_file(paper))
            except ExportError as error:
                left_out.append(str(error))
        if left_out:
            archive.writestr(NOT_EXPORTED_FILE, "".join(f"{line}\n" for line in left_out))
    if problems is not None:
        problems.extend(left_out)
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


def rows_in_the_way() -> dict[str, int]:
    """What a restore would collide with: it only goes into an empty database."""
    counts = {
        "papers": Paper.objects.count(),
        "participants": Participant.objects.count(),
        "topics": Topic.objects.count(),
        "users": get_user_model().objects.count(),
    }
    return {name: count for name, count in counts.items() if count}


def restore_backup(path: Path):
    """Load a backup's data (accounts first: the archive's rows point at users).

    In one archive write: all or nothing, and one bump of the generation for cached pages
    instead of one per row. Raises limits.RestoreRefused for a zip that would unpack to too much.
    """
    with zipfile.ZipFile(path) as backup, tempfile.TemporaryDirectory() as folder:
        # A zip bomb is refused from its directory, before anything is unpacked.
        limits.check_backup(backup)
        with archive_write():
            for name in (ACCOUNTS_FILE, ARCHIVE_FILE):
                # loaddata reads files, and needs the .json ending to know the format.
                target = Path(folder) / Path(name).name
                limits.copy_member(backup, name, target)
                if target.stat().st_size < 16 and not json.loads(target.read_bytes()):
                    continue  # no users yet: loaddata would warn that the file is empty
                call_command("loaddata", str(target), verbosity=0)
            restore_files(backup)
    # A new database counts generations from the start again: pages cached before the restore
    # (in Redis, say) could carry the same numbers, so none of them may be served.
    cache.clear()


def restore_files(backup: zipfile.ZipFile):
    """Put back the bytes of every attachment the restored rows name, from the zip's `files/`.

    Only names the rows hold are read (a member `files/../../x` is never a path to write), each in
    chunks and within the sizes check_backup() has bounded; a file already in the storage under its
    name (a SHA-256) is those bytes already. A row whose file the zip lacks is refused: the restore
    would show a link that leads nowhere."""
    members = {info.filename: info for info in backup.infolist()}
    for name in stored_files():
        member = members.get(f"{FILES_FOLDER}/{name}")
        if member is None:
            raise limits.RestoreRefused(f"{FILES_FOLDER}/{name}: missing from the backup")
        if default_storage.exists(name):
            continue
        with backup.open(member) as source:
            saved = default_storage.save(name, source)
        if saved != name:  # the storage chose another name: keep the rows pointing at the bytes
            Attachment.objects.filter(file=name).update(file=saved)
