from itertools import groupby

from django.shortcuts import get_object_or_404, render

from discussions.models import Answer, Paper, Participant, Reference


def home(request):
    papers = Paper.objects.with_counts().newest_first().prefetch_related("participants")
    return render(request, "discussions/home.html", {"papers": papers})


def paper_detail(request, slug):
    paper = get_object_or_404(Paper, slug=slug)
    questions = list(paper.questions.select_related("author"))
    answers = Answer.objects.filter(question__paper=paper).select_related("author")
    attach_threads(questions, answers)
    references = sorted(paper.references.all(), key=lambda ref: (ref.origin, ref.position))
    listed = [ref for ref in references if ref.origin == Reference.Origin.LISTED]
    ctx = {
        "paper": paper,
        "participants": paper.participants.all(),
        "questions": questions,
        "references_by_kind": group_by_kind(listed),
        "cited": [ref for ref in references if ref.origin == Reference.Origin.CITED],
    }
    return render(request, "discussions/paper_detail.html", ctx)


def participant_detail(request, slug):
    participant = get_object_or_404(Participant, slug=slug)
    answers = participant.answers.select_related("question__paper").order_by(
        "question__paper", "question__position", "position"
    )
    ctx = {
        "participant": participant,
        "questions": participant.questions.select_related("paper").order_by("paper", "position"),
        "answers": [a for a in answers if not a.is_open],
        "open_answers": [a for a in answers if a.is_open],
    }
    return render(request, "discussions/participant_detail.html", ctx)


def attach_threads(questions, answers):
    """Give each question `.thread`: its answers in order, each with `.children`, its replies."""
    children = {}
    for answer in sorted(answers, key=lambda a: (a.position, a.pk)):
        children.setdefault((answer.question_id, answer.parent_id), []).append(answer)
    for answers_here in children.values():
        for answer in answers_here:
            answer.children = children.get((answer.question_id, answer.pk), [])
    for question in questions:
        question.thread = children.get((question.pk, None), [])


def group_by_kind(references):
    order = {kind: i for i, kind in enumerate(Reference.Kind.values)}
    by_kind = sorted(references, key=lambda ref: (order[ref.kind], ref.position))
    return [
        (Reference.Kind(kind).label, list(refs)) for kind, refs in groupby(by_kind, key=lambda ref: ref.kind)
    ]
