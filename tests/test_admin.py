import io
import zipfile

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from discussions import reader
from discussions.importer import import_discussion
from discussions.models import Answer, Paper, Participant, Question, Reference, Topic
from discussions.uploads import UPLOAD_SESSION_KEY

from .conftest import SEED

# Queries per admin page, the same at any size of archive. Every page starts with 1 (the user; the
# session comes from the cache); what follows is the page's own.
PINNED = {
    # Every page: the session row first (sessions live in the database), then:
    # filtered count, total count, one page of rows with their counts as subqueries (no joins)
    ("paper", "changelist"): 5,
    # + the choices of the topic and paper filters, and the page's topics in one prefetch
    ("question", "changelist"): 8,
    ("answer", "changelist"): 6,  # + the choices of the paper filter
    ("participant", "changelist"): 5,
    ("topic", "changelist"): 5,
    ("user", "changelist"): 6,  # + the choices of the group filter
    ("group", "changelist"): 5,
    # the choices of each select: participants (presenter, participants), papers, and the
    # participants of a question's answer rows, read once for all the rows
    ("paper", "add"): 4,
    ("question", "add"): 5,
    ("answer", "add"): 3,
    ("participant", "add"): 2,
    ("topic", "add"): 2,
    ("user", "add"): 2,
    ("group", "add"): 3,
    # the row (with its counts), its author for the title, its selects; whether it may be
    # deleted (a paper members wrote in, a participant who wrote, may not); a paper's participants,
    # references and question list; a question's topics and answers (authors and the answers
    # they reply to by select_related); an answer's question for its raw-id box; a participant's
    # other names
    ("paper", "change"): 10,
    ("question", "change"): 10,
    ("answer", "change"): 7,
    ("participant", "change"): 5,
    ("topic", "change"): 3,
    ("user", "change"): 7,
    ("group", "change"): 5,
    # the row, a count and one page of versions with their users and authors (select_related),
    # or the admin's log for the models without simple-history
    ("paper", "history"): 5,
    ("question", "history"): 7,
    ("answer", "history"): 6,
    ("participant", "history"): 5,
    ("topic", "history"): 4,
    ("user", "history"): 4,
    ("group", "history"): 4,
    # one version as a read-only form: the version, the row, its selects and inlines
    ("paper", "version"): 10,
    ("question", "version"): 8,
    ("answer", "version"): 8,
    ("participant", "version"): 4,
}

MODELS = {
    "paper": "discussions",
    "question": "discussions",
    "answer": "discussions",
    "participant": "discussions",
    "topic": "discussions",
    "user": "auth",
    "group": "auth",
}


def grow(make_paper, size, tag):
    """A generated paper of `size` questions, each tagged, the first one edited `size` times."""
    paper = make_paper(questions=size, answers=size, title=f"Generated {size}")
    for question in paper.questions.all():
        question.tags.add(tag)
    for n in range(size):
        for post in (paper.questions.first(), Answer.objects.filter(question__paper=paper).first()):
            post.body += f" (edit {n})"
            post.save()
        paper.description += f"\n\nedit {n}"
        paper.save()
    Participant.objects.bulk_create(
        Participant(name=f"extra-{size}-{n}", slug=f"extra-{size}-{n}") for n in range(size)
    )
    Group.objects.create(name=f"group {size}")
    return paper


def urls(paper, user):
    """Each admin page, for the rows of the newest generated paper (the ones that grow)."""
    question = paper.questions.first()
    answer = Answer.objects.filter(question=question, parent=None).first()
    objects = {
        "paper": paper,
        "question": question,
        "answer": answer,
        "participant": answer.author,
        "topic": Topic.objects.get(name=f"topic-{paper.questions.count()}"),
        "user": user,
        "group": Group.objects.order_by("-pk").first(),
    }
    pages = {}
    for model, app in MODELS.items():
        obj = objects[model]
        pages[(model, "changelist")] = reverse(f"admin:{app}_{model}_changelist")
        pages[(model, "add")] = reverse(f"admin:{app}_{model}_add")
        pages[(model, "change")] = reverse(f"admin:{app}_{model}_change", args=[obj.pk])
        pages[(model, "history")] = reverse(f"admin:{app}_{model}_history", args=[obj.pk])
        if hasattr(obj, "history"):
            version = obj.history.order_by("history_id").first()
            pages[(model, "version")] = reverse(
                f"admin:{app}_{model}_simple_history", args=[obj.pk, version.history_id]
            )
    return pages


def queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def test_every_admin_page_loads_in_the_same_number_of_queries_at_two_sizes(
    seeded, make_paper, staff, staff_client
):
    small = urls(grow(make_paper, 2, "topic-2"), staff)
    for url in small.values():
        staff_client.get(url)  # first visits fill Django's caches (content types, permissions)
    at_small = {page: queries(staff_client, url) for page, url in small.items()}

    large = urls(grow(make_paper, 12, "topic-12"), staff)
    at_large = {page: queries(staff_client, url) for page, url in large.items()}

    assert at_small == PINNED
    assert at_large == PINNED


def test_the_upload_and_merge_pages_cost_the_same_queries_at_two_sizes(seeded, make_paper, staff_client):
    upload_page = reverse("admin:discussions_paper_upload")
    staff_client.get(upload_page)
    for size in (2, 12):
        grow(make_paper, size, f"topic-{size}")
        assert queries(staff_client, upload_page) == 2  # the session, the user: nothing until files come
        # the session, the user, the changelist's two counts, the selected rows with their
        # counts, the choices of whom to merge into
        assert merge_page_queries(staff_client) == 6


def merge_page_queries(client):
    selected = Participant.objects.order_by("pk")[:2]
    data = {"action": "merge_into", "index": 0, "_selected_action": [p.pk for p in selected]}
    with CaptureQueriesContext(connection) as context:
        response = client.post(reverse("admin:discussions_participant_changelist"), data)
    assert response.status_code == 200
    assert b"Merge into" in response.content
    return len(context.captured_queries)


