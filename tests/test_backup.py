import os
import re
import stat
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.urls import reverse

from discussions import reader, writes
from discussions.models import (
    Answer,
    Paper,
    Participant,
    Question,
    Reference,
    TaggedQuestion,
    Topic,
)


def thread(question, parent):
    return [
        (a.label, a.author and a.author.name, a.body, thread(question, a))
        for a in question.answers.shown().filter(parent=parent)
    ]


def posts_with_authors(paper):
    questions = paper.questions.shown().filter(author__isnull=False).select_related("author")
    answers = Answer.objects.shown().filter(question__paper=paper, author__isnull=False)
    return [*questions, *answers.select_related("author")]


def archive():
    """What a discussion file carries (removed posts are not shown, so not exported), without ids."""
    papers = []
    for paper in Paper.objects.order_by("title"):
        papers.append(
            {
                "title": paper.title,
                "url": paper.url,
                "description": paper.description,
                # Who took part: the app does not list a member who posts there among the paper's
                # participants, an import lists every writer.
                "participants": sorted(
                    {(p.name, p.full_name) for p in paper.participants.all()}
                    | {(p.author.name, p.author.full_name) for p in posts_with_authors(paper)}
                ),
                # In canonical order, summaries first (docs/file-format.md).
                "references": sorted(
                    (r.kind != "summary", r.url, r.label, r.kind) for r in paper.references.listed()
                ),
                "cited": sorted(paper.references.cited().values_list("url", flat=True)),
                "questions": [
                    (q.label, q.author and q.author.name, q.body, sorted(q.tags.names()), thread(q, None))
                    for q in paper.questions.shown()
                ],
            }
        )
    return papers


def write_in_the_app(seeded, paper, member):
    """What members do after an import: fill, edit, ask with topics, reply, remove."""
    slot = Answer.objects.open().filter(question__paper=seeded).first()
    writes.fill(slot, "앱에서 채운 답\n\nQ1. 이 줄은 인용입니다", expected_version=slot.version, user=None)
    edited = seeded.questions.get(label="Q6")
    text = edited.body + "\n\n> 앱에서 덧붙인 인용"
    writes.save_text(edited, text, expected_version=edited.version, user=None)
    asked = Question.objects.create(
        paper=paper,
        label=Question.objects.next_label(paper),
        author=member,
        body="앱에서 올린 질문",
        position=Question.objects.next_position(paper=paper),
        written_in_app=True,
    )
    writes.set_topics(asked, ["앱 토픽", "scaling"], user=None, by_hand=True)
    answer = paper.questions.first().answers.exclude(body="").first()
    Answer.objects.create(
        question=answer.question,
        parent=answer,
        label=answer.label,
        author=member,
        body="↳ 앱에서 단 답글",
        position=Answer.objects.next_position(question=answer.question),
        written_in_app=True,
    )
    # Removed: not shown, so not exported. (One without links: cited links stay listed.)
    removed = (
        Answer.objects.filter(question__paper=seeded).exclude(body="").exclude(body__contains="http").last()
    )
    writes.remove(removed, expected_version=removed.version, user=None)
    Reference.objects.create(
        paper=seeded, url="https://some.blog/274", label="PDF", kind="summary", position=9
    )


# Download


def test_every_paper_page_links_to_its_discussion_file(client, seeded):
    html = client.get(seeded.get_absolute_url()).content.decode()
    assert f'href="{reverse("discussions:paper_download", args=[seeded.slug])}"' in html


def test_the_download_is_the_file_with_what_members_wrote_and_without_what_was_removed(
    client, seeded, make_paper, personas
):
    paper = make_paper(questions=2, answers=2)
    write_in_the_app(seeded, paper, Participant.objects.get(name="쯔위"))
    removed = Answer.objects.filter(hidden_at__isnull=False).get()

    response = client.get(reverse("discussions:paper_download", args=[seeded.slug]))
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{seeded.slug}.md"'
    text = response.content.decode()
    assert "앱에서 채운 답\n\n\\Q1. 이 줄은 인용입니다" in text
    assert "- 요약 : [PDF](https://some.blog/274)" in text
    assert removed.body not in text
    read_back = reader.read(response.content, filename="x.md")
    assert len(read_back.questions) == 11


