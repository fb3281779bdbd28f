from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
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
        folder = Path(output_dir)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{timezone.localtime():%Y%m%d-%H%M%S}.zip"
        try:
            problems = write_backup(path)
        except BaseException:
            path.unlink(missing_ok=True)  # half a backup must not pass for one
            raise
        for problem in problems:
            # Still in the data, so the backup is complete; the file is left out.
            self.stderr.write(f"left out of papers/ (the file format cannot hold it): {problem}")
        self.stdout.write(str(path))
