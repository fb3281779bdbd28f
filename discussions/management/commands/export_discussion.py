from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from discussions.archive import ExportError, discussion_file, filename_for
from discussions.models import Paper


class Command(BaseCommand):
    help = "Write papers back out as discussion files (the canonical style in docs/file-format.md)."

    def add_arguments(self, parser):
        parser.add_argument("slug", nargs="?")
        parser.add_argument("--all", action="store_true", help="every paper, one file each, into -o DIR")
        parser.add_argument("-o", "--output", help="a file (one paper) or a folder (--all)")

    def handle(self, *args, slug, all, output, **options):
        if all == bool(slug):
            raise CommandError("give a paper's slug or --all")
        if all:
            if not output:
                raise CommandError("--all needs -o DIR")
            folder = Path(output)
            folder.mkdir(parents=True, exist_ok=True)
            # A paper the format cannot hold never stops the others: it is named, and the
            # command exits 1 once every other paper is written.
            papers, left_out = 0, []
            for paper in Paper.objects.order_by("slug"):
                papers += 1
                try:
                    text = discussion_file(paper)
                except ExportError as error:
                    left_out.append(str(error))
                    self.stderr.write(f"not written: {error}")
                    continue
                path = folder / filename_for(paper)
                path.write_text(text, encoding="utf-8")
                self.stdout.write(str(path))
            if left_out:
                raise CommandError(f"{len(left_out)} of {papers} papers not written (named above)")
            return
        paper = Paper.objects.filter(slug=slug).first()
        if paper is None:
            raise CommandError(f"no paper with the slug {slug!r}")
        try:
            text = discussion_file(paper)
        except ExportError as error:
            raise CommandError(f"not written: {error}") from error
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
