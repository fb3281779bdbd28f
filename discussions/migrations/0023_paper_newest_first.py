"""An index of papers in the home page's order (PaperQuerySet.newest_first()), on PostgreSQL: the
home page's cache key reads which papers the page shows on every view (generation.of_home), and
sorting every paper for it was most of that query (0.9 ms of 1 at a thousand papers). SQLite
cannot index NULLS LAST, so it is not in the model's Meta; an embedded archive is small."""

from django.db import migrations

INDEX = "paper_newest_first"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX "{INDEX}" ON "discussions_paper" '
            '("session_date" DESC NULLS LAST, "session_number" DESC NULLS LAST, "created_at" DESC, "id" DESC)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


class Migration(migrations.Migration):
    dependencies = [("discussions", "0022_open_list_indexes")]
    operations = [migrations.RunPython(create, drop)]
