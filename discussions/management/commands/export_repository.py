from django.core.management.base import BaseCommand, CommandError

from discussions.repository_export import Refused, export_repository


class Command(BaseCommand):
    help = (
        "Write a season folder back in the group's layout (docs/repository.md): its session files, "
        "a file nobody changed byte for byte, its README, summary/ and img/; ready to commit."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="the season folder to write (the repository's checkout, or a new folder)"
        )
        parser.add_argument(
            "--season", help="the season's path in its repository (default: the folder's name)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would be written, write nothing"
        )

    def handle(self, *args, path, season, dry_run, **options):
        try:
            report = export_repository(path, season=season, dry_run=dry_run)
        except Refused as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError(str(error)) from error
        prefix = "(dry run) " if dry_run else ""
        for line in report.lines:
            self.stdout.write(prefix + line)
        for line in report.warnings:
            self.stdout.write(line)
        self.stdout.write(prefix + report.summary())
