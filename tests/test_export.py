from io import StringIO

from django.core.management import call_command

from discussions import reader
from discussions.models import Answer, Paper, Participant, Question, Reference


def snapshot():
    """Everything a round trip must give back, without database ids."""
    papers = []
    for paper in Paper.objects.order_by("title"):
        papers.append(
            {
                "title": paper.title,
                "url": paper.url,
                "description": paper.description,
                "participants": sorted(p.name for p in paper.participants.all()),
                "references": sorted((r.url, r.label, r.kind) for r in paper.references.listed()),
                "cited": sorted(paper.references.cited().values_list("url", flat=True)),
                "questions": [
                    (
                        q.label,
                        q.author and q.author.name,
                        q.body,
                        sorted(t.name for t in q.tags.all()),
                        thread(q, None),
                    )
                    for q in paper.questions.all()
                ],
            }
        )
    people = sorted(Participant.objects.values_list("name", "full_name"))
    return papers, people


def thread(question, parent):
    return [
        (a.label, a.author and a.author.name, a.body, thread(question, a))
        for a in question.answers.filter(parent=parent)
    ]


def test_export_then_import_into_an_empty_database_gives_the_same_archive(seeded, make_paper, tmp_path):
    make_paper(questions=4, answers=3)
    q = Question.objects.get(paper=seeded, label="Q2")
    q.tags.add("efficiency")
    slot = Answer.objects.open().filter(question__paper=seeded).first()
    slot.body, slot.written_in_app = "앱에서 채운 답\n\nQ1. 이 줄은 인용입니다", True
    slot.save()
    Answer.objects.create(question=q, parent=q.answers.first(), label="A2", body="> 인용한 답글", position=99)
    Reference.objects.create(
        paper=seeded, url="https://some.blog/274", label="PDF", kind="summary", position=9
    )
    before = snapshot()

    call_command("export_discussion", "--all", "-o", str(tmp_path), stdout=StringIO())
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2
    for model in (Answer, Question, Reference, Paper, Participant):
        model.objects.all().delete()
    call_command("import_discussion", *map(str, files), stdout=StringIO())

    assert snapshot() == before


def test_exporting_one_paper_prints_the_file(seeded):
    out = StringIO()
    call_command("export_discussion", seeded.slug, stdout=out)
    again = reader.read(out.getvalue(), filename="x.md")
    assert again.title == "Language Models are Few-Shot Learners"
    assert len(again.questions) == 11
    assert [a.author for q in again.questions for a in q.answers if a.is_open] == ["쯔위", "쯔위"]