def test_a_korean_slug_is_downloaded_under_its_own_name(client, make_paper):
    paper = make_paper(questions=1, answers=1, title="트랜스포머 논문")
    response = client.get(reverse("discussions:paper_download", args=[paper.slug]))
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''%ED%8A%B8%EB%9E%9C%EC%8A%A4%ED%8F%AC%EB%A8%B8-%EB%85%BC%EB%AC%B8.md"
    )


@pytest.mark.parametrize("size", [2, 12])
def test_the_download_costs_the_same_queries_at_any_size(client, make_paper, size, django_assert_num_queries):
    paper = make_paper(questions=size, answers=size)
    # the paper, its questions, their topics, the answers, the participants, the references
    with django_assert_num_queries(6):
        client.get(reverse("discussions:paper_download", args=[paper.slug]))


# Files: export everything, import into an empty database


def test_export_all_then_import_all_into_an_empty_database_gives_back_the_archive(
    seeded, make_paper, personas, tmp_path
):
    make_paper(questions=3, answers=4, title="A second paper")
    paper = make_paper(questions=5, answers=3, title="A third paper", url="https://arxiv.org/abs/1907.11692")
    write_in_the_app(seeded, paper, Participant.objects.get(name="선민"))
    before = archive()

    call_command("export_discussion", "--all", "-o", str(tmp_path), stdout=StringIO())
    files = sorted(str(path) for path in tmp_path.iterdir())
    assert len(files) == 3
    for model in (Answer, Question, Reference, Paper, Participant, Topic):
        model.objects.all().delete()
    call_command("import_discussion", *files, stdout=StringIO())

    after = archive()
    assert after == before
    # Tags travel as `<!-- tags: … -->` lines under their question.
    assert (
        "<!-- tags: scaling, 앱 토픽 -->"
        in (tmp_path / f"{Paper.objects.get(title='A third paper').slug}.md").read_text()
    )


# Backup and restore


