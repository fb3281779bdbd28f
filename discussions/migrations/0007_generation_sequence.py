"""The archive's generation as a PostgreSQL sequence (see models.bump); SQLite keeps the row."""

from django.db import migrations


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE SEQUENCE IF NOT EXISTS discussions_archive_generation")


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP SEQUENCE IF EXISTS discussions_archive_generation")


class Migration(migrations.Migration):
    dependencies = [("discussions", "0006_participant_aliases")]

    operations = [migrations.RunPython(create_sequence, drop_sequence)]
