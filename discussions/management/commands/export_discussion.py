from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from discussions import writer
from discussions.exporter import to_discussion
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
            for paper in Paper.objects.all():
                path = folder / f"{paper.slug}.md"
                path.write_text(writer.write(to_discussion(paper)), encoding="utf-8")
                self.stdout.write(str(path))
            return
        paper = Paper.objects.filter(slug=slug).first()
        if paper is None:
            raise CommandError(f"no paper with the slug {slug!r}")
        text = writer.write(to_discussion(paper))
        if output:
            Path(output).write_text(text, encoding="utf-8")
        else:
            self.stdout.write(text, ending="")
