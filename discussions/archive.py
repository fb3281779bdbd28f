"""Zips of discussion files: one paper with its files, the whole archive, and backups that
restore everything.

A paper's zip (`paper_zip`) is laid out as the group's repository keeps a season: the discussion
file at the top, its figures in `img/`, its slides in `summary/`, the paper's PDF in `paper/`, and
the file's links relative to it (`img/plot.png`), so it reads the same wherever it is unpacked.
`import_discussion roberta.zip` (`import_paper_zip`) brings them back: the files attached again
and the links pointing at them.

A discussion file (FORMAT.md) carries what the group wrote, but not who may log in, nor the
history of every edit, nor which posts were removed. So a backup holds both: the files, readable
by people and by `import_discussion`, and a `dumpdata` of the rows, which `restore` loads back
with the same ids, so every link to a paper, question or answer keeps working (the restore is a
write: discussions.writes.backups).
"""

import io
import posixpath
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction

from discussions import attachments, importer, limits, repolayout, writer, writes
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


# --- One paper with its files ------------------------------------------------------------------

# Where each kind of file goes in a paper's zip, as the group's repository keeps them.
FOLDERS = {
    Attachment.Kind.IMAGE: "img",
    Attachment.Kind.SLIDES: "summary",
    Attachment.Kind.PAPER: "paper",
}
# A paper's zip holds its figures, slides and PDFs: a few dozen files. Each is decoded to be
# checked (attachments.check_image), so a zip of thousands is refused before any is read.
MAX_ZIP_FILES = 500
# How the app links an attachment in a body or a reference (Attachment.get_absolute_url).
_ATTACHMENT_LINK = re.compile(r"^/attachments/(?P<pk>[0-9]{1,18})/$")


def zip_name_for(paper: Paper) -> str:
    return f"{paper.slug}.zip"


def paper_zip(paper: Paper) -> bytes:
    """The paper's discussion file with its files: the figures its posts show, its slides and its
    PDFs (the shown ones, oldest first), each link to them made relative. ExportError as
    discussion_file() raises it."""
    discussion = to_discussion(paper)
    files = {
        attachment.pk: attachment for attachment in paper.attachments.shown().order_by("created_at", "pk")
    }
    paths, taken = {}, set()

    def path_of(attachment):
        if attachment.pk not in paths:
            paths[attachment.pk] = _free_name(FOLDERS[attachment.kind], attachment, taken)
        return paths[attachment.pk]

    def relative(target):
        found = _ATTACHMENT_LINK.match(target.strip())
        attachment = files.get(int(found["pk"])) if found else None
        return path_of(attachment) if attachment is not None else None

    for post in repolayout.posts_of(discussion):
        post.body = repolayout.rewrite_links(post.body, relative)
    for reference in discussion.references:
        reference.url = relative(reference.url) or reference.url
    for attachment in files.values():
        if attachment.is_pdf:
            path_of(attachment)  # every PDF, linked or not; a figure only when a post shows it
    try:
        text = writer.write(discussion)
    except ValueError as error:
        raise ExportError(f"{paper.slug}: {error}") from error
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(filename_for(paper), text)
        # In the order they were attached: an import attaches them in this order again, so the
        # newest PDF is again the one the place chips open.
        for attachment in files.values():
            if attachment.pk not in paths:
                continue
            try:
                with default_storage.open(attachment.file.name, "rb") as stored:
                    # PDFs and images are compressed already.
                    bundle.writestr(paths[attachment.pk], stored.read(), zipfile.ZIP_STORED)
            except OSError as error:
                raise ExportError(
                    f"{paper.slug}: {attachment.original_name} is missing from the file storage"
                ) from error
    return buffer.getvalue()


