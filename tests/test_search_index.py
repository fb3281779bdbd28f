"""The bigram index of question and answer bodies (migration 0020): what the search finds with it
is what the plain substring match finds, and every way of writing a body keeps it right."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import BooleanField, F, IntegerField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Lower, Replace
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.run import SEARCH_WORDS
from discussions import search, writes
from discussions.importer import import_discussion
from discussions.models import Answer, Question
from tests.conftest import generated_discussion

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the bigram index is PostgreSQL's")

# Bodies that try the edges of the bigrams: case beyond ASCII (a final sigma, a dotted capital I,
# the Kelvin sign), LIKE's own characters, a pair of letters split by a line break or a space,
# a term at the very start and end, and characters the bigrams leave out.
EDGES = [
    "편향성은 데이터의 문제다",
    "효율\n적으로, 모\n델, 모 델, 모델",
    "ΑΣ ΟΔΟΣ σας ΣΑ",
    "İstanbul ıi KELVIN \u212aelvin",
    "100% of a_b; 50%_off \\ back\\slash",
    "GPT-3 gpt-3 Gpt-3 ATTENTION Attention",
    "x",
    "\u3000편\u3000향\u3000",
    "편향",
]
TERMS = [
    *SEARCH_WORDS,
    "편향", "효율", "모델", "모", "델", "a", "A", "x", "향", "GPT-3", "gpt-3", "attention", "ATTENTION",
    "%", "50%", "_", "a_b", "%_", "\\", "back\\slash", "Σ", "σ", "ΑΣ", "ας", "σα", "ΟΔΟΣ", "οδος",
    "İ", "i̇", "ıi", "İstanbul", "istanbul", "kelvin", "\u212aelvin", "KELVIN", "편향성은", "다", "적으로,",
]  # fmt: skip
QUERIES = [[term] for term in TERMS] + [
    ["모델", "학습"],
    ["편향", "데이터"],
    ["GPT", "attention"],
    ["효율", "%"],
]


def plain_occurrences(field, term):
    """The score as it was counted before the index: characters, not bytes."""
    text = Lower(F(field)) if search.has_case(term) else F(field)
    return (Length(text) - Length(Replace(text, Value(term.lower()), Value("")))) / len(term)


def plain_contains(rows, term):
    """The body contains the term, by ILIKE alone (LIKE for a term without case)."""
    column = f'{connection.ops.quote_name(rows.model._meta.db_table)}."body"'
    operator = "ILIKE" if search.has_case(term) else "LIKE"
    pattern = f"%{connection.ops.prep_for_like_query(term)}%"
    match = RawSQL(f"{column} {operator} %s", [pattern], output_field=BooleanField())
    return rows.alias(plain_match=match).filter(plain_match=True)


def plain_newest(rows, terms, count):
    """The newest matches by the substring match alone, as the search found them before the index."""
    for term in terms:
        rows = plain_contains(rows, term)
    score = Value(0, output_field=IntegerField())
    for term in terms:
        score = score + plain_occurrences("body", term)
    return list(rows.annotate(score=score).order_by("-pk").values_list("pk", "score")[:count])


def through_the_index():
    # At a test's size the planner reads the table, or walks the primary key, instead; the bigram
    # index is what is being tried.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")


@pytest.fixture
def archive(db):
    call_command("make_synthetic_archive", "--size", "tiny", "--seed", "3", stdout=StringIO())
    paper = import_discussion(
        generated_discussion(questions=len(EDGES), answers=1), filename="edges.md"
    ).paper
    for question, body in zip(paper.questions.order_by("pk"), EDGES, strict=True):
        question.body = body
        question.save()
        question.answers.update(body=body)  # an UPDATE by hand, which no model code sees


@pytest.mark.parametrize(
    ("newest_rows", "widest_walk", "count"),
    [(10, 0, search.RANKED_AT_MOST + 1), (10, 10**9, search.RANKED_AT_MOST + 1), (100_000, 0, 3)],
)
def test_the_index_finds_what_the_substring_match_finds(
    archive, monkeypatch, newest_rows, widest_walk, count
):
    # Ten newest rows: the second look, among the older rows, is taken by almost every search,
    # through the index (no walk is short enough) or reading on (every walk is). Three wanted of
    # every row there is: the newest rows hold them, or only the second look does.
    monkeypatch.setattr(search, "NEWEST_ROWS", newest_rows)
    monkeypatch.setattr(search, "WIDEST_WALK", widest_walk)
    through_the_index()
    kinds = [
        (search.search_questions, Question.objects.shown().filter(paper__isnull=False)),
        (search.search_answers, Answer.objects.filled()),
    ]
    found_any = 0
    for terms in QUERIES:
        for find, rows in kinds:
            expected = plain_newest(rows, terms, count)
            assert search._newest(find(terms, search.Filters()), terms, count) == expected, terms
            found_any += bool(expected)
    assert found_any > len(QUERIES)  # the terms do occur: equal lists of nothing would prove nothing


def test_every_character_the_database_lowers_into_ascii_is_known_to_the_search(db):
    # The search's first look for an ASCII term folds ASCII letters only (search.ILikeContains):
    # it misses no row only if LOWERED_INTO_ASCII lists every other character that this database's
    # lower() makes an ASCII letter, and ASCII letters are lowered as ASCII lowers them.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT lower(chr(cp)), chr(cp) FROM generate_series(128, 1114111) AS cp "
            "WHERE cp NOT BETWEEN 55296 AND 57343 AND lower(chr(cp)) ~ '^[a-zA-Z]$'"
        )
        into_ascii = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FROM generate_series(65, 122) AS cp "
            'WHERE lower(chr(cp)) <> lower(chr(cp) COLLATE "C")'
        )
        ascii_lowered_otherwise = cursor.fetchone()[0]
    assert into_ascii == search.LOWERED_INTO_ASCII
    assert ascii_lowered_otherwise == 0


@pytest.mark.parametrize(
    "term", ["istanbul", "kelvin", "KELVIN", "ıi", "attention", "gpt-3", "50%_off", "a_b"]
)
def test_an_ascii_term_finds_what_ilike_alone_finds(archive, term):
    for find, rows in [
        (search.search_questions, Question.objects.shown().filter(paper__isnull=False)),
        (search.search_answers, Answer.objects.filled()),
    ]:
        expected = set(plain_contains(rows, term).values_list("pk", flat=True))
        assert set(find([term], search.Filters()).values_list("pk", flat=True)) == expected, term
        if term in ("istanbul", "kelvin"):
            # EDGES hold İstanbul (found only through the dotted I) and the Kelvin sign beside KELVIN.
            assert expected


def test_a_two_letter_word_is_found_through_the_bigram_index(archive):
    through_the_index()
    with connection.cursor() as cursor:
        # At this size an index that only narrows to the shown answers is as good as the bigrams,
        # so it is dropped (in the test's transaction): what is tried is that the condition is
        # spelled as the bigram index is, so that the planner can use it at all.
        cursor.execute("DROP INDEX answer_thread_order")
    matches = search.narrowed_by_bigrams(search.search_answers(["편향"], search.Filters()), ["편향"])
    sql, params = matches.order_by("-pk").values_list("pk", "score").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on discussions_answer_body_bigrams" in plan


def found(model, term):
    through_the_index()
    matches = search.KINDS[f"{model.__name__.lower()}s"]([term], search.Filters())
    return set(search.narrowed_by_bigrams(matches, [term]).values_list("pk", flat=True))


@pytest.fixture
def answer(make_paper):
    paper = make_paper(questions=2, answers=3)
    return Answer.objects.filter(question__paper=paper).exclude(body="").first()


def test_a_filled_answer_is_found_by_its_new_words(make_paper):
    paper = make_paper(questions=2, answers=3)
    open_answer = Answer.objects.filter(question__paper=paper, body="").first()
    writes.fill(open_answer, "퀘퀘 새로 채운 답", expected_version=open_answer.version, user=None)
    assert open_answer.pk in found(Answer, "퀘퀘")


def test_an_edited_answer_is_found_by_its_new_words_and_not_its_old(answer):
    writes.save_text(answer, "퀘퀘 고친 답", expected_version=answer.version, user=None)
    assert answer.pk in found(Answer, "퀘퀘")
    assert answer.pk not in found(Answer, "효율")


def test_a_reimported_question_is_found_by_its_new_words(db):
    discussion = generated_discussion(questions=2, answers=1)
    paper = import_discussion(discussion, filename="g.md").paper
    discussion.questions[0].body = "퀘퀘 파일에서 고친 질문"
    import_discussion(discussion, filename="g.md")
    question = paper.questions.get(label="Q1")
    assert found(Question, "퀘퀘") == {question.pk}
    assert question.pk not in found(Question, "few-shot")


def test_an_answer_saved_in_the_admin_is_found_by_its_new_words(answer, staff_client):
    data = {
        "question": answer.question_id,
        "parent": answer.parent_id or "",
        "label": answer.label,
        "author": answer.author_id,
        "body": "퀘퀘 관리 화면에서 고친 답",
        "position": answer.position,
        "expected_version": answer.version,
    }
    assert (
        staff_client.post(reverse("admin:discussions_answer_change", args=[answer.pk]), data).status_code
        == 302
    )
    assert answer.pk in found(Answer, "퀘퀘")


def test_answers_loaded_from_a_backup_are_found(answer, tmp_path):
    writes.save_text(answer, "퀘퀘 백업에 든 답", expected_version=answer.version, user=None)
    dump = tmp_path / "answers.json"
    call_command("dumpdata", "discussions.answer", "-o", str(dump), verbosity=0)
    Answer.objects.all().delete()
    assert not found(Answer, "퀘퀘")
    call_command("loaddata", str(dump), verbosity=0)
    assert answer.pk in found(Answer, "퀘퀘")


def bigram_indexes():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE '%%_body_bigrams'")
        return sorted(cursor.fetchall())


def test_a_first_import_builds_the_indexes_again_as_they_were(db):
    # Into an empty archive the import drops them and builds them once its rows are in
    # (importer._indexed_at_the_end); a dry run gets them back by its rollback.
    before = bigram_indexes()
    assert len(before) == 2
    discussion = generated_discussion(questions=2, answers=2, title="Bigrams")
    discussion.questions[1].answers[0].body = "퀘퀘 처음 들여온 답"
    import_discussion(discussion, filename="bigrams.md", dry_run=True)
    assert bigram_indexes() == before
    with CaptureQueriesContext(connection) as ctx:
        import_discussion(discussion, filename="bigrams.md")
    assert sum(query["sql"].startswith("DROP INDEX") for query in ctx.captured_queries) == 2
    assert bigram_indexes() == before
    assert found(Answer, "퀘퀘") == {Answer.objects.get(body="퀘퀘 처음 들여온 답").pk}
