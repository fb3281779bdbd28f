"""Search over papers, questions, answers and references, in Korean and English.

Korean glues particles to words (효율 → 효율성, 효율적으로), so a term matches anywhere inside
a word. On PostgreSQL a GIN index of the bigrams of question and answer bodies (migration 0020)
finds the rows that have every bigram of a term of two characters or more, and the substring match
decides among them; papers and references are few, and pg_trgm indexes their columns (migration
0008). One-letter terms, and SQLite, the embedded default, scan. Results rank by how often the
terms occur, so a question about a word comes before a paper that only mentions it once; kinds
are shown in that order too. Each kind ranks its newest two hundred matches (RANKED_AT_MOST), so
a new search costs about the same however large the archive grows.
"""

import re
from dataclasses import dataclass

from django.core.paginator import Paginator
from django.db import connection
from django.db.models import CharField, Expression, F, IntegerField, Lookup, Q, TextField
from django.db.models.expressions import RawSQL
from django.db.models.lookups import IContains
from django.utils.html import escape
from django.utils.safestring import mark_safe

from discussions.models import Answer, Paper, Question, Reference

MAX_TERMS = 6


# The characters beyond ASCII that the database's lower() turns into ASCII letters (Unicode's simple
# case mappings: the dotted capital I and the Kelvin sign); tests/test_search_index.py asks the
# database for every such character and checks this is all of them.
LOWERED_INTO_ASCII = {"i": "\u0130", "k": "\u212a"}


def holds_what_lowers_into(column, column_params, term: str):
    """(SQL, params) of whether `column` holds a character beyond ASCII that the database's lower()
    makes one of the ASCII `term`'s letters, or None when no such character could: a text without
    them lowers, as far as `term` can tell, as ASCII-only folding does."""
    beyond = [character for letter, character in LOWERED_INTO_ASCII.items() if letter in term.lower()]
    if not beyond:
        return None
    sql = " OR ".join(f"STRPOS({column}, %s) > 0" for _ in beyond)
    return sql, [param for character in beyond for param in (*column_params, character)]


@CharField.register_lookup
@TextField.register_lookup
class ILikeContains(IContains):
    """`icontains` as PostgreSQL's `col ILIKE '%…%'`: Django writes `UPPER(col) LIKE UPPER(…)`,
    which only an index on UPPER(col) serves, and the index on the column serves LIKE as well.

    ILIKE lowers the whole text through the locale first (C.UTF-8 is not PostgreSQL's C), which
    costs three times the match itself: four of a new search's microseconds per row read. For a
    term in ASCII, ILIKE under the C collation, which folds ASCII letters only, is a cheap first
    look that misses no row: a row that matches in the locale either matches there or holds one of
    LOWERED_INTO_ASCII. The locale's ILIKE then decides on the few rows that pass, so what is found
    is exactly what ILIKE alone finds, whatever the locale."""

    lookup_name = "ilike_contains"

    def get_rhs_op(self, connection, rhs):
        return connection.operators["icontains"] % rhs

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        exact = f"{lhs} ILIKE {rhs}"
        params = (*lhs_params, *rhs_params)
        term = self.rhs
        if not isinstance(term, str) or not term.isascii():
            return exact, params
        first_look, first_params = f'({lhs} COLLATE "C") ILIKE {rhs}', [*params]
        holds = holds_what_lowers_into(lhs, lhs_params, term)
        if holds is not None:
            holds_sql, holds_params = holds
            first_look, first_params = f"{first_look} OR {holds_sql}", [*first_params, *holds_params]
        # One CASE, not an AND: the planner orders a row's conditions by their cost and would
        # put the plain ILIKE, the cheaper-looking one, first.
        return f"CASE WHEN {first_look} THEN {exact} ELSE FALSE END", (*first_params, *params)


@TextField.register_lookup
class HasBigramsOf(Lookup):
    """The bigram index's condition (migration 0020): the column's bigrams include the term's.

    True of every row whose column contains the term, in any case, because both sides are taken
    apart by the same function after the lower() that ILIKE compares with; so it only narrows the
    rows the substring match is asked about, and never changes what is found.
    """

    lookup_name = "has_bigrams_of"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # Spelled as the index is, collation included, or the planner does not see it is the same.
        sql = f'(discussions_bigrams({lhs}) COLLATE "C") @> discussions_term_bigrams({rhs})'
        return sql, (*lhs_params, *rhs_params)


# No word is longer; a longer "term" (a pasted page) made SQLite refuse the LIKE pattern (a 500).
MAX_TERM_LENGTH = 100


# A phrase in straight or curly quotes is one term, spaces and all; a quote left open runs to the end.
_TERM = re.compile(r'["“”]\s*(?P<phrase>[^"“”]*?)\s*(?:["“”]|$)|(?P<word>[^\s"“”]+)')


