from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from discussions import repolayout
from discussions.repository import Refused, import_repository


class Command(BaseCommand):
    help = (
        "Import a folder of the group's repository (FORMAT.md): its discussion files, replayed from "
        "its git history when it has one, its README's full names and order, slides and figures. "
        "Given the repository's root, each season folder in it (season1/, season2/, …)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path", help="the folder that holds the discussion files (a season), or the root holding seasons"
        )
        parser.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good files, skip refused versions"
        )

    def handle(self, *args, path, dry_run, skip_bad, **options):
        folder = Path(path)
        seasons = repolayout.season_folders(folder) if folder.is_dir() else [folder]
        several = seasons != [folder]
        if several:
            names = ", ".join(f"{season.name}/" for season in seasons)
            self.stdout.write(f"{path}: {len(seasons)} season folder(s): {names}")
        # Each season is imported, or refused, as a whole; one refused does not stop the others.
        failed = []
        for season in seasons:
            if several:
                self.stdout.write(f"\n{season.name}/")
            try:
                self._import(season if several else path, dry_run=dry_run, skip_bad=skip_bad)
            except CommandError as error:
                if not several:
                    raise
                self.stderr.write(f"{season.name}/: {error}")
                failed.append(f"{season.name}/")
        if failed:
            refused = ", ".join(failed)
            raise CommandError(
                f"{refused}: refused, nothing of it imported; the other season folders went on"
            )

    def _import(self, path, *, dry_run, skip_bad):
        try:
            report = import_repository(path, dry_run=dry_run, skip_bad=skip_bad)
        except Refused as error:
            for message in error.messages:
                self.stderr.write(message)
            raise CommandError(str(error)) from error
        except repolayout.GitError as error:
            raise CommandError(f"{path}: {error}") from error
        prefix = "(dry run) " if dry_run else ""
        for session in report.sessions:
            self.stdout.write(prefix + session.line())
        for line in report.warnings:
            self.stdout.write(line)
        for message in report.refused:
            self.stderr.write(message)
        self.stdout.write(prefix + report.summary())
