from django.core.management.base import BaseCommand, CommandError

from discussions.repository import Refused, import_repository


class Command(BaseCommand):
    help = (
        "Import a folder of the group's repository (FORMAT.md): its discussion files, replayed from "
        "its git history when it has one, its README's full names and order, slides and figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="the folder that holds the discussion files (a season)")
        parser.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good files, skip refused versions"
        )

    def handle(self, *args, path, dry_run, skip_bad, **options):
        try:
            report = import_repository(path, dry_run=dry_run, skip_bad=skip_bad)
        except Refused as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError(str(error)) from error
        prefix = "(dry run) " if dry_run else ""
        for session in report.sessions:
            self.stdout.write(prefix + session.line())
        for line in report.warnings:
            self.stdout.write(line)
        for message in report.refused:
            self.stderr.write(message)
        self.stdout.write(prefix + report.summary())