def terms_of(query: str) -> list[str]:
    """The terms of a query: its words, and each quoted phrase as one term ("common sense")."""
    found = (" ".join((match["phrase"] or match["word"] or "").split()) for match in _TERM.finditer(query))
    return [term[:MAX_TERM_LENGTH] for term in found if term][:MAX_TERMS]


def has_case(term: str) -> bool:
    return term.lower() != term.upper()


def contains(field: str, term: str) -> Q:
    # Hangul and digits have no case, and a plain LIKE costs a third of ILIKE's case folding.
    lookup = "ilike_contains" if has_case(term) else "contains"
    return Q(**{f"{field}__{lookup}": term})


def narrowed_by_bigrams(rows, terms):
    """`rows` narrowed by the bigram index to those that have every bigram of each term (of two
    characters or more): on PostgreSQL, for a big table's body only. Never changes what is found."""
    for term in terms:
        if len(term) >= 2:
            rows = rows.filter(body__has_bigrams_of=term)
    return rows


class Score(Expression):
    """How many times `terms` occur in `fields`, case-insensitively for a term with case, summed:
    one SQL expression written out here. Built of Django's Func nodes (a Replace in a Lower in a
    length, per term and field) the same sum took ~4 ms of the ~17 ms a new search spent in Python
    to compile, on every query of the page; this compiles in microseconds.

    The length is in bytes, which PostgreSQL has without reading the text, where counting its
    characters walks every one of the ranked bodies per term."""

    output_field = IntegerField()

    def __init__(self, fields, terms):
        super().__init__()
        self.columns = [F(field) for field in fields]
        self.terms = list(terms)

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        sums, params = ["0"], []
        for term in self.terms:
            for column in self.columns:
                column_sql, column_params = compiler.compile(column)
                sql, sql_params = _occurrences(column_sql, column_params, term, connection)
                sums.append(sql)
                params += sql_params
        return f"({' + '.join(sums)})", params


def _occurrences(column, column_params, term, connection):
    """How many times `term` occurs in `column`, case-insensitively: (SQL, params)."""
    needle = term.lower()
    length = "OCTET_LENGTH({})" if connection.vendor == "postgresql" else "LENGTH(CAST({} AS BLOB))"

    def count(text):
        removed = f"REPLACE({text}, %s, '')"
        sql = f"({length.format(text)} - {length.format(removed)}) / %s"
        return sql, [*column_params, *column_params, needle, len(needle.encode())]

    if not has_case(term):
        return count(column)
    if connection.vendor != "postgresql" or not term.isascii():
        return count(f"LOWER({column})")
    # As in ILikeContains: the locale's lower() costs four times ASCII's, and counts an ASCII term
    # differently only in a text that holds a character it lowers into one of the term's letters.
    ascii_sql, ascii_params = count(f'LOWER({column} COLLATE "C")')
    holds = holds_what_lowers_into(column, column_params, term)
    if holds is None:
        return ascii_sql, ascii_params
    holds_sql, holds_params = holds
    locale_sql, locale_params = count(f"LOWER({column})")
    return (
        f"CASE WHEN {holds_sql} THEN {locale_sql} ELSE {ascii_sql} END",
        [*holds_params, *locale_params, *ascii_params],
    )


def _matching(queryset, fields, terms):
    # A term without case first: a row's cheap LIKE for it spares most rows ILIKE's case folding,
    # which costs three times as much; the conditions are ANDed, so the order changes nothing found.
    for term in sorted(terms, key=has_case):
        any_field = Q()
        for field in fields:
            any_field |= contains(field, term)
        queryset = queryset.filter(any_field)
    return queryset.annotate(score=Score(fields, terms))


# How many of a kind's newest matches are ranked. A term like 효율 is in a tenth of all answers:
# ranking every match read them all on every new search, where the newest few hundred are found
# by reading back from the newest row; two hundred are ten pages of results, and ranking more told
# a reader little and cost every new search (a thousand took 50-300 ms per kind for a common word).
RANKED_AT_MOST = 200

# The tables with a bigram index of their bodies (migration 0020): the big ones.
BIGRAM_INDEXED = (Question, Answer)

# How a big table is looked through: first its newest rows, this many, read back from the newest
# with the substring match alone. A common term (모델 is in a third of the answers) has its newest
# matches there. What that look found tells how common the term is: if the rest are expected within
# WIDEST_WALK more rows, reading on finds them; a rarer term is looked for in all the older rows
# through the bigram index, which finds the few it has. The planner cannot make this choice itself:
# it counts the bigrams of a term as independent and expects a hundredth of the matches there are,
# so it asked the index for every common word too and read each row the index gave, a fifth of
# the table for an English word (65 ms for tokenizer), and in a walk back it built each row's
# bigrams to check them (16 ms for 데이터 among the questions).
NEWEST_ROWS = 2000
WIDEST_WALK = 8000


