"""Question and answer bodies are indexed by their bigrams instead of their trigrams, on PostgreSQL.

A two-letter Korean word (편향, 효율) has no trigram, so pg_trgm could not serve it and every such
search read the whole answers table. pg_bigm, which Korean and Japanese users of PostgreSQL index
with, is not packaged for Debian; the same is built here from what PostgreSQL has: a GIN index on
an expression, the array of a body's bigrams, which serves every term of two characters or more.
The index is of an expression, not of a column the app fills in, so every way a body is written
(the app, the importer's bulk inserts, the admin, loaddata, an UPDATE by hand) keeps it right,
and the bigrams come from the database's own lower(), the one ILIKE compares with: a row the
substring match finds always has every bigram of the term (discussions/search.py).

The function is made of calls into C (translate, regexp_replace, string_to_array), not a loop
over the characters in SQL, which costs a microsecond per character: written this way it costs
about what pg_trgm's extraction of trigrams did. Its keys compare in the "C" collation, bytes,
which the index builds and is searched with faster than the database's own collation (equality,
all the index is asked, is the same in both).

The trigram indexes of bodies go: the bigram index serves longer terms too, and an import writes
one index per body, not two. Papers and references keep theirs (migration 0008).
"""

from django.db import migrations

TABLES = ["discussions_question", "discussions_answer"]

# The pairs at even offsets and the pairs at odd offsets: every two adjacent characters of the
# lowered text once whitespace is taken out (a term has none), each pair then a word of its own
# for string_to_array. What it leaves over (a last single character) is never a term's bigram.
FUNCTIONS = [
    r"""
CREATE OR REPLACE FUNCTION discussions_bigrams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT array_remove(
        string_to_array(regexp_replace(stripped, '(..)', E'\\1 ', 'g'), ' ')
        || string_to_array(regexp_replace(substr(stripped, 2), '(..)', E'\\1 ', 'g'), ' '),
        ''
    )
    FROM (SELECT translate(lower($1), E' \t\n\r\x0b\f\u3000', '') AS stripped) AS lowered
$$
""",
    r"""
CREATE OR REPLACE FUNCTION discussions_term_bigrams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(DISTINCT gram), '{}')
    FROM unnest(discussions_bigrams($1)) AS gram
    WHERE length(gram) = 2
$$
""",
]


def index_bigrams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for function in FUNCTIONS:
        schema_editor.execute(function)
    for table in TABLES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_body_trgm"')
        schema_editor.execute(
            f'CREATE INDEX "{table}_body_bigrams" ON "{table}" '
            f'USING gin ((discussions_bigrams("body")) COLLATE "C")'
        )


def index_trigrams(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{table}_body_bigrams"')
        schema_editor.execute(
            f'CREATE INDEX "{table}_body_trgm" ON "{table}" USING gin ("body" gin_trgm_ops)'
        )
    schema_editor.execute("DROP FUNCTION IF EXISTS discussions_term_bigrams(text)")
    schema_editor.execute("DROP FUNCTION IF EXISTS discussions_bigrams(text)")


class Migration(migrations.Migration):
    dependencies = [("discussions", "0019_question_generations")]

    operations = [migrations.RunPython(index_bigrams, index_trigrams)]
