"""Turn a paper's rows back into a reading, for the writer to put into a file."""

from discussions import reader, rules
from discussions.links import infer_kind
from discussions.models import Answer, Paper


def to_discussion(paper: Paper) -> reader.Discussion:
    # Removed posts stay out (their history keeps them): a file imported again would show them.
    # A removed answer's replies go with it, as on the paper page.
    questions = list(paper.questions.shown().select_related("author").prefetch_related("tags"))
    answers = Answer.objects.shown().filter(question__paper=paper).select_related("author")
    children = {}
    for answer in sorted(answers, key=lambda a: (a.position, a.pk)):
        children.setdefault((answer.question_id, answer.parent_id), []).append(answer)

    # Each row's reading, then each reading's replies: two flat passes instead of recursion, so
    # a thread a thousand replies deep exports too (and reads back: reader.thread_order).
    parsed = {
        a.pk: reader.Answer(label=a.label, author=a.author.name if a.author else None, body=text(a.body))
        for a in answers
    }
    for (_, parent_id), replies in children.items():
        if parent_id is not None and parent_id in parsed:
            parsed[parent_id].replies = [parsed[reply.pk] for reply in replies]

    return reader.Discussion(
        title=text(paper.title),
        title_source="header",
        url=paper.url,
        participants=[p.display_name for p in paper.participants.all()],
        references=[
            # A kind the address does not give away is noted in the file; the rest are inferred again.
            reader.Reference(
                url=ref.url, label=ref.label, kind="" if ref.kind == infer_kind(ref.url) else ref.kind
            )
            for ref in paper.references.listed()
        ],
        description=text(paper.description),
        session_date=paper.session_date.isoformat() if paper.session_date else "",
        presenter=paper.presenter.name if paper.presenter_id else "",
        questions=[
            reader.Question(
                label=q.label,
                author=q.author.name if q.author else None,
                body=text(q.body),
                answers=[parsed[a.pk] for a in children.get((q.pk, None), [])],
                tags=sorted(tag.name for tag in q.tags.all()),
                discussed=q.discussed,
            )
            for q in questions
        ],
    )


def text(value: str) -> str:
    # A row stored before the rule may hold a form feed or the like; the reader would drop it on
    # the way back in, so the file leaves it out (rather than the download failing on it).
    return rules.without_controls(value)
