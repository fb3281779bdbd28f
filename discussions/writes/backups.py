"""A backup restored into an empty archive: the only write that loads rows with `loaddata`.

The rows come back with their ids and their history rows as the backup holds them, so nothing is
recorded anew; the archive's generation moves once for the whole restore, and the page cache is
emptied (see restore_backup). Each write's docstring says what it locks.
"""

import json
import tempfile
import zipfile
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command

from discussions import limits
from discussions.archive import ACCOUNTS_FILE, ARCHIVE_FILE, FILES_FOLDER, stored_files
from discussions.models import Attachment, Paper, Participant, Topic
from discussions.writes.core import archive_write


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

    In one archive write: all or nothing, and one move of the generation for cached pages
    instead of one per row. Locks the archive's generation (an empty archive has no other row to
    lock). Raises limits.RestoreRefused for a zip that would unpack to too much, or an archive
    that is not empty.
    """
    with zipfile.ZipFile(path) as backup, tempfile.TemporaryDirectory() as folder:
        # A zip bomb is refused from its directory, before anything is unpacked.
        limits.check_backup(backup)
        with archive_write():
            if in_the_way := rows_in_the_way():
                found = ", ".join(f"{count} {name}" for name, count in in_the_way.items())
                raise limits.RestoreRefused(f"the database is not empty ({found})")
            for name in (ACCOUNTS_FILE, ARCHIVE_FILE):
                # loaddata reads files, and needs the .json ending to know the format.
                target = Path(folder) / Path(name).name
                limits.copy_member(backup, name, target)
                if target.stat().st_size < 16 and not json.loads(target.read_bytes()):
                    continue  # no users yet: loaddata would warn that the file is empty
                call_command("loaddata", str(target), verbosity=0)
            restore_files(backup)
    # The restored rows bring their pages' own generations (a paper's, a question's, a list's) as
    # they were when the backup was written, and a new database counts the archive's from the
    # start again: a page cached before the restore (in Redis, say) could carry the same numbers
    # over other data, so none of them may be served.
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
            # The storage's name is not content: no history version, as loaddata wrote none.
            Attachment.objects.filter(file=name).update(file=saved)
