import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.urls import reverse

from discussions.models import Answer, Participant, Question


def open_slot():
    return Answer.objects.open().select_related("question").order_by("position", "pk").first()


def snapshot():
    rows = [(a.pk, a.body, a.hidden_at, a.version) for a in Answer.objects.order_by("pk")]
    rows += [(q.pk, q.body, q.hidden_at, q.version) for q in Question.objects.order_by("pk")]
    return rows


def targets():
    """Every write URL, with the post it acts on. Bob (선민) wrote A4 under the first Q4, and Q8."""
    slot = open_slot()
    bobs_answer = Answer.objects.get(author__name="선민", label="A4")
    bobs_question = Question.objects.get(author__name="선민", label="Q8")
    # Q8 has 정훈's answer, which Bob's removal may not take (issue 24): he removes a question of
    # his that nobody answered.
    bobs_lone_question, _ = Question.objects.get_or_create(
        paper=bobs_question.paper,
        label="Q10",
        author=bobs_question.author,
        defaults={"body": "아무도 답하지 않은 질문", "position": 99},
    )
    return {
        "fill": reverse("discussions:fill", args=[slot.pk]),
        "answer": reverse("discussions:answer", args=[bobs_question.pk]),
        "reply": reverse("discussions:reply", args=[bobs_answer.pk]),
        "ask": reverse("discussions:ask", args=[bobs_question.paper.slug]),
        "edit_answer": reverse("discussions:edit_answer", args=[bobs_answer.pk]),
        "edit_question": reverse("discussions:edit_question", args=[bobs_question.pk]),
        "delete_answer": reverse("discussions:delete_answer", args=[bobs_answer.pk]),
        "delete_question": reverse("discussions:delete_question", args=[bobs_lone_question.pk]),
    }


def post_data(action):
    version = {"fill": open_slot().version}.get(action, 1)
    return {"body": f"{action} 테스트 본문", "version": version}


ALLOWED = {
    # action: personas allowed; everyone else logged in gets 403, anonymous goes to the login page
    "fill": {"alice", "carol"},
    "answer": {"alice", "bob", "carol"},
    "reply": {"alice", "bob", "carol"},
    "ask": {"alice", "bob", "carol"},
    "edit_answer": {"bob", "carol"},
    "edit_question": {"bob", "carol"},
    "delete_answer": {"bob", "carol"},
    "delete_question": {"bob", "carol"},
}


@pytest.mark.parametrize("persona", ["anonymous", "alice", "bob", "carol"])
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_permission_matrix(as_persona, persona, action):
    client = as_persona(persona)
    url = targets()[action]
    before = snapshot()
    response = client.post(url, post_data(action))
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
        assert snapshot() == before
    elif persona in ALLOWED[action]:
        assert response.status_code == 302
        assert snapshot() != before
    else:
        assert response.status_code == 403
        assert snapshot() == before


@pytest.mark.parametrize("persona", ["alice", "bob", "carol"])
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_every_write_page_opens_for_those_allowed_and_no_one_else(as_persona, persona, action):
    response = as_persona(persona).get(targets()[action])
    assert response.status_code == (200 if persona in ALLOWED[action] else 403)


def test_alice_fills_her_open_answer_in_place_and_sees_it_in_the_thread(as_persona):
    client = as_persona("alice")
    slot = open_slot()
    paper_url = slot.question.paper.get_absolute_url()
    html = client.get(paper_url).content.decode()
    assert f'action="{reverse("discussions:fill", args=[slot.pk])}"' in html
    response = client.post(
        reverse("discussions:fill", args=[slot.pk]), {"body": "**Prompt**는 조건입니다.", "version": 1}
    )
    assert response["Location"] == slot.get_absolute_url()
    html = client.get(paper_url).content.decode()
    assert "<strong>Prompt</strong>는 조건입니다." in html
    assert html.count("쯔위 님의 답변을 기다리는 중") == 1
    slot.refresh_from_db()
    assert slot.written_in_app and not slot.is_open


