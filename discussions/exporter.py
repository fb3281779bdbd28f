"""Turn a paper's rows back into a reading, for the writer to put into a file."""

from discussions import reader
from discussions.models import Answer, Paper


def to_discussion(paper: Paper) -> reader.Discussion:
    # Removed posts stay out (their history keeps them): a file imported again would show them.
    # A removed answer's replies go with it, as on the paper page.
    questions = list(paper.questions.shown().select_related("author").prefetch_related("tags"))
    answers = Answer.objects.shown().filter(question__paper=paper).select_related("author")
    children = {}
    for answer in answers:
        children.setdefault((answer.question_id, answer.parent_id), []).append(answer)

    def parsed_answers(question_id, parent_id):
        return [
            reader.Answer(
                label=a.label,
                author=a.author.name if a.author else None,
                body=a.body,
                replies=parsed_answers(question_id, a.pk),
            )
            for a in sorted(children.get((question_id, parent_id), []), key=lambda a: a.position)
        ]

    return reader.Discussion(
        title=paper.title,
        title_source="header",
        url=paper.url,
        participants=[p.display_name for p in paper.participants.all()],
        references=[
            reader.Reference(url=ref.url, label=ref.label, kind="summary" if ref.kind == "summary" else "")
            for ref in paper.references.listed()
        ],
        description=paper.description,
        questions=[
            reader.Question(
                label=q.label,
                author=q.author.name if q.author else None,
                body=q.body,
                answers=parsed_answers(q.pk, None),
                tags=sorted(tag.name for tag in q.tags.all()),
            )
            for q in questions
        ],
    )