def _newest(matches, terms, count: int) -> list[tuple[int, int]]:
    """(pk, score) of the newest `count` matches of `terms`, newest first."""
    newest_first = matches.order_by("-pk").values_list("pk", "score")
    if matches.model not in BIGRAM_INDEXED or connection.vendor != "postgresql":
        return list(newest_first[:count])  # walking back from the newest row stops at `count`
    table = connection.ops.quote_name(matches.model._meta.db_table)
    pk = connection.ops.quote_name(matches.model._meta.pk.column)
    bound = RawSQL(f"(SELECT MAX({pk}) FROM {table}) - %s", (NEWEST_ROWS,), output_field=IntegerField())
    found = list(newest_first.filter(pk__gt=bound)[:count])
    wanted = count - len(found)
    if wanted <= 0:
        return found
    older = newest_first.filter(pk__lte=bound)
    if not found or wanted * NEWEST_ROWS / len(found) > WIDEST_WALK:
        older = narrowed_by_bigrams(older, terms)
    return found + list(older[:wanted])


def ranked_page(matches, terms, number, per_page: int):
    """Page `number` of `matches` of `terms`: the newest RANKED_AT_MOST, best first (newest first
    among equals); `page.more` says whether older matches were left out. Only the page's rows are
    loaded, with what the page shows, by their primary keys alone."""
    newest = _newest(matches, terms, RANKED_AT_MOST + 1)
    ranked = sorted(newest[:RANKED_AT_MOST], key=lambda row: -row[1])
    page = Paginator([pk for pk, _ in ranked], per_page).get_page(number)
    loaded = matches.model.objects.select_related(*SHOWN_WITH[matches.model]).in_bulk(page.object_list)
    page.object_list = [loaded[pk] for pk in page.object_list]
    page.more = len(newest) > RANKED_AT_MOST
    return page


# What a result shows besides itself (loaded with its row: one query per kind).
SHOWN_WITH = {
    Question: ("paper", "author"),
    Answer: ("question__paper", "author"),
    Paper: (),
    Reference: ("paper",),
}


@dataclass
class Filters:
    topic: object = None
    paper: object = None
    participant: object = None
    open_only: bool = False


def search_questions(terms, filters: Filters):
    questions = Question.objects.shown().filter(paper__isnull=False)
    if filters.topic:
        questions = questions.filter(tagged_items__tag=filters.topic)
    if filters.paper:
        questions = questions.filter(paper=filters.paper)
    if filters.participant:
        questions = questions.filter(author=filters.participant)
    if filters.open_only:
        questions = questions.filter(
            Q(pk__in=Answer.objects.open().values("question")) | Q(pk__in=Question.objects.unanswered())
        )
    return _matching(questions, ["body"], terms)


def search_answers(terms, filters: Filters):
    answers = Answer.objects.filled()
    if filters.topic:
        answers = answers.filter(question__tagged_items__tag=filters.topic)
    if filters.paper:
        answers = answers.filter(question__paper=filters.paper)
    if filters.participant:
        answers = answers.filter(author=filters.participant)
    if filters.open_only:
        answers = answers.none()  # a filled answer is not open
    return _matching(answers, ["body"], terms)


def search_papers(terms, filters: Filters):
    papers = Paper.objects.all()
    if filters.paper:
        papers = papers.filter(pk=filters.paper.pk)
    if filters.participant:
        papers = papers.filter(participants=filters.participant)
    if filters.topic or filters.open_only:
        papers = papers.none()  # topics and open state belong to questions
    return _matching(papers, ["title", "description"], terms)


def search_references(terms, filters: Filters):
    references = Reference.objects.all()
    if filters.paper:
        references = references.filter(paper=filters.paper)
    if filters.topic or filters.participant or filters.open_only:
        references = references.none()
    return _matching(references, ["label", "url"], terms)


KINDS = {
    "questions": search_questions,
    "answers": search_answers,
    "papers": search_papers,
    "references": search_references,
}


def snippet(text: str, terms: list[str], width: int = 180) -> str:
    """A piece of `text` around the first match, HTML-escaped, every match in <mark>."""
    text = re.sub(r"\s+", " ", text).strip()
    pattern = re.compile("|".join(re.escape(term) for term in terms), re.IGNORECASE) if terms else None
    first = pattern.search(text) if pattern else None
    start = max(0, (first.start() if first else 0) - width // 3)
    piece = text[start : start + width]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + width < len(text) else ""
    if not pattern:
        return escape(prefix + piece + suffix)
    out, last = [], 0
    for match in pattern.finditer(piece):
        out.append(escape(piece[last : match.start()]))
        out.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    out.append(escape(piece[last:]))
    return mark_safe(escape(prefix) + "".join(out) + escape(suffix))