def test_filling_an_open_answer_costs_fourteen_queries(
    transactional_db, as_persona, django_assert_num_queries
):
    # In a transaction of its own, as in production: the tests' usual enclosing transaction would
    # turn BEGIN and COMMIT into savepoints and never run what waits for the commit.
    client = as_persona("alice")
    slot = open_slot()
    url = reverse("discussions:fill", args=[slot.pk])
    # 1 the session, 2 the member, 3 the answer with its author and paper,
    # 4 BEGIN, 5 the paper's own generation (its row, locked first), 6 the question's own (its block
    # on the paper page), 7 the UPDATE conditional on the version, 8 the history row, 9 who the
    # answer's and question's authors are now, 10 the notification for the question's author, 11
    # whether they want it mailed at once, 12 the generations of its topics' and writers' pages
    # (the last locks), 13 COMMIT, and the archive's generation: on PostgreSQL one nextval() after
    # the COMMIT (14), on SQLite an UPDATE of its row right after BEGIN. (With Redis the session
    # comes from it: a query less.)
    with django_assert_num_queries(14):
        response = client.post(url, {"body": "채웠어요", "version": slot.version})
    assert response.status_code == 302
    slot.refresh_from_db()
    assert slot.body == "채웠어요" and slot.history.count() == 2


def test_bob_sees_waiting_for_tzuyu_and_no_form(as_persona):
    html = as_persona("bob").get(open_slot().question.paper.get_absolute_url()).content.decode()
    assert html.count("쯔위 님의 답변을 기다리는 중") == 2
    assert reverse("discussions:fill", args=[open_slot().pk]) not in html


def test_a_form_error_keeps_what_the_member_typed(as_persona):
    client = as_persona("bob")
    question = Question.objects.get(label="Q8")
    typed = "가" * 20_001
    response = client.post(reverse("discussions:answer", args=[question.pk]), {"body": typed})
    assert response.status_code == 200
    assert typed in response.content.decode()
    assert "20000" in response.content.decode() or "20,000" in response.content.decode()
    assert not question.answers.filter(body=typed).exists()


def test_an_empty_answer_is_refused_with_a_message(as_persona):
    question = Question.objects.get(label="Q8")
    response = as_persona("bob").post(reverse("discussions:answer", args=[question.pk]), {"body": "   "})
    assert response.status_code == 200
    assert "form-errors" in response.content.decode() or "field-errors" in response.content.decode()
    assert question.answers.count() == 1


def test_preview_shows_the_rendered_text_and_saves_nothing(as_persona):
    question = Question.objects.get(label="Q8")
    response = as_persona("bob").post(
        reverse("discussions:answer", args=[question.pk]), {"body": "*기울임*", "preview": "1"}
    )
    assert "<em>기울임</em>" in response.content.decode()
    assert question.answers.count() == 1


def test_a_new_answer_reply_and_question_get_sensible_labels(as_persona):
    client = as_persona("bob")
    question = Question.objects.get(label="Q5")
    client.post(reverse("discussions:answer", args=[question.pk]), {"body": "새 답"})
    answer = question.answers.get(body="새 답")
    assert (answer.label, answer.author.name) == ("A5", "선민")
    client.post(reverse("discussions:reply", args=[answer.pk]), {"body": "답글"})
    reply = Answer.objects.get(body="답글")
    assert (reply.parent, reply.label) == (answer, "A5")
    client.post(reverse("discussions:reply", args=[reply.pk]), {"body": "답글의 답글"})
    assert Answer.objects.get(body="답글의 답글").parent == reply
    client.post(reverse("discussions:ask", args=[question.paper.slug]), {"body": "새 질문"})
    asked = Question.objects.get(body="새 질문")
    assert asked.label == "Q10"
    assert list(question.paper.questions.values_list("label", flat=True))[-1] == "Q10"


def test_replies_show_nested_under_their_answer(as_persona):
    client = as_persona("bob")
    answer = Answer.objects.get(author__name="선민", label="A4")
    client.post(reverse("discussions:reply", args=[answer.pk]), {"body": "첫 답글"})
    reply = Answer.objects.get(body="첫 답글")
    client.post(reverse("discussions:reply", args=[reply.pk]), {"body": "둘째 답글"})
    html = client.get(answer.question.paper.get_absolute_url()).content.decode()
    assert html.index(f'id="{answer.anchor}"') < html.index("첫 답글") < html.index("둘째 답글")
    assert 'class="answer depth-2' in html


def test_filling_an_answer_already_filled_keeps_both_texts(as_persona):
    slot = open_slot()
    url = reverse("discussions:fill", args=[slot.pk])
    as_persona("alice").post(url, {"body": "쯔위의 답", "version": 1})
    response = as_persona("carol").post(url, {"body": "캐롤이 대신 쓴 답", "version": 1})
    html = response.content.decode()
    assert response.status_code == 409
    assert "쯔위의 답" in html and "캐롤이 대신 쓴 답" in html
    assert f'action="{reverse("discussions:answer", args=[slot.question_id])}"' in html
    slot.refresh_from_db()
    assert slot.body == "쯔위의 답"
    # one click posts Carol's text as a separate answer
    as_persona("carol").post(
        reverse("discussions:answer", args=[slot.question_id]), {"body": "캐롤이 대신 쓴 답"}
    )
    assert slot.question.answers.filter(body="캐롤이 대신 쓴 답").exists()


