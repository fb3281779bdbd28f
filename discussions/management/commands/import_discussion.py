import hashlib
import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from discussions import archive, links, rules, sources
from discussions.importer import import_discussions, read_file
from discussions.models import SourceFile
from discussions.reader import FormatError


class Command(BaseCommand):
    help = (
        "Import discussion files (FORMAT.md); all or nothing unless --skip-bad. A paper's zip (its "
        "download with files: the file, img/, summary/, paper/) brings its files back too."
    )

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+")
        parser.add_argument("--title", default="", help="the paper's title; wins over the file's")
        parser.add_argument("--url", default="", help="the paper's URL; wins over the file's")
        parser.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
        parser.add_argument(
            "--skip-bad", action="store_true", help="import the good files, skip refused ones"
        )
        parser.add_argument(
            "--workers",
            type=int,
            # The importing process and PostgreSQL keep one CPU busy between them; measured on 2 CPUs,
            # a second worker only competed with them.
            default=max(1, (os.cpu_count() or 1) - 1),
            help="processes rendering new papers' Markdown ahead of the import (default: CPUs - 1; 0: none)",
        )

    def handle(self, *args, files, title, url, dry_run, skip_bad, workers, **options):
        if (title or url) and len(files) > 1:
            raise CommandError("--title and --url name one paper: give them with a single file")
        # Checked as the file's own title and URL are (reader), before anything is read or written.
        problem = (
            rules.too_long("title", title, rules.TITLE_LENGTH)
            or rules.title_problem(title)
            or rules.too_long("paper URL", url, rules.PAPER_URL_LENGTH)
        )
        if url and not problem:
            problem = links.refusal(url)
        if problem or rules.NOT_XML.search(title + url):
            raise CommandError(f"--title/--url: {problem or 'a control character is not allowed'}")
        zips = [path for path in files if path.casefold().endswith(".zip")]
        if zips:
            if len(zips) != len(files) or dry_run:
                raise CommandError("a paper's zip is imported on its own, without --dry-run")
            for path in zips:
                self._import_zip(path, title=title, url=url)
            return
        readings, refused = [], []
        for path in files:
            try:
                readings.append((path, read_file(path)))
            except FormatError as error:
                refused.append(str(error))
            except OSError as error:
                refused.append(f"{path}:0: {error.strerror}")
        for message in refused:
            self.stderr.write(message)
        if refused and not skip_bad:
            raise CommandError(f"{len(refused)} file(s) refused; nothing was imported")

        reports = import_discussions(readings, dry_run=dry_run, workers=workers, title=title, url=url)
        if not dry_run:
            for (path, reading), report in zip(readings, reports, strict=True):
                _keep_source(path, reading, report.paper)
        for report in reports:
            self.stdout.write(("(dry run) " if dry_run else "") + report.summary())
            for line in report.warning_lines():
                self.stdout.write(line)
        if refused:
            # Exit 0: with --skip-bad, skipping the refused files is what was asked for, and the
            # rest was imported. The refusals are printed above, each with its line, and counted here.
            self.stderr.write(f"{len(refused)} file(s) refused and skipped; the others were imported")

    def _import_zip(self, path, **overrides):
        try:
            done = archive.import_paper_zip(path, **overrides)
        except (archive.ZipRefused, FormatError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(done.report.summary())
        for line in [*done.report.warning_lines(), *done.warnings]:
            self.stdout.write(line)
        self.stdout.write(f"{path}: {len(done.attached)} file(s) attached")


def _keep_source(path, reading, paper):
    """The file as imported, for export_repository (discussions.sources), when the paper is a
    season's session already: its season folder gets this version back. A file of no season is in
    no folder an export writes, so nothing is kept of it (keeping it cost a first import of a
    thousand files a quarter of its time). Not when the file changed on disk since it was read."""
    if not SourceFile.objects.filter(paper=paper).exclude(season="").exists():
        return
    data = Path(path).read_bytes()
    if hashlib.sha256(data).hexdigest() == reading.digest:
        sources.keep(paper, season="", path=Path(path).name, data=data, discussion=reading)