def truncated(row):
    """dumpdata writes times to the millisecond (DjangoJSONEncoder)."""
    return {
        key: value.replace(microsecond=value.microsecond // 1000 * 1000)
        if hasattr(value, "microsecond")
        else value
        for key, value in row.items()
    }


def everything():
    """Every row a restore must bring back, ids included (links to questions must keep working)."""
    rows = {}
    models = [Paper, Participant, Question, Answer, Reference, Topic, TaggedQuestion]
    models += [model.history.model for model in (Paper, Participant, Question, Answer)]
    for model in models:
        rows[model.__name__] = [truncated(row) for row in model.objects.order_by("pk").values()]
    # A paper's participants travel as a list: the link rows get new ids, which nothing shows.
    attended = Paper.participants.through.objects.values_list("paper_id", "participant_id")
    rows["attended"] = sorted(attended)
    rows["users"] = [
        truncated(row)
        for row in get_user_model()
        .objects.order_by("pk")
        .values("pk", "username", "password", "email", "is_staff", "is_superuser", "last_login")
    ]
    rows["admin log"] = [
        (entry.user.username, entry.content_type.model, entry.object_id, entry.action_flag)
        for entry in LogEntry.objects.select_related("content_type", "user").order_by("pk")
    ]
    return rows


def test_a_backup_restores_the_archive_logins_and_history_into_an_empty_database(
    transactional_db, seeded, make_paper, personas, tmp_path, client
):
    # Transactional: the backup and the restore run as they do from `make`, each in its own
    # transaction, and flush can empty tables that PostgreSQL would not truncate mid-transaction.
    paper = make_paper(questions=3, answers=3)
    write_in_the_app(seeded, paper, Participant.objects.get(name="쯔위"))
    Topic.objects.filter(name="scaling").update(description="손으로 고친 설명")
    LogEntry.objects.create(
        user=personas["carol"],
        content_type=ContentType.objects.get_for_model(Paper),
        object_id=str(seeded.pk),
        object_repr=seeded.title,
        action_flag=CHANGE,
    )
    before = everything()
    assert before["HistoricalAnswer"] and before["HistoricalParticipant"] and before["HistoricalPaper"]

    out = StringIO()
    call_command("backup", "-o", str(tmp_path), stdout=out)
    path = out.getvalue().strip()
    assert re.fullmatch(rf"{tmp_path}/\d{{8}}-\d{{6}}\.zip", path)
    with zipfile.ZipFile(path) as backup:
        assert sorted(backup.namelist()) == sorted(
            [f"papers/{p.slug}.md" for p in Paper.objects.all()] + ["data/accounts.json", "data/archive.json"]
        )

    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()  # flush gave the content types new rows
    assert Paper.objects.count() == 0 and get_user_model().objects.count() == 0

    call_command("restore", path, stdout=StringIO())

    assert everything() == before
    assert client.post(reverse("login"), {"username": "alice", "password": "pw-alice"}).status_code == 302
    assert client.get(seeded.get_absolute_url()).status_code == 200


def test_restore_refuses_a_database_that_is_not_empty(seeded, tmp_path):
    out = StringIO()
    call_command("backup", "-o", str(tmp_path), stdout=out)
    with pytest.raises(CommandError, match=r"this database is not empty \(1 papers, 7 participants, "):
        call_command("restore", out.getvalue().strip())


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    not_a_zip = tmp_path / "notes.zip"
    not_a_zip.write_text("hello")
    with pytest.raises(CommandError, match="not a backup"):
        call_command("restore", str(not_a_zip))
    with pytest.raises(CommandError, match="no such file"):
        call_command("restore", str(tmp_path / "missing.zip"))


def test_a_paper_the_file_format_cannot_hold_is_still_in_the_backup_data(seeded, tmp_path):
    # Stored before the admin's checks existed, say: a bracket breaks the reference line.
    Reference.objects.create(paper=seeded, url="https://example.org/x", label="[x]", position=99)
    out, err = StringIO(), StringIO()
    call_command("backup", "-o", str(tmp_path), stdout=out, stderr=err)
    assert f"left out of papers/ (the file format cannot hold it): {seeded.slug}:" in err.getvalue()
    with zipfile.ZipFile(out.getvalue().strip()) as backup:
        assert sorted(backup.namelist()) == ["data/accounts.json", "data/archive.json"]
        assert '"label": "[x]"' in backup.read("data/archive.json").decode()


def test_a_backup_is_readable_by_its_owner_only(seeded, tmp_path):
    old = os.umask(0o022)  # the usual umask, under which files are made readable by everyone
    try:
        out = StringIO()
        call_command("backup", "-o", str(tmp_path / "backups"), stdout=out)
    finally:
        os.umask(old)
    path = Path(out.getvalue().strip())
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert path.stat().st_size > 0


def test_pages_cached_before_a_restore_are_not_served_after_it(transactional_db, seeded, tmp_path, client):
    """The restored rows bring their pages' generations as the backup had them: a page cached
    before the restore under the same numbers must not be served over the restored data."""
    url = seeded.get_absolute_url()
    out = StringIO()
    call_command("backup", "-o", str(tmp_path), stdout=out)
    question = seeded.questions.get(label="Q2")
    writes.answer(question, author=Participant.objects.get(name="선민"), body="백업 뒤에 쓴 답", user=None)
    assert "백업 뒤에 쓴 답" in client.get(url).content.decode()  # rendered, and cached
    call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()

    call_command("restore", out.getvalue().strip(), stdout=StringIO())

    assert "백업 뒤에 쓴 답" not in client.get(url).content.decode()
    question = Question.objects.get(pk=question.pk)
    writes.answer(question, author=Participant.objects.get(name="선민"), body="복원 뒤에 쓴 답", user=None)
    html = client.get(url).content.decode()
    assert "복원 뒤에 쓴 답" in html and "백업 뒤에 쓴 답" not in html
    assert "백업 뒤에 쓴 답" not in client.get("/").content.decode()