def test_two_edits_from_the_same_version_conflict_instead_of_overwriting(as_persona):
    answer = Answer.objects.get(author__name="선민", label="A4")
    url = reverse("discussions:edit_answer", args=[answer.pk])
    start = answer.version
    as_persona("carol").post(url, {"body": "캐롤의 수정", "version": start})
    response = as_persona("bob").post(url, {"body": "밥의 수정", "version": start})
    assert response.status_code == 409
    html = response.content.decode()
    assert "캐롤의 수정" in html and "밥의 수정" in html
    answer.refresh_from_db()
    assert answer.body == "캐롤의 수정"
    # saving again from the conflict page is a deliberate overwrite of the version it showed
    version = int(re.search(r'name="version" value="(\d+)"', html).group(1))
    as_persona("bob").post(url, {"body": "밥의 수정", "version": version})
    answer.refresh_from_db()
    assert answer.body == "밥의 수정"


def test_every_edit_keeps_the_previous_text_in_the_history(as_persona):
    client = as_persona("bob")
    answer = Answer.objects.get(author__name="선민", label="A4")
    original = answer.body
    client.post(
        reverse("discussions:edit_answer", args=[answer.pk]), {"body": "고친 답", "version": answer.version}
    )
    html = client.get(reverse("discussions:answer_history", args=[answer.pk])).content.decode()
    assert "고친 답" in html and original[:30] in html
    assert "선민" in html  # who made the change
    assert answer.history.count() == 2


def test_deleting_hides_from_the_thread_and_keeps_the_history(as_persona):
    client = as_persona("bob")
    answer = Answer.objects.get(author__name="선민", label="A4")
    url = reverse("discussions:delete_answer", args=[answer.pk])
    response = client.post(url, {"version": answer.version})
    assert response.status_code == 302
    html = client.get(answer.question.paper.get_absolute_url()).content.decode()
    assert f'id="{answer.anchor}"' not in html
    history = client.get(reverse("discussions:answer_history", args=[answer.pk])).content.decode()
    assert answer.body[:30] in history
    assert Answer.objects.filter(pk=answer.pk).exists()


def test_the_open_page_lists_open_answers_and_unanswered_questions(as_persona):
    client = as_persona("bob")
    question = Question.objects.create(
        paper=open_slot().question.paper,
        label="Q10",
        body="답 없는 질문",
        position=20,
        author=Participant.objects.get(name="선민"),
    )
    html = client.get(reverse("discussions:open")).content.decode()
    for slot in Answer.objects.open():
        assert slot.get_absolute_url() in html
    assert question.get_absolute_url() in html
    mine = client.get(reverse("discussions:open") + "?mine=1").content.decode()
    assert question.get_absolute_url() in mine
    assert open_slot().get_absolute_url() not in mine
    alices = as_persona("alice").get(reverse("discussions:open") + "?mine=1").content.decode()
    assert open_slot().get_absolute_url() in alices and question.get_absolute_url() not in alices


def test_the_header_shows_who_is_logged_in_and_links_to_my_open_answers(as_persona):
    html = as_persona("alice").get("/").content.decode()
    assert "쯔위" in html and reverse("discussions:open") + "?mine=1" in html


def test_an_invite_gives_a_one_time_link_to_set_a_password(client, seeded):
    out = StringIO()
    call_command("invite", "쯔위", "--email", "tzuyu@example.com", stdout=out)
    link = out.getvalue().strip().splitlines()[-1]
    path = link.removeprefix("http://127.0.0.1:8000")
    response = client.get(path, follow=True)
    assert response.status_code == 200
    set_url = response.redirect_chain[-1][0]
    response = client.post(
        set_url, {"new_password1": "a-long-pass-phrase", "new_password2": "a-long-pass-phrase"}
    )
    assert response.status_code == 302
    assert (
        client.post(reverse("login"), {"username": "쯔위", "password": "a-long-pass-phrase"}).status_code
        == 302
    )
    client.logout()
    assert "validlink" not in client.get(path, follow=True).content.decode()
    html = client.get(path, follow=True).content.decode()
    assert reverse("password_reset") in html  # used once: the page offers a new link instead
    assert Participant.objects.get(name="쯔위").user.email == "tzuyu@example.com"