def _free_name(folder, attachment, taken):
    """`folder/name.ext`: the name the file was uploaded with (made safe for any disk), with the
    extension of what is stored, numbered when two files would share it."""
    stem = unicodedata.normalize("NFC", posixpath.splitext(attachment.original_name.replace("\\", "/"))[0])
    stem = re.sub(r"[^\w.-]+", "-", posixpath.basename(stem)).strip(".-")[:80] or "file"
    extension = posixpath.splitext(attachment.file.name)[1].lower()
    name, number = f"{folder}/{stem}{extension}", 1
    while name.casefold() in taken:
        number += 1
        name = f"{folder}/{stem}-{number}{extension}"
    taken.add(name.casefold())
    return name


class ZipRefused(ValueError):
    """A paper's zip that cannot be imported; nothing was."""


@dataclass
class ZipImport:
    report: importer.ImportReport
    attached: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def import_paper_zip(path, *, user=None, **overrides) -> ZipImport:
    """Import a paper's zip (paper_zip): its discussion file, then its files attached to the
    paper, in the zip's order, and the file's links into `img/`, `summary/` and `paper/` pointed at
    them. All or nothing; ZipRefused (or a reader.FormatError for the file) says why not.

    overrides: the importer's `title` and `url`."""
    try:
        bundle = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise ZipRefused(f"{path}: not a zip that can be read ({error})") from error
    with bundle:
        try:
            limits.check_backup(bundle)  # a zip bomb, refused from its directory
        except limits.RestoreRefused as error:
            raise ZipRefused(f"{path}: {error}") from error
        members = {info.filename: info for info in bundle.infolist() if not info.is_dir()}
        if len(members) > MAX_ZIP_FILES:
            raise ZipRefused(
                f"{path}: {len(members):,} files, more than the {MAX_ZIP_FILES} a paper's zip may hold"
            )
        texts = [name for name in members if "/" not in name and name.casefold().endswith(".md")]
        if len(texts) != 1:
            raise ZipRefused(
                f"{path}: a paper's zip holds one discussion file (.md) at its top, not {len(texts)}"
            )
        where = f"{path}:{texts[0]}"
        limits.check_file_size(members[texts[0]].file_size, where)
        discussion = limits.read_discussion(bundle.read(texts[0]), where)
        done = ZipImport(report=None)
        checked = {}
        for name, info in members.items():
            folder = name.split("/", 1)[0] if "/" in name else ""
            kind = {folder_name: kind for kind, folder_name in FOLDERS.items()}.get(folder)
            if kind is None or ".." in name.split("/"):
                continue
            try:
                checked[name] = (kind, _checked_member(bundle, info, kind))
            except attachments.Refused as error:
                done.warnings.append(f"{path}:{name}: {error} (not attached)")

        def prepare(paper, discussion):
            urls = {}
            for name, (kind, data) in checked.items():
                attachment, created = writes.attach(paper, data, kind=kind, user=user)
                urls[name] = attachment.get_absolute_url()
                if created:
                    done.attached.append(name)

            def attached(target):
                found = repolayout.file_in_folder(target, [], urls)
                return urls[found] if found else None

            for post in repolayout.posts_of(discussion):
                post.body = repolayout.rewrite_links(post.body, attached)
            for reference in discussion.references:
                reference.url = attached(reference.url) or reference.url
            return discussion

        with transaction.atomic():
            [done.report] = importer.import_discussions(
                [(texts[0], discussion)], prepare=prepare, **overrides
            )
    return done


def _checked_member(bundle, info, kind):
    """A member's bytes as attachments.check_pdf or check_image take them, its size refused from
    the zip's directory before it is read."""
    image = kind == Attachment.Kind.IMAGE
    limit = attachments.MAX_IMAGE_BYTES if image else attachments.MAX_PDF_BYTES
    name = posixpath.basename(info.filename)
    if info.file_size > limit:
        raise attachments.Refused(
            f"{name} is {info.file_size:,} bytes, more than the {limit:,} a file may hold"
        )
    data = bundle.read(info)
    return attachments.check_image(data, name) if image else attachments.check_pdf(data, name)


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
