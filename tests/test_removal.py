"""Removing a post (issue 24): a member's removal never takes what others wrote; staff see whose
posts go with theirs before they confirm, and can restore a removed post from its history.

In the seed, Bob (선민) asked Q8, which 정훈 answered, and Q9, which 쯔위 (Alice) claimed; he
answered the first Q4 (소연's). Carol (정훈) is staff."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from discussions import access, writes
from discussions.models import Answer, Participant, Question
from tests.browser.helpers import t

KEPT = "Others answered this; you can edit it, or ask staff to remove it."


def bobs(label):
    return Question.objects.get(author__name="선민", label=label)


def delete_url(post):
    kind = "question" if isinstance(post, Question) else "answer"
    return reverse(f"discussions:delete_{kind}", args=[post.pk])


def history_url(post):
    kind = "question" if isinstance(post, Question) else "answer"
    return reverse(f"discussions:{kind}_history", args=[post.pk])


def restore_url(post):
    kind = "question" if isinstance(post, Question) else "answer"
    return reverse(f"discussions:restore_{kind}", args=[post.pk])


def lone_question(author="선민", body="아직 아무도 답하지 않은 질문"):
    paper = Question.objects.get(label="Q8").paper
    made, _ = writes.ask(paper, author=Participant.objects.get(name=author), body=body, user=None)
    return made


def shown_state():
    return sorted(Answer.objects.shown().values_list("pk", "version")), sorted(
        Question.objects.shown().values_list("pk", "version")
    )


# A member's removal


def test_a_member_cannot_remove_a_question_others_answered_and_the_page_says_why(as_persona):
    client = as_persona("bob")
    q8 = bobs("Q8")
    before = shown_state()
    page = client.get(delete_url(q8))
    html = page.content.decode()
    assert page.status_code == 403
    assert t(KEPT) in html and "A8 (정훈)" in html
    assert reverse("discussions:edit_question", args=[q8.pk]) in html  # he can still edit it
    assert 'name="version"' not in html  # no form to remove it
    posted = client.post(delete_url(q8), {"version": q8.version})
    assert posted.status_code == 409 and t(KEPT) in posted.content.decode()
    assert shown_state() == before


def test_the_edit_page_offers_no_removal_of_an_answered_question_and_says_why(as_persona):
    client = as_persona("bob")
    q8 = bobs("Q8")
    html = client.get(reverse("discussions:edit_question", args=[q8.pk])).content.decode()
    assert t(KEPT) in html and delete_url(q8) not in html
    lone = lone_question()
    html = client.get(reverse("discussions:edit_question", args=[lone.pk])).content.decode()
    assert t(KEPT) not in html and delete_url(lone) in html


def test_an_open_answer_someone_claimed_keeps_the_question(as_persona):
    q9 = bobs("Q9")  # 쯔위 said she would answer it; nothing written yet
    assert Answer.objects.open().filter(question=q9, author__name="쯔위").exists()
    response = as_persona("bob").post(delete_url(q9), {"version": q9.version})
    assert response.status_code == 409
    assert Question.objects.get(pk=q9.pk).hidden_at is None


def test_a_reply_by_someone_else_keeps_the_answer(as_persona, personas):
    a4 = Answer.objects.get(author__name="선민", label="A4")
    writes.answer(a4.question, author=Participant.objects.get(name="쯔위"), body="답글", user=None, parent=a4)
    response = as_persona("bob").post(delete_url(a4), {"version": a4.version})
    assert response.status_code == 409
    assert Answer.objects.get(pk=a4.pk).hidden_at is None


def test_an_unsigned_post_under_it_keeps_it_too(as_persona):
    lone = lone_question()
    writes.answer(lone, author=None, body="누가 쓴 지 모르는 답", user=None)
    assert as_persona("bob").post(delete_url(lone), {"version": lone.version}).status_code == 409


def test_a_member_removes_a_question_with_only_their_own_answers_under_it(as_persona):
    lone = lone_question()
    mine, _ = writes.answer(lone, author=lone.author, body="스스로 단 답", user=None)
    response = as_persona("bob").post(delete_url(lone), {"version": lone.version})
    assert response.status_code == 302
    assert Question.objects.get(pk=lone.pk).hidden_at is not None
    assert Answer.objects.get(pk=mine.pk).hidden_at is not None


def test_the_write_refuses_a_members_removal_of_what_others_answered(personas):
    q8 = bobs("Q8")
    before = shown_state()
    with pytest.raises(writes.OthersWrote) as refused:
        writes.remove(q8, expected_version=q8.version, user=personas["bob"])
    assert [post.signature for post in refused.value.others] == ["A8 (정훈)"]
    assert shown_state() == before  # the question's own UPDATE is rolled back too
    assert q8.history.count() == Question.objects.get(pk=q8.pk).history.count()


def test_an_answer_that_arrives_after_the_confirmation_page_is_refused_with_a_409(as_persona):
    client = as_persona("bob")
    lone = lone_question()
    assert client.get(delete_url(lone)).status_code == 200
    writes.answer(lone, author=Participant.objects.get(name="쯔위"), body="그 사이에 단 답", user=None)
    response = client.post(delete_url(lone), {"version": lone.version})
    html = response.content.decode()
    assert response.status_code == 409 and t(KEPT) in html and "(쯔위)" in html
    assert Answer.objects.get(body="그 사이에 단 답").hidden_at is None


def test_an_answer_that_arrives_between_the_views_check_and_the_write_is_refused_by_the_write(
    as_persona, monkeypatch
):
    client = as_persona("bob")
    lone = lone_question()
    writes.answer(lone, author=Participant.objects.get(name="쯔위"), body="막 도착한 답", user=None)
    # The view's check ran before the answer was committed: it saw nothing under the question.
    monkeypatch.setattr(access.PostRights, "remove", property(lambda rights: rights.write))
    response = client.post(delete_url(lone), {"version": lone.version})
    assert response.status_code == 409
    assert Question.objects.get(pk=lone.pk).hidden_at is None
    assert Answer.objects.get(body="막 도착한 답").hidden_at is None


def test_what_a_removal_takes_is_read_in_one_query_however_deep_the_replies(
    personas, django_assert_num_queries
):
    a4 = Answer.objects.get(author__name="선민", label="A4")
    bob, parent = a4.author, a4
    for depth in range(30):
        parent, _ = writes.answer(a4.question, author=bob, body=f"깊이 {depth}", user=None, parent=parent)
    writes.answer(
        a4.question, author=Participant.objects.get(name="쯔위"), body="맨 밑", user=None, parent=parent
    )
    rights = access.rights(personas["bob"], a4, member=bob)
    with django_assert_num_queries(1):
        assert [post.body for post in rights.others_under] == ["맨 밑"]
    assert not rights.remove


# Staff


def test_staff_see_whose_posts_go_with_a_question_before_they_confirm(as_persona):
    q1 = Question.objects.get(label="Q1")  # 정훈's, answered by 소연 and 지성
    html = as_persona("carol").get(delete_url(q1)).content.decode()
    assert "소연 · A1" in html and "지성 · A1" in html
    assert 'name="version"' in html and t(KEPT) not in html


def test_staff_remove_an_answered_question_with_its_answers(as_persona):
    q8 = bobs("Q8")
    response = as_persona("carol").post(delete_url(q8), {"version": q8.version})
    assert response.status_code == 302
    assert not Answer.objects.shown().filter(question=q8).exists()


# Restoring


def test_staff_restore_a_question_with_its_answers_on_the_thread_and_the_participants_pages(as_persona):
    q3 = Question.objects.get(label="Q3")  # 소연's, answered by 지성 and 지은
    answers = list(q3.answers.shown())
    his_answer = f'#{q3.answers.get(author__name="지성").anchor}"'  # his page links it
    his_page = Participant.objects.get(name="지성").get_absolute_url()
    thread = q3.paper.get_absolute_url()
    visitor = Client()  # served from the cache: the removal and the restore must move it on
    assert f'id="{answers[0].anchor}"' in visitor.get(thread).content.decode()
    assert his_answer in visitor.get(his_page).content.decode()
    staff = as_persona("carol")
    staff.post(delete_url(q3), {"version": q3.version})
    assert f'id="{q3.anchor}"' not in visitor.get(thread).content.decode()
    assert his_answer not in visitor.get(his_page).content.decode()

    history = staff.get(history_url(q3)).content.decode()
    assert restore_url(q3) in history
    q3.refresh_from_db()
    response = staff.post(restore_url(q3), {"version": q3.version})
    assert response.status_code == 302
    q3.refresh_from_db()
    assert q3.hidden_at is None
    assert q3.history.first().history_change_reason == "restored"
    for answer in answers:
        answer.refresh_from_db()
        assert answer.hidden_at is None
        assert answer.history.first().history_change_reason == "restored with Q3 (소연)"
    html = visitor.get(thread).content.decode()
    assert f'id="{q3.anchor}"' in html and all(f'id="{a.anchor}"' in html for a in answers)
    assert his_answer in visitor.get(his_page).content.decode()
    assert t("restored to the thread") in staff.get(history_url(q3)).content.decode()


def test_a_restore_leaves_removed_what_was_removed_on_its_own_before(personas):
    q3 = Question.objects.get(label="Q3")
    earlier = q3.answers.get(author__name="지은")
    writes.remove(earlier, expected_version=earlier.version, user=None)
    q3.refresh_from_db()
    writes.remove(q3, expected_version=q3.version, user=None)
    q3.refresh_from_db()
    brought = writes.restore(q3, expected_version=q3.version, user=personas["carol"])
    assert [a.signature for a in brought] == ["A3 (지성)"]
    assert Answer.objects.get(pk=earlier.pk).hidden_at is not None


def test_an_answer_under_a_removed_question_is_not_restored_alone(personas):
    q3 = Question.objects.get(label="Q3")
    answer = q3.answers.get(author__name="지성")
    writes.remove(q3, expected_version=q3.version, user=None)
    answer.refresh_from_db()
    with pytest.raises(writes.Conflict):
        writes.restore(answer, expected_version=answer.version, user=personas["carol"])
    assert Answer.objects.get(pk=answer.pk).hidden_at is not None


def test_only_staff_see_and_use_the_restore_button(as_persona):
    lone = lone_question()
    writes.remove(lone, expected_version=lone.version, user=None)
    lone.refresh_from_db()
    bob = as_persona("bob")
    html = bob.get(history_url(lone)).content.decode()
    assert bob.get(history_url(lone)).status_code == 200 and restore_url(lone) not in html
    assert bob.post(restore_url(lone), {"version": lone.version}).status_code == 403
    assert as_persona("alice").post(restore_url(lone), {"version": lone.version}).status_code == 404
    assert Question.objects.get(pk=lone.pk).hidden_at is not None


def test_a_claim_taken_back_is_not_offered_for_restoring(as_persona):
    q2 = Question.objects.get(label="Q2")
    slot, _ = writes.claim(q2, member=Participant.objects.get(name="선민"), user=None)
    writes.unclaim(slot, user=None)
    staff = as_persona("carol")
    assert restore_url(slot) not in staff.get(history_url(slot)).content.decode()
    assert staff.post(restore_url(slot), {"version": slot.version}).status_code == 403


def test_a_restore_from_a_stale_history_page_is_refused(as_persona):
    lone = lone_question()
    before_removal = lone.version
    writes.remove(lone, expected_version=lone.version, user=None)
    staff = as_persona("carol")
    response = staff.post(restore_url(lone), {"version": before_removal})
    assert response.status_code == 302 and response["Location"] == history_url(lone)
    assert Question.objects.get(pk=lone.pk).hidden_at is not None


# The race on real connections: an answer and its question's removal by its author, at once


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's row locks")
def test_an_answer_and_a_members_removal_at_the_same_moment_never_lose_the_answer(transactional_db):
    from django.contrib.auth import get_user_model

    from tests.test_concurrency import in_threads

    call_command("seed", stdout=StringIO())
    bob = get_user_model().objects.create_user("bob", password="pw")
    Participant.objects.filter(name="선민").update(user=bob)
    for round_ in range(8):
        question = lone_question(body=f"라운드 {round_}의 질문")

        def answer(pk=question.pk, round_=round_):
            try:
                return writes.answer(
                    Question.objects.get(pk=pk),
                    author=Participant.objects.get(name="쯔위"),
                    body=f"라운드 {round_}의 답",
                    user=None,
                )[0].pk
            except writes.Conflict:
                return None

        def remove(pk=question.pk):
            try:
                writes.remove(Question.objects.get(pk=pk), expected_version=1, user=bob)
            except writes.OthersWrote:
                return False
            return True

        made, removed = in_threads(answer, remove)
        assert (made is None) == removed  # one of the two, never both, never neither
        if made is not None:
            assert Answer.objects.get(pk=made).hidden_at is None
            assert Question.objects.get(pk=question.pk).hidden_at is None
