"""Preparing and holding the next session in the app: propose, complete, references, claims,
requests, the agenda, and unsigned posts."""

import datetime
import io
import uuid

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from discussions import writes
from discussions.models import Answer, AuthorshipClaim, Paper, Participant, Question, Reference


def test_a_member_proposes_the_next_session_and_presents_it(as_persona):
    client = as_persona("alice")
    data = {
        "title": "Scaling Laws",
        "url": "2001.08361",
        "session_date": "2030-01-15",
        "token": str(uuid.uuid4()),
    }
    response = client.post(reverse("discussions:propose"), data)
    paper = Paper.objects.get(title="Scaling Laws")
    assert response["Location"] == reverse("discussions:edit_session", args=[paper.slug])
    assert (paper.url, paper.arxiv_id) == ("https://arxiv.org/abs/2001.08361", "2001.08361")
    assert paper.presenter.name == paper.proposed_by.name == "쯔위"
    assert list(paper.participants.values_list("name", flat=True)) == ["쯔위"]
    client.post(reverse("discussions:propose"), data)  # a double click
    assert Paper.objects.filter(title="Scaling Laws").count() == 1


def test_a_bad_paper_address_is_refused_and_the_form_keeps_the_title(as_persona):
    response = as_persona("alice").post(
        reverse("discussions:propose"), {"title": "남는 제목", "url": "javascript:alert(1)"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "남는 제목" in html
    assert not Paper.objects.filter(title="남는 제목").exists()


@pytest.mark.parametrize(
    "given",
    [
        "https://arxiv.org/abs/hep-th/9901001",
        "https://arxiv.org/pdf/hep-th/9901001v2.pdf",
        "arXiv:hep-th/9901001v2",
        "hep-th/9901001",
    ],
)
def test_the_session_form_takes_an_old_style_arxiv_id_in_any_of_its_forms(session, given):
    from discussions.forms import SessionForm

    data = {"title": session.title, "url": given, "version": session.version}
    form = SessionForm(data, initial={"version": session.version})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["url"] == "https://arxiv.org/abs/hep-th/9901001"
    writes.update_session(session, expected_version=session.version, user=None, url=form.cleaned_data["url"])
    assert Paper.objects.get(pk=session.pk).arxiv_id == "hep-th/9901001"


def test_an_old_style_arxiv_id_with_a_subject_class_is_one_paper_too(as_persona):
    client = as_persona("alice")
    for given in ("math.GT/0309136", "https://arxiv.org/pdf/math.GT/0309136v1.pdf"):
        data = {"title": "Ricci flow", "url": given, "token": str(uuid.uuid4())}
        client.post(reverse("discussions:propose"), data)
    (paper,) = Paper.objects.filter(title="Ricci flow")
    assert (paper.url, paper.arxiv_id) == ("https://arxiv.org/abs/math.GT/0309136", "math.GT/0309136")


def test_the_presenter_completes_the_session(session, as_persona):
    client = as_persona("bob")
    url = reverse("discussions:edit_session", args=[session.slug])
    people = Participant.objects.filter(name__in=["쯔위", "소연"])
    data = {
        "title": session.title,
        "url": "https://arxiv.org/pdf/1706.03762v5.pdf",
        "session_date": "2030-02-01",
        "presenter": session.presenter_id,
        "participants": [p.pk for p in people],
        "description": "트랜스포머 논문입니다.",
        "version": session.version,
    }
    assert client.post(url, data).status_code == 302
    session.refresh_from_db()
    assert (session.url, session.arxiv_id) == ("https://arxiv.org/abs/1706.03762", "1706.03762")
    assert session.session_date == datetime.date(2030, 2, 1)
    assert set(session.participants.values_list("name", flat=True)) == {"쯔위", "소연", "선민"}
    assert "트랜스포머 논문입니다." in session.description_html
    assert session.history.count() == 2  # proposed, then completed
    # The same form again, from the old version: refused, with what was typed kept.
    data["description"] = "늦게 고친 설명"
    response = client.post(url, data)
    assert response.status_code == 200 and "늦게 고친 설명" in response.content.decode()
    session.refresh_from_db()
    assert session.description == "트랜스포머 논문입니다."


def test_references_are_added_reordered_edited_and_removed_with_history(session, as_persona):
    client = as_persona("bob")
    url = reverse("discussions:edit_references", args=[session.slug])

    def rows(*refs, version):
        data = {"version": version, "refs-TOTAL_FORMS": len(refs), "refs-INITIAL_FORMS": 0}
        for i, ref in enumerate(refs):
            for key, value in ref.items():
                data[f"refs-{i}-{key}"] = value
        return data

    first = {
        "label": "Blog",
        "url": "https://jalammar.github.io/illustrated-transformer/",
        "kind": "blog",
        "ORDER": 1,
    }
    second = {
        "label": "Video",
        "url": "https://www.youtube.com/watch?v=iDulhoQ2pro",
        "kind": "video",
        "ORDER": 2,
    }
    assert client.post(url, rows(first, second, version=1)).status_code == 302
    blog, video = session.references.listed()
    assert [blog.label, video.label] == ["Blog", "Video"]
    session.refresh_from_db()
    # Swap them, relabel one, then remove the other.
    swapped = rows(
        {**first, "id": blog.pk, "ORDER": 2},
        {**second, "id": video.pk, "ORDER": 1, "label": "The talk"},
        version=session.version,
    )
    assert client.post(url, swapped).status_code == 302
    assert list(session.references.listed().values_list("label", flat=True)) == ["The talk", "Blog"]
    session.refresh_from_db()
    removed = rows(
        {**first, "id": blog.pk, "DELETE": "on"},
        {**second, "id": video.pk, "label": "The talk"},
        version=session.version,
    )
    assert client.post(url, removed).status_code == 302
    assert list(session.references.listed().values_list("label", flat=True)) == ["The talk"]
    assert Reference.history.filter(id=blog.pk).count() == 3  # added, moved, removed
    assert Reference.history.filter(id=video.pk).count() == 2  # added, moved and relabelled


def test_a_bad_reference_address_is_refused_and_nothing_changes(session, as_persona):
    data = {
        "version": session.version,
        "refs-TOTAL_FORMS": 1,
        "refs-INITIAL_FORMS": 0,
        "refs-0-label": "악성",
        "refs-0-url": "javascript:alert(1)",
        "refs-0-kind": "blog",
    }
    response = as_persona("bob").post(reverse("discussions:edit_references", args=[session.slug]), data)
    assert response.status_code == 200 and "악성" in response.content.decode()
    assert not session.references.exists()


def test_a_member_claims_a_question_and_takes_the_claim_back_while_empty(as_persona):
    client = as_persona("bob")
    question = Question.objects.get(label="Q2")
    client.post(reverse("discussions:claim", args=[question.pk]))
    client.post(reverse("discussions:claim", args=[question.pk]))  # a second click
    claims = Answer.objects.open().filter(question=question, author__name="선민")
    assert claims.count() == 1
    claim = claims.get()
    assert claim.label == "A2" and claim.written_in_app
    html = client.get(question.paper.get_absolute_url()).content.decode()
    assert reverse("discussions:unclaim", args=[claim.pk]) in html
    assert claim.get_absolute_url() in client.get(reverse("discussions:open") + "?mine=1").content.decode()
    client.post(reverse("discussions:unclaim", args=[claim.pk]))
    assert not Answer.objects.open().filter(pk=claim.pk).exists()


def test_nobody_is_offered_to_answer_their_own_question(as_persona):
    client = as_persona("bob")
    own = Question.objects.filter(author__name="선민").first()
    other = Question.objects.exclude(author__name="선민").exclude(author=None).first()
    html = client.get(own.paper.get_absolute_url()).content.decode()
    assert reverse("discussions:claim", args=[other.pk]) in html
    assert reverse("discussions:claim", args=[own.pk]) not in html
    assert client.post(reverse("discussions:claim", args=[own.pk])).status_code == 403
    assert not Answer.objects.filter(question=own, author__name="선민", body="").exists()


def test_a_filled_claim_cannot_be_taken_back(as_persona):
    client = as_persona("bob")
    question = Question.objects.get(label="Q2")
    claim, _ = writes.claim(question, member=Participant.objects.get(name="선민"), user=None)
    writes.fill(claim, "채운 답", expected_version=claim.version, user=None)
    response = client.post(reverse("discussions:unclaim", args=[claim.pk]))
    assert response.status_code == 403
    assert Answer.objects.get(pk=claim.pk).hidden_at is None


def test_the_presenter_asks_a_member_to_answer(session, as_persona):
    question, _ = writes.ask(session, author=Participant.objects.get(name="소연"), body="질문", user=None)
    tzuyu = Participant.objects.get(name="쯔위")
    response = as_persona("bob").post(
        reverse("discussions:request_answer", args=[question.pk]), {"member": tzuyu.pk}
    )
    assert response.status_code == 302
    asked = Answer.objects.open().get(question=question)
    assert asked.author == tzuyu
    assert asked.history.get().history_user.username == "bob"
    # Alice (쯔위) finds it among her open answers and may fill it.
    client = as_persona("alice")
    assert asked.get_absolute_url() in client.get(reverse("discussions:open") + "?mine=1").content.decode()
    assert (
        client.post(
            reverse("discussions:fill", args=[asked.pk]), {"body": "답할게요", "version": 1}
        ).status_code
        == 302
    )


def test_the_agenda_shows_each_questions_state_and_who_owes_what(session, as_persona, client):
    soyeon, tzuyu = Participant.objects.get(name="소연"), Participant.objects.get(name="쯔위")
    answered, _ = writes.ask(session, author=soyeon, body="답이 있는 질문", user=None)
    writes.answer(answered, author=tzuyu, body="답", user=None)
    waiting, _ = writes.ask(session, author=soyeon, body="기다리는 질문", user=None)
    writes.claim(waiting, member=tzuyu, user=None)
    writes.ask(session, author=soyeon, body="아무도 없는 질문", user=None)
    html = client.get(reverse("discussions:agenda", args=[session.slug])).content.decode()
    assert html.index("답이 있는 질문") < html.index("기다리는 질문") < html.index("아무도 없는 질문")
    assert "쯔위" in html.split("기다리는 질문")[0].rsplit("agenda-item", 1)[1]  # waiting for 쯔위
    assert 'class="nobody"' in html
    assert 'class="owed-table"' in html and f'href="#{waiting.anchor}"' in html
    # A member marks the first as discussed; it shows on the agenda and in the thread.
    member = as_persona("alice")
    member.post(
        reverse("discussions:mark_discussed", args=[answered.pk]), {"discussed": "1", "next": "agenda"}
    )
    answered.refresh_from_db()
    assert answered.discussed
    assert (
        "agenda-item discussed"
        in member.get(reverse("discussions:agenda", args=[session.slug])).content.decode()
    )


@pytest.mark.parametrize("questions", [3, 30])
def test_the_agenda_costs_the_same_queries_at_any_size(session, client, questions, django_assert_num_queries):
    people = list(Participant.objects.all())
    for i in range(questions):
        question, _ = writes.ask(session, author=people[i % len(people)], body=f"질문 {i}", user=None)
        writes.answer(question, author=people[(i + 1) % len(people)], body=f"답 {i}", user=None)
        writes.claim(question, member=people[(i + 2) % len(people)], user=None)
    # generation, the paper with its presenter, its questions with authors, their answers with authors
    with django_assert_num_queries(4):
        assert client.get(reverse("discussions:agenda", args=[session.slug])).status_code == 200


def test_a_session_says_whether_it_is_upcoming_today_or_past(session, client):
    url = session.get_absolute_url()
    assert (
        "다가오는 세션" in client.get(url).content.decode()
        or "Upcoming session" in client.get(url).content.decode()
    )
    for days, english in ((0, "Today's session"), (-3, "Past session")):
        Paper.objects.filter(pk=session.pk).update(
            session_date=timezone.localdate() + datetime.timedelta(days=days)
        )
        writes.admin_save(
            Paper.objects.get(pk=session.pk), user=None, created=False, changed_fields=["session_date"]
        )
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert english in html, days


def test_the_home_page_shows_the_next_sessions_first(session, client):
    html = client.get("/").content.decode()
    assert html.index("Attention Is All You Need") < html.index("Language Models are Few-Shot Learners")
    assert 'class="paper-item upcoming-item"' in html


def test_staff_sign_unsigned_posts_several_at_once(seeded, staff_client):
    unsigned = [writes.ask(seeded, author=None, body=f"서명 없는 질문 {i}", user=None)[0] for i in range(3)]
    jisung = Participant.objects.get(name="지성")
    url = reverse("discussions:sign_posts", args=[seeded.slug])
    response = staff_client.post(url, {"participant": jisung.pk, "questions": [q.pk for q in unsigned[:2]]})
    assert response.status_code == 302
    assert [Question.objects.get(pk=q.pk).author for q in unsigned] == [jisung, jisung, None]
    assert Question.objects.get(pk=unsigned[0].pk).history.first().history_change_reason == "signed for 지성"


def test_a_member_says_a_post_is_theirs_and_staff_confirm(seeded, as_persona, staff):
    unsigned, _ = writes.ask(seeded, author=None, body="누구의 질문일까", user=None)
    member = as_persona("bob")
    html = member.get(seeded.get_absolute_url()).content.decode()
    assert reverse("discussions:claim_question_authorship", args=[unsigned.pk]) in html
    member.post(reverse("discussions:claim_question_authorship", args=[unsigned.pk]))
    member.post(reverse("discussions:claim_question_authorship", args=[unsigned.pk]))  # twice
    claim = AuthorshipClaim.objects.get()
    assert Question.objects.get(pk=unsigned.pk).author is None  # not until staff confirm
    staff_client = Client()
    staff_client.force_login(staff)
    staff_client.post(
        reverse("discussions:sign_posts", args=[seeded.slug]), {"claim": claim.pk, "decide": "accept"}
    )
    assert Question.objects.get(pk=unsigned.pk).author.name == "선민"
    claim.refresh_from_db()
    assert claim.accepted and claim.decided_at


# Who may do what: visitor, member, presenter, staff


def new_write_targets(session):
    question, _ = writes.ask(session, author=Participant.objects.get(name="소연"), body="질문", user=None)
    unsigned, _ = writes.ask(session, author=None, body="서명 없는", user=None)
    return {
        "propose": (reverse("discussions:propose"), {"title": "새 세션"}),
        "edit_session": (
            reverse("discussions:edit_session", args=[session.slug]),
            {"title": "바뀐 제목", "version": session.version},
        ),
        "edit_references": (
            reverse("discussions:edit_references", args=[session.slug]),
            {
                "version": session.version,
                "refs-TOTAL_FORMS": 1,
                "refs-INITIAL_FORMS": 0,
                "refs-0-url": "https://example.org/x",
                "refs-0-kind": "blog",
            },
        ),
        "claim": (reverse("discussions:claim", args=[question.pk]), {}),
        "request_answer": (
            reverse("discussions:request_answer", args=[question.pk]),
            {"member": Participant.objects.get(name="지은").pk},
        ),
        "mark_discussed": (reverse("discussions:mark_discussed", args=[question.pk]), {"discussed": "1"}),
        "sign_posts": (
            reverse("discussions:sign_posts", args=[session.slug]),
            {"participant": Participant.objects.get(name="지성").pk, "questions": [unsigned.pk]},
        ),
        "claim_authorship": (reverse("discussions:claim_question_authorship", args=[unsigned.pk]), {}),
    }


NEW_WRITES_ALLOWED = {
    # Bob presents the session; Alice is another member; Carol is staff (and 정훈).
    "propose": {"alice", "bob", "carol"},
    "edit_session": {"bob", "carol"},
    "edit_references": {"bob", "carol"},
    "claim": {"alice", "bob", "carol"},
    "request_answer": {"bob", "carol"},
    "mark_discussed": {"alice", "bob", "carol"},
    "sign_posts": {"carol"},
    "claim_authorship": {"alice", "bob", "carol"},
}


def archive_state():
    return (
        Paper.objects.count(),
        list(Paper.objects.values_list("version", "title")),
        Reference.objects.count(),
        Answer.objects.count(),
        Question.objects.filter(discussed=True).count(),
        Question.objects.filter(author__isnull=True).count(),
        AuthorshipClaim.objects.count(),
    )


@pytest.mark.parametrize("persona", ["anonymous", "alice", "bob", "carol"])
@pytest.mark.parametrize("action", sorted(NEW_WRITES_ALLOWED))
def test_permission_matrix_of_the_session_writes(session, as_persona, persona, action):
    url, data = new_write_targets(session)[action]
    client = as_persona(persona)
    before = archive_state()
    response = client.post(url, data)
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert archive_state() == before
    elif persona in NEW_WRITES_ALLOWED[action]:
        assert response.status_code == 302, response.content.decode()[:2000]
        assert archive_state() != before
    else:
        assert response.status_code == 403
        assert archive_state() == before


# The session in the file: date, presenter, reference kinds and the meeting's check marks


def snapshot(paper):
    paper = Paper.objects.get(pk=paper.pk)
    return {
        "paper": (paper.title, paper.url, paper.session_date, paper.presenter.name, paper.description),
        "participants": sorted(paper.participants.values_list("name", flat=True)),
        "references": list(paper.references.listed().values_list("label", "url", "kind")),
        "questions": [
            (q.label, q.author.name if q.author else None, q.body, q.discussed, sorted(q.tags.names()))
            for q in paper.questions.shown()
        ],
        "answers": sorted(
            (a.question.label, a.label, a.author.name if a.author else None, a.body)
            for a in Answer.objects.shown().filter(question__paper=paper).select_related("question", "author")
        ),
    }


def test_a_session_exports_and_imports_into_an_empty_archive_unchanged(session, tmp_path):
    from django.core.management import call_command

    from discussions.archive import discussion_file

    people = {p.name: p for p in Participant.objects.all()}
    writes.update_session(
        session,
        expected_version=session.version,
        user=None,
        description="발표자의 설명",
        participants=[people["쯔위"], people["소연"]],
    )
    session.refresh_from_db()
    rows = [
        (None, "Illustrated", "https://jalammar.github.io/illustrated-transformer/", "blog", False),
        (None, "A talk, on a blog", "https://example.org/talk", "video", False),
    ]
    writes.save_references(session, expected_version=session.version, user=None, rows=rows)
    asked = [
        writes.ask(session, author=people[name], body=f"{name}의 질문", user=None)[0]
        for name in ("소연", "쯔위", "선민")
    ]
    writes.answer(asked[0], author=people["쯔위"], body="쯔위의 답", user=None)
    writes.claim(asked[1], member=people["선민"], user=None)
    writes.claim(asked[2], member=people["소연"], user=None)
    writes.mark_discussed(asked[0], True, user=None)
    before = snapshot(session)
    text = discussion_file(session)
    assert "- 날짜 : " in text and "- 발표 : 선민" in text
    assert "<!-- discussed -->" in text and "<!-- kind: video -->" in text

    Paper.objects.all().delete()
    Participant.objects.all().delete()
    path = tmp_path / "session.md"
    path.write_text(text, encoding="utf-8")
    call_command("import_discussion", str(path), stdout=io.StringIO())
    assert snapshot(Paper.objects.get()) == before


def test_a_re_import_keeps_the_authors_staff_gave_to_unsigned_posts(seeded, tmp_path):
    from django.core.management import call_command

    path = tmp_path / "unsigned.md"
    path.write_text(
        "- 제목 : Unsigned\n## 토론\n- Q1. 서명 없는 질문\n>- A1. 서명 없는 답\n", encoding="utf-8"
    )
    call_command("import_discussion", str(path), stdout=io.StringIO())
    question = Question.objects.get(body="서명 없는 질문")
    writes.set_authors([question], Participant.objects.get(name="지성"), user=None)
    call_command("import_discussion", str(path), stdout=io.StringIO())
    assert Question.objects.get(pk=question.pk).author.name == "지성"


def test_a_member_marks_discussed_and_an_older_file_does_not_undo_it(seeded, tmp_path):
    from django.core.management import call_command

    from discussions.archive import discussion_file

    text = discussion_file(seeded)
    question = seeded.questions.get(label="Q2")
    writes.mark_discussed(question, True, user=None)
    path = tmp_path / "old.md"
    path.write_text(text, encoding="utf-8")
    call_command("import_discussion", str(path), stdout=io.StringIO())
    assert Question.objects.get(pk=question.pk).discussed
