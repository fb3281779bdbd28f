import zipfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from discussions.archive import ACCOUNTS_FILE, ARCHIVE_FILE
from discussions.limits import RestoreRefused
from discussions.writes.backups import restore_backup, rows_in_the_way


class Command(BaseCommand):
    help = "Load a backup written by `backup` into an empty, migrated database."

    def add_arguments(self, parser):
        parser.add_argument("file", help="a backups/<timestamp>.zip")

    def handle(self, *args, file, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        if not {ACCOUNTS_FILE, ARCHIVE_FILE} <= names_in(path):
            raise CommandError(f"{file}: not a backup (a .zip written by `manage.py backup`)")
        in_the_way = rows_in_the_way()
        if in_the_way:
            found = ", ".join(f"{count} {name}" for name, count in in_the_way.items())
            raise CommandError(
                f"this database is not empty ({found}). Restore into a new database: create it, "
                "run `manage.py migrate`, then restore."
            )
        try:
            restore_backup(path)
        except RestoreRefused as error:
            raise CommandError(
                _("%(file)s: %(error)s. Nothing was restored.") % {"file": file, "error": error}
            ) from error
        except zipfile.BadZipFile as error:
            raise CommandError(f"{file}: a damaged zip ({error}). Nothing was restored.") from error
        self.stdout.write(f"restored {file}")


def names_in(path):
    try:
        with zipfile.ZipFile(path) as backup:
            return set(backup.namelist())
    except zipfile.BadZipFile:
        return set()
