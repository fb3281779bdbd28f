"""The trigram indexes move from UPPER(col) to the column itself: the search now asks
`col ILIKE '%…%'` for terms with a case and `col LIKE '%…%'` for Hangul, and an index on the
column serves both, where one on UPPER(col) served only Django's `UPPER(col) LIKE UPPER(…)`.
And an index of the few hidden questions, which a search of answers leaves out."""

from django.db import migrations, models

INDEXED = [
    ("discussions_question", "body"),
    ("discussions_answer", "body"),
    ("discussions_paper", "title"),
    ("discussions_paper", "description"),
    ("discussions_reference", "label"),
    ("discussions_reference", "url"),
]


def index_columns(apps, schema_editor):
    _recreate(schema_editor, '"{column}"')


def index_upper_columns(apps, schema_editor):
    _recreate(schema_editor, '(UPPER("{column}"::text))')


def _recreate(schema_editor, expression):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, column in INDEXED:
        indexed = expression.format(column=column)
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_{column}_trgm"')
        schema_editor.execute(
            f'CREATE INDEX "{table}_{column}_trgm" ON "{table}" USING gin ({indexed} gin_trgm_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [("discussions", "0007_generation_sequence")]

    operations = [
        migrations.RunPython(index_columns, index_upper_columns),
        migrations.AddIndex(
            model_name="question",
            index=models.Index(
                condition=models.Q(("hidden_at__isnull", False)), fields=["id"], name="question_hidden"
            ),
        ),
    ]
