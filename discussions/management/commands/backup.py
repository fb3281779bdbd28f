import os
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from discussions.archive import write_backup


class Command(BaseCommand):
    help = (
        "Write backups/<timestamp>.zip: every paper's discussion file, plus the data (users, "
        "participants' links to them, topics, history) that `restore` loads into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("-o", "--output-dir", default=str(settings.BASE_DIR / "backups"))

    def handle(self, *args, output_dir, **options):
        # A backup holds every password hash: only the user who made it may read it. The folder is
        # made private too; an existing folder is tightened only if it is our own backups/.
        folder = Path(output_dir)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.resolve() == (settings.BASE_DIR / "backups").resolve():
            folder.chmod(0o700)
        path = folder / f"{timezone.localtime():%Y%m%d-%H%M%S}.zip"
        try:
            # Made empty and private before anything is written into it; the zip then writes over it.
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            raise CommandError(f"{path} already exists: wait a second and run the backup again") from None
        try:
            problems = write_backup(path)
        except BaseException:
            path.unlink(missing_ok=True)  # half a backup must not pass for one
            raise
        for problem in problems:
            # Still in the data, so the backup is complete; the file is left out.
            self.stderr.write(f"left out of papers/ (the file format cannot hold it): {problem}")
        self.stdout.write(str(path))
