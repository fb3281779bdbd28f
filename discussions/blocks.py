"""A visitor's question blocks, rendered once: the question with its thread, and its line in the
table of contents.

A visitor's paper page is one block per question, and a block shows nothing of who reads it. So
each is kept in the cache under a key of everything it shows: the question's own generation
(QuestionGeneration, moved by every write within its thread, discussions.generation), the
archive's structure generation (names, topics, the admin's edits, imports), the PDF its place
chips open (and whether its pages are indexed yet), and the language. After an answer to one
question, the paper's page renders that block alone and takes the others from the cache; only
their questions' ids are read.

Members' pages carry their rights, forms and new marks: they are rendered whole, as before.
"""

import hashlib

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from discussions import generation, threads
from discussions.models import Answer
from discussions.reading import link_places

CACHE_SECONDS = 60 * 60 * 24


class Block:
    """What the page's templates show of one question: its table-of-contents line and its block."""

    def __init__(self, pk, toc_html, block_html):
        self.pk, self.toc_html, self.block_html = pk, mark_safe(toc_html), mark_safe(block_html)


def of_paper(paper, pdf, session, *, user):
    """Every shown question of `paper` as a Block, in the thread's order, rendering the missing ones."""
    shown = list(paper.questions.shown().values_list("pk", "generation__value"))
    if not shown:
        return []
    # The PDF and whether its pages are indexed yet (the worker's index comes after the upload).
    pdf_state = f"{pdf.pk}.{int(bool(pdf.page_index))}" if pdf else "0"
    fixed = f"{generation.structure()}|{pdf_state}|{get_language()}"
    keys = {pk: _key(pk, own or 0, fixed) for pk, own in shown}
    found = cache.get_many(keys.values())
    missing = [pk for pk, _ in shown if keys[pk] not in found]
    if missing:
        rendered = render(paper, missing, pdf, session, user=user)
        cache.set_many({keys[pk]: value for pk, value in rendered.items()}, CACHE_SECONDS)
        found.update({keys[pk]: value for pk, value in rendered.items()})
    return [Block(pk, *found[keys[pk]]) for pk, _ in shown if keys[pk] in found]


def render(paper, pks, pdf, session, *, user):
    """{question id: (its table-of-contents line, its block)} for the questions `pks` of `paper`."""
    return {
        question.pk: (
            render_to_string("discussions/_toc_item.html", {"question": question}),
            render_to_string(
                "discussions/_question.html", {"question": question, "paper": paper, "session": session}
            ),
        )
        for question in arranged(paper, pdf, user=user, pks=pks)
    }


def arranged(paper, pdf, *, user, pks=None):
    """The shown questions of `paper` (of them, those in `pks`) as its page shows them: each with
    its thread arranged for `user` and the places it names linked into `pdf`."""
    questions = paper.questions.shown().select_related("author__user").prefetch_related("tags")
    answers = Answer.objects.shown().select_related("author__user")
    if pks is None:
        answers = answers.filter(question__paper=paper)
    else:
        questions, answers = questions.filter(pk__in=pks), answers.filter(question__in=pks)
    questions = list(questions)
    threads.arrange(questions, answers, user)
    link_places(questions, pdf)
    return questions


def _key(pk, own, fixed):
    raw = f"{pk}.{own}|{fixed}"
    return "block:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
