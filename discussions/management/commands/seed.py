import tomllib

from django.conf import settings
from django.core.management.base import BaseCommand

from discussions.importer import import_discussion, read_file


class Command(BaseCommand):
    help = "Import the discussion files listed in fixtures/manifest.toml (safe to run again)."

    def handle(self, **options):
        fixtures = settings.BASE_DIR / "fixtures"
        manifest = tomllib.loads((fixtures / "manifest.toml").read_text(encoding="utf-8"))
        for entry in manifest["paper"]:
            report = import_discussion(
                read_file(fixtures / entry["file"]),
                filename=entry["file"],
                title=entry.get("title", ""),
                url=entry.get("url", ""),
            )
            self.stdout.write(report.summary())
            for line in report.warning_lines():
                self.stdout.write(line)
