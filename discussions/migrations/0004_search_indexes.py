"""Trigram indexes so PostgreSQL answers `icontains` searches (UPPER(col) LIKE UPPER('%…%')) from
an index, Korean substrings included. SQLite has no pg_trgm: there the search scans."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEXED = [
    ("discussions_question", "body"),
    ("discussions_answer", "body"),
    ("discussions_paper", "title"),
    ("discussions_paper", "description"),
    ("discussions_reference", "label"),
    ("discussions_reference", "url"),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in INDEXED:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{table}_{column}_trgm" ON "{table}" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in INDEXED:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_trgm"')


class Migration(migrations.Migration):
    dependencies = [("discussions", "0003_topics_and_curation")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
