"""Search over papers, questions, answers and references, in Korean and English.

Korean glues particles to words (효율 → 효율성, 효율적으로), so a term matches anywhere inside
a word: `icontains`. On PostgreSQL a pg_trgm GIN index on UPPER(text) serves those LIKE
queries (migration 0004); SQLite, the embedded default, scans, which is fine at its scale.
Results rank by how often the terms occur, so a question about a word comes before a paper
that only mentions it once; kinds are shown in that order too.
"""

import re
from dataclasses import dataclass

from django.db.models import F, IntegerField, Q, Value
from django.db.models.functions import Length, Lower, Replace
from django.utils.html import escape
from django.utils.safestring import mark_safe

from discussions.models import Answer, Paper, Question, Reference

MAX_TERMS = 6


def terms_of(query: str) -> list[str]:
    return [term for term in query.split() if term][:MAX_TERMS]


def occurrences(field: str, term: str):
    """How many times `term` occurs in `field`, case-insensitively, as a database expression."""
    text = Lower(F(field))
    removed = Replace(text, Lower(Value(term)), Value(""))
    return (Length(text) - Length(removed)) / len(term)


def _matching(queryset, fields, terms, *, score_fields=None):
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__icontains": term})
        queryset = queryset.filter(any_field)
    score = Value(0, output_field=IntegerField())
    for term in terms:
        for field in score_fields or fields:
            score = score + occurrences(field, term)
    return queryset.annotate(score=score)


@dataclass
class Filters:
    topic: object = None
    paper: object = None
    participant: object = None
    open_only: bool = False


def search_questions(terms, filters: Filters):
    questions = Question.objects.visible().filter(paper__isnull=False)
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
    questions = _matching(questions, ["body"], terms)
    return questions.select_related("paper", "author").order_by("-score", "paper", "position")


def search_answers(terms, filters: Filters):
    answers = Answer.objects.filled().filter(question__hidden_at__isnull=True)
    if filters.topic:
        answers = answers.filter(question__tagged_items__tag=filters.topic)
    if filters.paper:
        answers = answers.filter(question__paper=filters.paper)
    if filters.participant:
        answers = answers.filter(author=filters.participant)
    if filters.open_only:
        answers = answers.none()  # a filled answer is not open
    answers = _matching(answers, ["body"], terms)
    return answers.select_related("question__paper", "author").order_by(
        "-score", "question__position", "position"
    )


def search_papers(terms, filters: Filters):
    papers = Paper.objects.all()
    if filters.paper:
        papers = papers.filter(pk=filters.paper.pk)
    if filters.participant:
        papers = papers.filter(participants=filters.participant)
    if filters.topic or filters.open_only:
        papers = papers.none()  # topics and open state belong to questions
    return _matching(papers, ["title", "description"], terms).order_by("-score", "title")


def search_references(terms, filters: Filters):
    references = Reference.objects.all()
    if filters.paper:
        references = references.filter(paper=filters.paper)
    if filters.topic or filters.participant or filters.open_only:
        references = references.none()
    references = _matching(references, ["label", "url"], terms)
    return references.select_related("paper").order_by("-score", "paper", "position")


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