@pytest.mark.parametrize("persona", ["anonymous", "alice"])
def test_a_member_or_visitor_gets_no_admin_but_the_login_page(as_persona, persona):
    client = as_persona(persona)
    for url in [
        reverse("admin:index"),
        reverse("admin:discussions_paper_changelist"),
        reverse("admin:discussions_paper_upload"),
        reverse("admin:discussions_paper_export"),
        reverse("admin:discussions_participant_changelist"),
        reverse("admin:discussions_question_change", args=[Question.objects.first().pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url


def test_staff_without_the_rights_to_add_papers_cannot_upload(as_persona):
    client = as_persona("carol")  # is_staff, but no model permissions
    assert client.get(reverse("admin:discussions_paper_upload")).status_code == 403
    assert client.get(reverse("admin:discussions_paper_changelist")).status_code == 403


def test_the_changelists_show_counts_and_topics(seeded, staff_client):
    html = staff_client.get(reverse("admin:discussions_paper_changelist")).content.decode()
    assert "Language Models are Few-Shot Learners" in html
    assert '<td class="field-question_count">11</td>' in html
    assert '<td class="field-open_count">2</td>' in html
    assert reverse("admin:discussions_paper_upload") in html
    assert reverse("admin:discussions_paper_export") in html

    html = staff_client.get(reverse("admin:discussions_participant_changelist")).content.decode()
    assert '<td class="field-open_count">2</td>' in html  # 쯔위's two open answers

    Question.objects.get(label="Q6").tags.add("미분류")
    html = staff_client.get(reverse("admin:discussions_question_changelist") + "?q=Q6").content.decode()
    assert "미분류" in html
    html = staff_client.get(reverse("admin:discussions_topic_changelist")).content.decode()
    assert "미분류" in html and '<td class="field-question_count">1</td>' in html


def test_the_paper_page_in_the_admin_lists_its_questions_with_links(seeded, staff_client):
    html = staff_client.get(reverse("admin:discussions_paper_change", args=[seeded.pk])).content.decode()
    for question in seeded.questions.all():
        assert reverse("admin:discussions_question_change", args=[question.pk]) in html
    assert reverse("discussions:paper_download", args=[seeded.slug]) in html


def paper_form(paper, **changes):
    data = {
        "title": paper.title,
        "url": paper.url,
        "arxiv_id": paper.arxiv_id,
        "slug": paper.slug,
        "description": paper.description,
        "session_date": "",
        "presenter": "",
        "participants": [p.pk for p in paper.participants.all()] if paper.pk else [],
        "references-TOTAL_FORMS": 0,
        "references-INITIAL_FORMS": 0,
    }
    return {**data, **changes}


def test_a_title_edited_in_the_admin_wins_over_the_file_on_reimport(seeded, staff_client):
    url = reverse("admin:discussions_paper_change", args=[seeded.pk])
    presenter = Participant.objects.get(name="정훈")
    response = staff_client.post(url, paper_form(seeded, title="GPT-3", presenter=presenter.pk))
    assert response.status_code == 302
    seeded.refresh_from_db()
    assert (seeded.title, seeded.title_locked, seeded.url_locked) == ("GPT-3", True, False)
    assert seeded.presenter == presenter
    assert seeded.history.first().history_user.username == "curator"

    # The same file, now with a title of its own in its header.
    text = SEED.read_text(encoding="utf-8").replace("논문 URL :", "- 제목 : From the file\n논문 URL :", 1)
    import_discussion(reader.read(text, filename="gpt3.md"), filename="gpt3.md")
    assert Paper.objects.get().title == "GPT-3"


def test_a_paper_added_in_the_admin_gets_a_slug_and_a_locked_title(db, staff_client):
    data = paper_form(Paper(title="Attention Is All You Need", url="https://arxiv.org/abs/1706.03762"))
    response = staff_client.post(reverse("admin:discussions_paper_add"), {**data, "participants": []})
    assert response.status_code == 302
    paper = Paper.objects.get()
    assert (paper.slug, paper.arxiv_id, paper.title_locked, paper.url_locked) == (
        "attention-is-all-you-need",
        "1706.03762",
        True,
        True,
    )


def test_the_admin_refuses_a_value_the_file_format_cannot_hold(seeded, staff_client):
    person = Participant.objects.get(name="정훈")
    url = reverse("admin:discussions_participant_change", args=[person.pk])
    response = staff_client.post(
        url, {"name": "정훈 (팀장)", "full_name": "", "slug": person.slug, "user": ""}
    )
    assert response.status_code == 200
    assert b"The discussion file format cannot hold this" in response.content
    assert Participant.objects.get(pk=person.pk).name == "정훈"

    response = staff_client.post(
        reverse("admin:discussions_topic_add"), {"name": "bias, fairness", "slug": ""}
    )
    assert response.status_code == 200
    assert not Topic.objects.filter(name="bias, fairness").exists()


def test_an_answer_edited_in_the_admin_is_kept_on_reimport(seeded, staff_client):
    answer = Answer.objects.filter(question__paper=seeded).exclude(body="").first()
    url = reverse("admin:discussions_answer_change", args=[answer.pk])
    data = {
        "question": answer.question_id,
        "parent": "",
        "label": answer.label,
        "author": answer.author_id,
        "body": "관리자가 고친 답",
        "position": answer.position,
        "expected_version": answer.version,
    }
    assert staff_client.post(url, data).status_code == 302
    answer.refresh_from_db()
    assert (answer.body, answer.written_in_app, answer.version) == ("관리자가 고친 답", True, 2)
    assert answer.history.first().history_user.username == "curator"

    from django.core.management import call_command

    call_command("seed", stdout=io.StringIO())
    answer.refresh_from_db()
    assert answer.body == "관리자가 고친 답"


def test_topics_chosen_in_the_admin_are_kept_as_chosen_by_hand(seeded, staff_client):
    question = Question.objects.get(label="Q6")
    url = reverse("admin:discussions_question_change", args=[question.pk])
    data = {
        "paper": question.paper_id,
        "label": "Q6",
        "author": question.author_id or "",
        "body": question.body,
        "position": question.position,
        "tags": "long context, scaling",
        "expected_version": question.version,
        "answers-TOTAL_FORMS": 0,
        "answers-INITIAL_FORMS": 0,
    }
    assert staff_client.post(url, data).status_code == 302
    question.refresh_from_db()
    assert sorted(question.tags.names()) == ["long context", "scaling"]
    assert question.tags_by_hand
    assert question.topic_names == "long context, scaling"
    assert question.written_in_app is False  # the text was not touched


def test_an_answer_edited_under_its_question_is_written_in_the_app(seeded, staff_client):
    question = Question.objects.get(label="Q2")
    answer = question.answers.get()
    url = reverse("admin:discussions_question_change", args=[question.pk])
    data = {
        "paper": question.paper_id,
        "label": question.label,
        "author": question.author_id,
        "body": question.body,
        "position": question.position,
        "tags": ", ".join(question.tags.names()),
        "expected_version": question.version,
        "answers-TOTAL_FORMS": 1,
        "answers-INITIAL_FORMS": 1,
        "answers-0-id": answer.pk,
        "answers-0-question": question.pk,
        "answers-0-label": answer.label,
        "answers-0-author": answer.author_id,
        "answers-0-body": "표에서 고친 답",
        "answers-0-position": answer.position,
        "answers-0-expected_version": answer.version,
    }
    assert staff_client.post(url, data).status_code == 302
    answer.refresh_from_db()
    question.refresh_from_db()
    assert (answer.body, answer.written_in_app, answer.version) == ("표에서 고친 답", True, 2)
    assert (question.written_in_app, question.version, question.tags_by_hand) == (False, 1, False)


def test_a_reply_cannot_be_moved_under_another_question(seeded, make_paper, staff_client):
    paper = make_paper(questions=2, answers=1)
    reply = Answer.objects.filter(question__paper=paper, parent__isnull=False).first()
    other = paper.questions.exclude(pk=reply.question_id).first()
    data = {
        "question": other.pk,
        "parent": reply.parent_id,
        "label": reply.label,
        "author": reply.author_id,
        "body": reply.body,
        "position": reply.position,
        "expected_version": reply.version,
    }
    response = staff_client.post(reverse("admin:discussions_answer_change", args=[reply.pk]), data)
    assert b"A reply must be in the same question" in response.content


# Upload


def upload(client, *files):
    return client.post(reverse("admin:discussions_paper_upload"), {"files": list(files)})


def seed_file(name="gpt3.md"):
    return SimpleUploadedFile(name, SEED.read_bytes(), content_type="text/markdown")


def test_an_upload_shows_a_preview_and_writes_nothing_until_confirmed(db, staff_client):
    response = upload(staff_client, seed_file())
    html = response.content.decode()
    assert response.status_code == 200
    assert "gpt3.md: created “gpt3” (11 questions, 15 answers, 2 open answers)" in html
    assert 'name="confirm"' in html
    assert Paper.objects.count() == 0 and Participant.objects.count() == 0

    token = staff_client.session[UPLOAD_SESSION_KEY]["token"]
    response = staff_client.post(reverse("admin:discussions_paper_upload"), {"confirm": "1", "token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:discussions_paper_changelist")
    paper = Paper.objects.get()
    assert (paper.questions.count(), Answer.objects.open().count()) == (11, 2)
    assert UPLOAD_SESSION_KEY not in staff_client.session
    html = staff_client.get(response["Location"]).content.decode()
    assert "gpt3.md: created" in html


def test_an_upload_previews_every_warning_with_its_line(db, staff_client):
    text = "## 토론\n\nQ1 (정훈). 질문\n\nA2 (소연). 번호가 다른 답\n"
    response = upload(staff_client, SimpleUploadedFile("numbers.md", text.encode()), seed_file())
    html = response.content.decode()
    warnings = [line for line in html.splitlines() if "numbers.md:5:" in line]
    assert len(warnings) == 1
    assert "gpt3.md: created" in html and "numbers.md: created" in html

    token = staff_client.session[UPLOAD_SESSION_KEY]["token"]
    staff_client.post(reverse("admin:discussions_paper_upload"), {"confirm": "1", "token": token})
    assert Paper.objects.count() == 2


def test_a_refused_file_shows_its_line_and_nothing_is_written(db, staff_client):
    bad = SimpleUploadedFile("bad.md", "## 토론\n\nA1 (소연). 질문보다 먼저 온 답\n".encode())
    empty = SimpleUploadedFile("empty.md", b"")
    response = upload(staff_client, seed_file(), bad, empty)
    html = response.content.decode()
    assert "bad.md:3: answer A1 (소연) comes before any question" in html
    assert "empty.md:1: the file is empty" in html
    assert 'name="confirm"' not in html
    assert Paper.objects.count() == 0
    assert UPLOAD_SESSION_KEY not in staff_client.session


def test_a_file_over_two_megabytes_is_refused_with_a_clear_message(db, staff_client):
    big = SimpleUploadedFile("big.md", SEED.read_bytes() + b"x" * (2 * 1024 * 1024))
    response = upload(staff_client, big)
    assert b"big.md is 2.0 MB; the limit is 2 MB per file." in response.content
    assert Paper.objects.count() == 0
    assert UPLOAD_SESSION_KEY not in staff_client.session


def test_a_confirmation_without_its_preview_imports_nothing(db, staff_client):
    upload(staff_client, seed_file())
    response = staff_client.post(
        reverse("admin:discussions_paper_upload"), {"confirm": "1", "token": "forged"}
    )
    assert response.status_code == 302
    assert Paper.objects.count() == 0
    response = staff_client.get(response["Location"])
    assert b"This preview is out of date" in response.content


# Export


def test_the_admin_exports_the_whole_archive_as_a_zip_of_files(seeded, make_paper, staff_client):
    make_paper(questions=2, answers=2)
    response = staff_client.get(reverse("admin:discussions_paper_export"))
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="studygroup-')
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = sorted(archive.namelist())
        assert names == sorted(f"{paper.slug}.md" for paper in Paper.objects.all())
        assert "Q1 (정훈)." in archive.read(f"{seeded.slug}.md").decode()


def test_the_export_action_zips_the_selected_papers(seeded, make_paper, staff_client):
    other = make_paper(questions=1, answers=1)
    data = {"action": "export_zip", "index": 0, "_selected_action": [other.pk]}
    response = staff_client.post(reverse("admin:discussions_paper_changelist"), data)
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert archive.namelist() == [f"{other.slug}.md"]


def test_a_paper_the_format_cannot_hold_is_left_out_of_the_export_and_named(seeded, make_paper, staff_client):
    # Stored before the admin's checks existed, say: a bracket breaks the reference line.
    Reference.objects.create(paper=seeded, url="https://example.org/x", label="[x]", position=99)
    other = make_paper(questions=1, answers=1)
    response = staff_client.get(reverse("admin:discussions_paper_export"))
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert sorted(archive.namelist()) == ["NOT-EXPORTED.txt", f"{other.slug}.md"]
        assert archive.read("NOT-EXPORTED.txt").decode().startswith(f"{seeded.slug}: ")
    page = staff_client.get(reverse("admin:discussions_paper_changelist"))
    assert f"Left out of the zip: {seeded.slug}:".encode() in page.content


def test_an_answer_row_saved_over_a_newer_edit_is_refused_in_its_row_and_keeps_what_was_typed(
    seeded, staff_client
):
    """The version each answer row was loaded at travels in the row; the write refuses it, the
    admin's transaction rolls the question's own save back, and the page shows the row's error."""
    from discussions import writes

    question = Question.objects.get(label="Q2")
    answer = question.answers.get()
    loaded = answer.version
    writes.save_text(answer, "회원이 방금 고친 답", expected_version=loaded, user=None)
    data = {
        "paper": question.paper_id,
        "label": question.label,
        "author": question.author_id,
        "body": question.body + " (관리자가 함께 고침)",
        "position": question.position,
        "tags": ", ".join(question.tags.names()),
        "expected_version": question.version,
        "answers-TOTAL_FORMS": 1,
        "answers-INITIAL_FORMS": 1,
        "answers-0-id": answer.pk,
        "answers-0-question": question.pk,
        "answers-0-label": answer.label,
        "answers-0-author": answer.author_id,
        "answers-0-body": "관리자가 표에서 고친 답",
        "answers-0-position": answer.position,
        "answers-0-expected_version": loaded,
    }
    url = reverse("admin:discussions_question_change", args=[question.pk])
    response = staff_client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        "회원이 방금 고친 답" in html and "관리자가 표에서 고친 답" in html and "(관리자가 함께 고침)" in html
    )
    assert Answer.objects.get(pk=answer.pk).body == "회원이 방금 고친 답"
    assert Question.objects.get(pk=question.pk).body == question.body  # nothing of the page was saved
    # Saving again, having seen it, is a deliberate overwrite.
    data["answers-0-expected_version"] = loaded + 1
    assert staff_client.post(url, data).status_code == 302
    assert Answer.objects.get(pk=answer.pk).body == "관리자가 표에서 고친 답"


def test_a_revert_to_an_older_version_over_a_newer_edit_is_refused_with_the_text_kept(seeded, staff_client):
    """simple-history's page of one version saves it back through the same write, which refuses a
    version older than the row's as a form error, not a server error."""
    from discussions import writes

    answer = Answer.objects.filter(question__paper=seeded).exclude(body="").first()
    first = answer.history.get()
    writes.save_text(answer, "회원이 나중에 고친 답", expected_version=answer.version, user=None)
    url = reverse("admin:discussions_answer_simple_history", args=[answer.pk, first.history_id])
    data = {
        "question": answer.question_id,
        "parent": "",
        "label": answer.label,
        "author": answer.author_id,
        "body": first.body + " (되돌리며 고침)",
        "position": answer.position,
        "expected_version": first.version,
    }
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "회원이 나중에 고친 답" in response.content.decode()
    assert "(되돌리며 고침)" in response.content.decode()
    assert Answer.objects.get(pk=answer.pk).body == "회원이 나중에 고친 답"