def test_nobody_can_sign_up_on_their_own(client, db):
    assert client.get("/accounts/signup/").status_code == 404
    assert client.get("/accounts/register/").status_code == 404


def test_the_login_page_logs_a_member_in(client, personas):
    response = client.post(reverse("login"), {"username": "bob", "password": "pw-bob"})
    assert response.status_code == 302
    assert "선민" in client.get("/").content.decode()


def test_a_reimport_after_members_wrote_keeps_everything(as_persona):
    client = as_persona("alice")
    slot = open_slot()
    client.post(reverse("discussions:fill", args=[slot.pk]), {"body": "채운 답", "version": 1})
    question = Question.objects.get(label="Q5")
    client.post(reverse("discussions:answer", args=[question.pk]), {"body": "새 답"})
    client.post(reverse("discussions:reply", args=[question.answers.first().pk]), {"body": "새 답글"})
    client.post(reverse("discussions:ask", args=[question.paper.slug]), {"body": "새 질문"})
    bob = as_persona("bob")
    answer = Answer.objects.get(author__name="선민", label="A4")
    bob.post(
        reverse("discussions:edit_answer", args=[answer.pk]), {"body": "고친 답", "version": answer.version}
    )
    before = snapshot()
    call_command("seed", stdout=StringIO())
    assert snapshot() == before


@pytest.mark.parametrize("size", ["seed", "large"])
def test_the_paper_page_for_a_member_costs_the_same_queries_at_any_size(
    as_persona, make_paper, size, django_assert_num_queries
):
    paper = open_slot().question.paper if size == "seed" else make_paper(questions=100, answers=5)
    client = as_persona("alice")
    # the session, user, paper, participants, questions, topics, answers, references, the
    # member's participant, their last visit to the paper and its update (what is new since), the
    # session's PDF (for its places' pages), the header's unread notifications
    with django_assert_num_queries(13):
        assert client.get(paper.get_absolute_url()).status_code == 200


def test_an_account_linked_to_nobody_has_no_open_answers_of_its_own(client, seeded, django_user_model):
    Answer.objects.create(question=Question.objects.get(label="Q5"), label="A5", body="", position=9)
    client.force_login(django_user_model.objects.create_user("visitor", password="pw"))
    html = client.get(reverse("discussions:open") + "?mine=1").content.decode()
    assert "이 계정은 스터디 참여자와 연결되어 있지 않습니다." in html
    assert Answer.objects.open().get(author=None).get_absolute_url() not in html


def test_a_member_who_forgot_the_password_gets_a_reset_link_by_email(client, personas, mailoutbox):
    personas["bob"].email = "bob@example.com"
    personas["bob"].save()
    response = client.post(reverse("password_reset"), {"email": "bob@example.com"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["bob@example.com"]
    link = re.search(r"http://\S+/accounts/reset/\S+/", mailoutbox[0].body).group(0)
    response = client.get(urlsplit(link).path, follow=True)
    assert response.context["validlink"]


def test_a_member_changes_their_password(as_persona):
    client = as_persona("bob")
    response = client.post(
        reverse("password_change"),
        {"old_password": "pw-bob", "new_password1": "a-new-long-pass", "new_password2": "a-new-long-pass"},
    )
    assert response.status_code == 302
    client.logout()
    assert (
        client.post(reverse("login"), {"username": "bob", "password": "a-new-long-pass"}).status_code == 302
    )


@pytest.mark.parametrize("papers", [1, 4])
def test_the_open_page_costs_the_same_queries_at_any_size(
    client, seeded, make_paper, papers, django_assert_num_queries
):
    for i in range(papers):
        make_paper(questions=8, answers=3, title=f"Paper {i}")
    # generation, the papers with something open (their ids, in order), the page's papers, their
    # open answers (with authors and questions), their unanswered questions
    with django_assert_num_queries(5):
        assert client.get(reverse("discussions:open")).status_code == 200


def test_the_open_page_lists_ten_papers_a_page(client, make_paper):
    for i in range(11):
        make_paper(questions=1, answers=3, title=f"Paper {i:02d}")
    first = client.get(reverse("discussions:open")).content.decode()
    second = client.get(reverse("discussions:open") + "?page=2").content.decode()
    assert first.count('class="open-paper"') == 10 and second.count('class="open-paper"') == 1
