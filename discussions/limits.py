"""How much one discussion file, one admin upload and one restore may hold, and the checks.

The numbers come from the real files: the GPT-3 session has 11 questions and 17 answers; the
synthetic benchmark archive's papers about 20 questions and 100 answers, its biggest 200 questions
and 1,024 answers in 624 KB. A file five times that size is still accepted; a file of 2 MB holding
100,000 one-line questions, which took 90 MB and 4 s to read and a worker's whole timeout to
preview, is refused before it is read.
"""

import zipfile
from pathlib import Path

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from discussions import reader

# One discussion file, uploaded or imported.
MAX_FILE_BYTES = 2 * 1024 * 1024  # the upload form's texts say "2 MB"
MAX_QUESTIONS = 1_000
MAX_ANSWERS = 10_000  # replies included

# One upload in the admin: what its preview (a dry-run import) can go through in a few seconds.
MAX_UPLOAD_FILES = 20
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
MAX_UPLOAD_POSTS = 10_000
# The upload view's request body: its files and the multipart dress around them.
UPLOAD_BODY_BYTES = MAX_UPLOAD_BYTES + 256 * 1024

# A backup to restore. The small benchmark archive's backup holds 12 MB compressed 10 times; a
# zip bomb holds a gigabyte in a megabyte. loaddata reads each file whole into memory, so the
# total is what a restore may take of it.
MAX_RESTORE_BYTES = 2 * 1024 * 1024 * 1024
MAX_RESTORE_RATIO = 100
COPY_CHUNK = 1024 * 1024


class TooLarge(reader.FormatError):
    """A file refused for its size, as `file: message` (no line to name)."""

    def __init__(self, message: str, filename: str):
        ValueError.__init__(self, f"{filename}: {message}")
        self.message, self.filename, self.line = message, filename, 0


def read_discussion(data: bytes, filename: str) -> reader.Discussion:
    """reader.read(), after refusing a file too large to be read (TooLarge, a FormatError)."""
    check_file_size(len(data), filename)
    questions, answers = reader.label_counts(data)
    if questions > MAX_QUESTIONS:
        raise TooLarge(
            _("%(count)s questions is more than the %(limit)s a file may hold")
            % {"count": number_format(questions, force_grouping=True), "limit": _count(MAX_QUESTIONS)},
            filename,
        )
    if answers > MAX_ANSWERS:
        raise TooLarge(
            _("%(count)s answers is more than the %(limit)s a file may hold")
            % {"count": number_format(answers, force_grouping=True), "limit": _count(MAX_ANSWERS)},
            filename,
        )
    return reader.read(data, filename=filename)


def read_discussion_file(path: Path | str) -> reader.Discussion:
    """A file from disk, its size checked before it is read; errors name it as the user gave it."""
    check_file_size(Path(path).stat().st_size, str(path))
    return read_discussion(Path(path).read_bytes(), str(path))


def check_file_size(size: int, filename: str):
    if size > MAX_FILE_BYTES:
        raise TooLarge(
            _("%(size)s is more than the %(limit)s a file may hold")
            % {"size": _size(size), "limit": _size(MAX_FILE_BYTES)},
            filename,
        )


def posts_in(discussion: reader.Discussion) -> int:
    """Questions, answers and replies."""
    count, answers = 0, []
    for question in discussion.questions:
        count += 1
        answers.extend(question.answers)
    while answers:
        answer = answers.pop()
        count += 1
        answers.extend(answer.replies)
    return count


def _count(number):
    return number_format(number, force_grouping=True)


def _size(number):
    # As the upload form says it ("2.0 MB"), with a plain space for terminals.
    if number >= 1024**3:
        return f"{number / 1024**3:.1f} GB"
    return f"{number / 1024**2:.1f} MB"


# Restores


class RestoreRefused(ValueError):
    """A backup zip refused before any of it is read (the message says why)."""


def check_backup(backup: zipfile.ZipFile):
    """Refuse a zip whose members would unpack to too much, from the sizes its directory declares."""
    total = 0
    for member in backup.infolist():
        total += member.file_size
        if member.file_size > MAX_RESTORE_BYTES:
            raise RestoreRefused(
                _("%(name)s would unpack to %(size)s, more than the %(limit)s a restore may read")
                % {
                    "name": member.filename,
                    "size": _size(member.file_size),
                    "limit": _size(MAX_RESTORE_BYTES),
                }
            )
        # A member of a few bytes may compress badly; only a real ratio says "bomb".
        if member.file_size > COPY_CHUNK and member.file_size > MAX_RESTORE_RATIO * member.compress_size:
            raise RestoreRefused(
                _("%(name)s is compressed %(ratio)s times; a backup is compressed %(limit)s times at most")
                % {
                    "name": member.filename,
                    "ratio": _count(member.file_size // max(member.compress_size, 1)),
                    "limit": MAX_RESTORE_RATIO,
                }
            )
    if total > MAX_RESTORE_BYTES:
        raise RestoreRefused(
            _("the backup would unpack to %(size)s, more than the %(limit)s a restore may read")
            % {"size": _size(total), "limit": _size(MAX_RESTORE_BYTES)}
        )


def copy_member(backup: zipfile.ZipFile, name: str, target: Path):
    """Unpack one member to `target` in chunks, so it never sits whole in this process's memory.

    zipfile stops at the size the member declares (and fails on a CRC that does not match), so
    check_backup() bounds what is written.
    """
    with backup.open(name) as source, target.open("wb") as out:
        while chunk := source.read(COPY_CHUNK):
            out.write(chunk)
