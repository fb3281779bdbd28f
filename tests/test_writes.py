"""The one write path (discussions.writes): idempotent creates, labels, removal, conflicts, limits."""

import inspect
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from discussions import writes
from discussions.forms import BODY_MAX_CHARS
from discussions.models import Answer, Participant, Question
from tests.browser.helpers import t


def question(label="Q2"):
    return Question.objects.get(label=label)


def test_the_same_form_token_posted_twice_makes_one_answer(as_persona):
    client = as_persona("bob")
    url = reverse("discussions:answer", args=[question().pk])
    token = str(uuid.uuid4())
    first = client.post(url, {"body": "한 번만 올라가야 할 답", "token": token})
    second = client.post(url, {"body": "한 번만 올라가야 할 답", "token": token})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Answer.objects.filter(body="한 번만 올라가야 할 답").count() == 1


@pytest.mark.parametrize("write", ["ask", "reply"])
def test_a_double_submit_of_ask_or_reply_makes_one_post(as_persona, write):
    client = as_persona("bob")
    answer = Answer.objects.filled().first()
    url = (
        reverse("discussions:ask", args=[answer.question.paper.slug])
        if write == "ask"
        else reverse("discussions:reply", args=[answer.pk])
    )
    # The form as the page gives it: its token is what a second click sends again.
    form_page = client.get(url).content.decode()
    token = form_page.split('name="token" value="')[1].split('"')[0]
    for _ in range(3):
        assert client.post(url, {"body": f"두 번 누른 {write}", "token": token}).status_code == 302
    model = Question if write == "ask" else Answer
    assert model.objects.filter(body=f"두 번 누른 {write}").count() == 1


def test_two_different_texts_make_two_posts(as_persona):
    client = as_persona("bob")
    url = reverse("discussions:answer", args=[question().pk])
    for text in ("첫 번째 생각", "두 번째 생각"):
        client.post(url, {"body": text, "token": str(uuid.uuid4())})
    assert Answer.objects.filter(body__in=["첫 번째 생각", "두 번째 생각"]).count() == 2


def test_the_same_text_sent_again_from_a_new_form_moments_later_is_the_same_post(as_persona):
    """Back shows the form again with a new token (browsers do not keep hidden fields)."""
    client = as_persona("bob")
    url = reverse("discussions:answer", args=[question().pk])
    for _ in range(2):
        client.post(url, {"body": "같은 말 두 번", "token": str(uuid.uuid4())})
    assert Answer.objects.filter(body="같은 말 두 번").count() == 1


def test_the_same_text_much_later_is_a_new_post(as_persona):
    client = as_persona("bob")
    url = reverse("discussions:answer", args=[question().pk])
    client.post(url, {"body": "다시 말하지만", "token": str(uuid.uuid4())})
    Answer.objects.filter(body="다시 말하지만").update(created_at=timezone.now() - writes.RESUBMIT_WINDOW)
    client.post(url, {"body": "다시 말하지만", "token": str(uuid.uuid4())})
    assert Answer.objects.filter(body="다시 말하지만").count() == 2


def test_an_asked_question_takes_the_next_number_after_the_highest(seeded):
    member = Participant.objects.get(name="선민")
    made = [writes.ask(seeded, author=member, body=f"질문 {i}", user=None)[0] for i in range(2)]
    assert [q.label for q in made] == ["Q10", "Q11"]  # the seed's highest is Q9


def test_removing_a_question_removes_its_answers_and_replies_with_one_version_each(seeded):
    q = Question.objects.filter(label="Q4").last()  # the seed's second Q4, with three answers
    under = list(Answer.objects.shown().filter(question=q))
    versions = {a.pk: a.history.count() for a in under}
    before = {a.pk: a.version for a in under}
    writes.remove(q, expected_version=q.version, user=None)
    assert not Question.objects.shown().filter(pk=q.pk).exists()
    for answer in Answer.objects.filter(pk__in=versions):
        assert answer.hidden_at is not None
        assert answer.version == before[answer.pk] + 1  # an edit form open on it is out of date
        assert answer.history.count() == versions[answer.pk] + 1
        assert answer.history.first().history_change_reason.startswith("removed with Q4")


def test_a_reply_chain_removed_at_its_root_is_gone_at_every_depth(seeded):
    member = Participant.objects.get(name="선민")
    root = Answer.objects.filled().first()
    chain = [root]
    for depth in range(5):
        chain.append(
            writes.answer(root.question, author=member, body=f"깊이 {depth}", user=None, parent=chain[-1])[0]
        )
    writes.remove(root, expected_version=root.version, user=None)
    assert not Answer.objects.shown().filter(pk__in=[a.pk for a in chain]).exists()


def test_nothing_is_written_under_a_removed_post(seeded):
    member = Participant.objects.get(name="선민")
    answer = Answer.objects.filled().first()
    q = answer.question
    writes.remove(answer, expected_version=answer.version, user=None)
    with pytest.raises(writes.Conflict):
        writes.answer(q, author=member, body="지워진 답에 답글", user=None, parent=answer)
    writes.remove(q, expected_version=q.version, user=None)
    with pytest.raises(writes.Conflict):
        writes.answer(q, author=member, body="지워진 질문에 답", user=None)


def test_an_open_answer_under_a_removed_question_cannot_be_filled(seeded):
    slot = Answer.objects.open().first()
    q = slot.question
    writes.remove(q, expected_version=q.version, user=None)
    slot.refresh_from_db()  # the version the removal gave it: only the removal itself may refuse
    with pytest.raises(writes.Conflict):
        writes.fill(slot, "지워진 질문의 빈 답", expected_version=slot.version, user=None)
    assert Answer.objects.get(pk=slot.pk).body == ""


def test_replying_under_a_removed_question_shows_a_refusal_that_keeps_the_text(as_persona):
    client = as_persona("bob")
    answer = Answer.objects.filled().first()
    form = client.get(reverse("discussions:reply", args=[answer.pk])).content.decode()
    token = form.split('name="token" value="')[1].split('"')[0]
    writes.remove(answer.question, expected_version=answer.question.version, user=None)
    response = client.post(
        reverse("discussions:reply", args=[answer.pk]), {"body": "늦은 답글", "token": token}
    )
    # Issue 24: as when the removal comes while the reply is saved, a 409 page keeps the text.
    assert response.status_code == 409 and "늦은 답글" in response.content.decode()
    assert not Answer.objects.filter(body="늦은 답글").exists()
    assert client.get(reverse("discussions:reply", args=[answer.pk])).status_code == 404  # no new form


def test_answering_a_question_removed_meanwhile_keeps_the_text(as_persona):
    client = as_persona("bob")
    q = question("Q2")
    writes.remove(q, expected_version=q.version, user=None)
    response = client.post(reverse("discussions:answer", args=[q.pk]), {"body": "늦은 답", "token": "x"})
    html = response.content.decode()
    assert response.status_code == 409 and "늦은 답" in html
    assert t("This question was removed from the thread meanwhile.") in html
    assert (
        as_persona("anonymous").post(reverse("discussions:answer", args=[q.pk]), {"body": "x"}).status_code
        == 302
    )


def test_an_edit_that_lost_to_a_removal_keeps_the_text(as_persona):
    client = as_persona("bob")
    answer = Answer.objects.get(author__name="선민", label="A4")
    version = answer.version
    writes.remove(answer, expected_version=version, user=None)
    response = client.post(
        reverse("discussions:edit_answer", args=[answer.pk]), {"body": "내가 고친 글", "version": version}
    )
    # Issue 24: as the edit conflict does, a 409 page says what happened and keeps the text.
    html = response.content.decode()
    assert response.status_code == 409
    assert "내가 고친 글" in html and t("This post was removed from the thread meanwhile.") in html
    assert Answer.objects.get(pk=answer.pk).body != "내가 고친 글"
    # Nobody else learns of the removed post's existence from it.
    stranger = as_persona("alice").post(
        reverse("discussions:edit_answer", args=[answer.pk]), {"body": "남의 글", "version": version}
    )
    assert stranger.status_code == 404


def test_a_fill_that_lost_to_a_removal_keeps_the_text(as_persona):
    slot = Answer.objects.open().filter(author__name="쯔위").first()
    writes.remove(slot.question, expected_version=slot.question.version, user=None)
    response = as_persona("alice").post(
        reverse("discussions:fill", args=[slot.pk]), {"body": "늦게 채운 답", "version": slot.version}
    )
    assert response.status_code == 409 and "늦게 채운 답" in response.content.decode()


def test_a_removal_of_a_post_changed_since_the_page_was_shown_is_refused(as_persona):
    client = as_persona("bob")
    answer = Answer.objects.get(author__name="선민", label="A4")
    shown_version = answer.version
    writes.save_text(answer, "그 사이에 고친 글", expected_version=shown_version, user=None)
    response = client.post(reverse("discussions:delete_answer", args=[answer.pk]), {"version": shown_version})
    # Issue 24: a 409 page saying what happened, with the post as it is now to confirm again.
    html = response.content.decode()
    assert response.status_code == 409 and "그 사이에 고친 글" in html
    assert f'name="version" value="{shown_version + 1}"' in html
    assert Answer.objects.get(pk=answer.pk).hidden_at is None
    again = client.post(
        reverse("discussions:delete_answer", args=[answer.pk]), {"version": shown_version + 1}
    )
    assert again.status_code == 302 and Answer.objects.get(pk=answer.pk).hidden_at is not None


def test_a_removal_of_a_post_removed_meanwhile_says_so(as_persona):
    client = as_persona("carol")
    answer = Answer.objects.get(author__name="선민", label="A4")
    writes.remove(answer, expected_version=answer.version, user=None)
    response = client.post(
        reverse("discussions:delete_answer", args=[answer.pk]), {"version": answer.version}
    )
    assert response.status_code == 409
    assert t("This post was removed from the thread meanwhile.") in response.content.decode()


def test_a_removed_posts_history_is_its_authors_and_staffs_only(as_persona, client):
    answer = Answer.objects.get(author__name="선민", label="A4")
    writes.remove(answer, expected_version=answer.version, user=None)
    url = reverse("discussions:answer_history", args=[answer.pk])
    assert as_persona("anonymous").get(url).status_code == 404
    assert as_persona("alice").get(url).status_code == 404
    assert as_persona("bob").get(url).status_code == 200
    assert as_persona("carol").get(url).status_code == 200


@pytest.mark.parametrize("form", ["answer", "fill", "edit", "ask"])
def test_a_body_over_the_limit_is_refused_with_a_message_and_kept(as_persona, form):
    long_text = "가" * (BODY_MAX_CHARS + 1)
    if form == "fill":
        client, url = (
            as_persona("alice"),
            reverse("discussions:fill", args=[Answer.objects.open().first().pk]),
        )
        data = {"body": long_text, "version": 1}
    elif form == "edit":
        answer = Answer.objects.get(author__name="선민", label="A4")
        client, url = as_persona("bob"), reverse("discussions:edit_answer", args=[answer.pk])
        data = {"body": long_text, "version": answer.version}
    elif form == "ask":
        client, url = as_persona("bob"), reverse("discussions:ask", args=[question().paper.slug])
        data = {"body": long_text}
    else:
        client, url = as_persona("bob"), reverse("discussions:answer", args=[question().pk])
        data = {"body": long_text}
    before = (Question.objects.count(), Answer.objects.count(), Answer.objects.open().count())
    response = client.get(url)
    assert 'maxlength="' not in response.content.decode()  # the browser must not cut a paste silently
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{BODY_MAX_CHARS + 1:,}" in html  # the message says how long it is
    assert long_text in html  # and the text is still in the form
    assert (Question.objects.count(), Answer.objects.count(), Answer.objects.open().count()) == before


def test_an_admin_save_over_a_members_newer_edit_is_refused_with_both_texts(seeded, staff_client):
    answer = Answer.objects.filled().first()
    url = reverse("admin:discussions_answer_change", args=[answer.pk])
    loaded_version = answer.version
    writes.save_text(answer, "회원이 방금 고친 글", expected_version=loaded_version, user=None)
    data = {
        "question": answer.question_id,
        "parent": answer.parent_id or "",
        "label": answer.label,
        "author": answer.author_id or "",
        "body": answer.body + " (관리자가 위치만 바꿈)",
        "position": answer.position + 1,
        "expected_version": loaded_version,
    }
    response = staff_client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "회원이 방금 고친 글" in html and "(관리자가 위치만 바꿈)" in html
    assert Answer.objects.get(pk=answer.pk).body == "회원이 방금 고친 글"
    # Saving again, having seen it, is a deliberate overwrite.
    data["expected_version"] = loaded_version + 1
    assert staff_client.post(url, data).status_code == 302


def test_an_admin_save_that_changes_nothing_writes_no_version(seeded, staff_client):
    answer = Answer.objects.filled().first()
    versions = answer.history.count()
    data = {
        "question": answer.question_id,
        "parent": answer.parent_id or "",
        "label": answer.label,
        "author": answer.author_id or "",
        "body": answer.body,
        "position": answer.position,
        "expected_version": answer.version,
    }
    staff_client.post(reverse("admin:discussions_answer_change", args=[answer.pk]), data)
    assert Answer.objects.get(pk=answer.pk).version == answer.version
    assert answer.history.count() == versions


def test_posts_are_removed_not_deleted_in_the_admin(seeded, staff_client):
    answer = Answer.objects.filled().first()
    assert staff_client.get(reverse("admin:discussions_answer_delete", args=[answer.pk])).status_code == 403
    data = {"action": "remove_from_thread", "_selected_action": [answer.pk]}
    staff_client.post(reverse("admin:discussions_answer_changelist"), data)
    answer.refresh_from_db()
    assert answer.hidden_at is not None


def test_a_paper_members_wrote_in_cannot_be_deleted(seeded, staff_client):
    member = Participant.objects.get(name="선민")
    writes.ask(seeded, author=member, body="앱에서 쓴 질문", user=None)
    assert staff_client.get(reverse("admin:discussions_paper_delete", args=[seeded.pk])).status_code == 403


def test_staff_post_for_any_participant_and_the_history_says_who_wrote_it(seeded, staff_client, staff):
    paper = question().paper
    soyeon = Participant.objects.get(name="소연")
    form = staff_client.get(reverse("discussions:ask", args=[paper.slug])).content.decode()
    assert 'name="author"' in form
    response = staff_client.post(
        reverse("discussions:ask", args=[paper.slug]),
        {"body": "메일로 받은 질문", "author": soyeon.pk, "token": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    asked = Question.objects.get(body="메일로 받은 질문")
    assert asked.author == soyeon
    assert asked.history.get().history_user == staff
    answer = Answer.objects.filled().first()
    response = staff_client.post(
        reverse("discussions:reply", args=[answer.pk]),
        {"body": "대신 단 답글", "author": soyeon.pk, "token": str(uuid.uuid4())},
    )
    assert response.status_code == 302
    assert Answer.objects.get(body="대신 단 답글").author == soyeon


def test_a_member_cannot_post_for_someone_else(as_persona):
    client = as_persona("bob")
    soyeon = Participant.objects.get(name="소연")
    url = reverse("discussions:answer", args=[question().pk])
    assert 'name="author"' not in client.get(url).content.decode()
    client.post(url, {"body": "남의 이름으로", "author": soyeon.pk, "token": str(uuid.uuid4())})
    assert Answer.objects.get(body="남의 이름으로").author.name == "선민"


# What each write must do, each pinned so that leaving it out fails a test (docs/testing.md)


def test_a_removed_post_gets_a_history_version_of_its_own_saying_it_was_removed(seeded):
    answer = Answer.objects.get(author__name="선민", label="A4")
    versions = answer.history.count()
    writes.remove(answer, expected_version=answer.version, user=None)
    assert answer.history.count() == versions + 1
    assert answer.history.first().hidden_at is not None


def test_claiming_a_question_removed_meanwhile_is_refused(seeded):
    q = question()
    member = Participant.objects.get(name="선민")
    writes.remove(q, expected_version=q.version, user=None)
    with pytest.raises(writes.Conflict):
        writes.claim(q, member=member, user=None)
    assert not Answer.objects.open().filter(question=q, author=member, hidden_at__isnull=True).exists()


def test_a_second_editor_of_the_references_gets_a_conflict_not_an_overwrite(session):
    shown_version = session.version
    kept = writes.save_references(
        session,
        expected_version=shown_version,
        user=None,
        rows=[(None, "first", "https://a.example", "", False)],
    )
    assert kept.version == shown_version + 1 == type(session).objects.get(pk=session.pk).version
    with pytest.raises(writes.Conflict):
        writes.save_references(
            session,
            expected_version=shown_version,
            user=None,
            rows=[(None, "second", "https://b.example", "", False)],
        )
    assert list(session.references.values_list("label", flat=True)) == ["first"]


def test_marking_a_question_discussed_gives_it_a_history_version_both_ways(seeded):
    q = question()
    versions = q.history.count()
    writes.mark_discussed(q, True, user=None)
    assert q.history.count() == versions + 1
    assert (
        q.history.first().discussed and q.history.first().history_change_reason == "discussed in the meeting"
    )
    writes.mark_discussed(q, True, user=None)  # already so: nothing to record
    writes.mark_discussed(q, False, user=None)
    assert q.history.count() == versions + 2
    assert not Question.objects.get(pk=q.pk).discussed


@pytest.mark.parametrize("kind", ["answer", "ask"])
def test_a_form_token_finds_its_post_whatever_the_text_and_however_late(seeded, kind):
    """The token alone, not the same-text fallback: a retry hours later, or with the text changed."""
    member = Participant.objects.get(name="선민")
    token = str(uuid.uuid4())

    def write(body):
        if kind == "answer":
            return writes.answer(question(), author=member, body=body, user=None, token=token)
        return writes.ask(question().paper, author=member, body=body, user=None, token=token)

    first, created = write("처음 보낸 글")
    assert created
    type(first).objects.filter(pk=first.pk).update(created_at=timezone.now() - 2 * writes.RESUBMIT_WINDOW)
    for body in ("처음 보낸 글", "다시 고쳐 보낸 글"):
        again, created = write(body)
        assert (again.pk, created) == (first.pk, False)
    assert not type(first).objects.filter(body="다시 고쳐 보낸 글").exists()


def test_a_proposal_sent_again_with_its_token_much_later_is_the_same_session(personas):
    member = Participant.objects.get(name="선민")
    token = str(uuid.uuid4())
    first, _ = writes.propose(proposer=member, title="Scaling laws", user=personas["bob"], token=token)
    type(first).objects.filter(pk=first.pk).update(created_at=timezone.now() - 2 * writes.RESUBMIT_WINDOW)
    again, created = writes.propose(proposer=member, title="Scaling laws", user=personas["bob"], token=token)
    assert (again.pk, created) == (first.pk, False)


def removed_meanwhile(monkeypatch, remove):
    """The post a view found is removed (or deleted) before the view writes: the race, made certain."""
    from discussions import access

    found_it = access.post_for

    def post_for(*args, **kwargs):
        post = found_it(*args, **kwargs)
        remove(post)
        return post

    monkeypatch.setattr(access, "post_for", post_for)


def test_topics_saved_on_a_question_removed_meanwhile_are_refused_with_a_message(as_persona, monkeypatch):
    client = as_persona("bob")
    q = question()
    tags = sorted(q.tags.names())
    removed_meanwhile(monkeypatch, lambda post: writes.remove(post, expected_version=post.version, user=None))
    response = client.post(reverse("discussions:edit_topics", args=[q.pk]), {"topics": "brand-new-topic"})
    assert response.status_code == 302  # back to the paper, saying why
    said = [str(message) for message in response.wsgi_request._messages]
    assert said == ["그 사이 이 질문이 스레드에서 내려졌습니다."]  # removed from the thread meanwhile
    assert sorted(Question.objects.get(pk=q.pk).tags.names()) == tags


def test_an_edit_of_a_post_deleted_meanwhile_is_a_409_that_keeps_the_text(as_persona, monkeypatch):
    """A re-import deletes the imported posts its file no longer has: an edit form open on one
    gets the refusal page with its text, not a server error."""
    client = as_persona("bob")
    answer = Answer.objects.get(author__name="선민", label="A4")
    removed_meanwhile(monkeypatch, lambda post: type(post).objects.filter(pk=post.pk).delete())
    response = client.post(
        reverse("discussions:edit_answer", args=[answer.pk]),
        {"body": "지워진 글에 고친 글", "version": answer.version},
    )
    assert response.status_code == 409
    assert "지워진 글에 고친 글" in response.content.decode()


def test_a_removed_answer_leaves_its_authors_page_for_visitors_at_once(seeded, client):
    answer = Answer.objects.get(author__name="선민", label="A4")
    page = answer.author.get_absolute_url()
    assert answer.body[:20] in client.get(page).content.decode()  # now cached for visitors
    writes.remove(answer, expected_version=answer.version, user=None)
    assert answer.body[:20] not in client.get(page).content.decode()


def test_a_question_added_in_the_admin_comes_last_in_its_thread_and_is_kept_as_written_in_the_app(seeded):
    last = seeded.questions.order_by("position").last().position
    made = Question(paper=seeded, label="Q10", body="관리자가 넣은 질문")
    writes.admin_save(made, user=None, created=True, changed_fields=["paper", "label", "body"])
    made.refresh_from_db()
    assert (made.position, made.written_in_app, made.version) == (last + 1, True, 1)


def test_a_text_changed_in_the_admin_is_written_in_the_app_and_moves_the_version(seeded):
    answer = Answer.objects.filled().first()
    answer.body = "관리자가 고친 답"
    writes.admin_save(answer, user=None, created=False, changed_fields=["body"])
    answer = Answer.objects.get(pk=answer.pk)
    assert (answer.body, answer.written_in_app, answer.version) == ("관리자가 고친 답", True, 2)
    answer.position += 1
    writes.admin_save(answer, user=None, created=False, changed_fields=["position"])
    assert Answer.objects.get(pk=answer.pk).written_in_app  # and stays so whatever the admin changes next


def test_a_questions_topics_are_stored_with_it_by_name(seeded):
    q = question()
    writes.set_topics(q, ["scaling", "Bias", " "], user=None, by_hand=True)
    stored = Question.objects.get(pk=q.pk)
    assert (stored.topic_names, stored.tags_by_hand) == ("Bias, scaling", True)
    assert stored.history.first().topic_names == "Bias, scaling"


def test_a_claim_says_whether_it_was_made_or_found(seeded):
    member = Participant.objects.get(name="선민")
    first, created = writes.claim(question(), member=member, user=None)
    assert created and first.is_open and first.author == member
    again, created = writes.claim(question(), member=member, user=None)
    assert (again.pk, created) == (first.pk, False)


def test_a_member_who_says_an_unsigned_post_is_theirs_twice_makes_one_claim_until_staff_decide(seeded):
    member = Participant.objects.get(name="선민")
    unsigned = writes.ask(seeded, author=None, body="서명 없는 질문", user=None)[0]
    first, made = writes.claim_authorship(unsigned, member=member, user=None)
    again, made_again = writes.claim_authorship(unsigned, member=member, user=None)
    assert (made, made_again, again.pk) == (True, False, first.pk)
    writes.decide_authorship(first, False, user=None)
    _third, made = writes.claim_authorship(unsigned, member=member, user=None)
    assert made  # declined once, a member may say so again


def test_the_same_proposal_from_a_new_form_moments_later_is_the_same_session(personas):
    member = Participant.objects.get(name="선민")
    first, _ = writes.propose(proposer=member, title="Scaling laws", user=None, token=str(uuid.uuid4()))
    again, created = writes.propose(proposer=member, title="Scaling laws", user=None, token=str(uuid.uuid4()))
    assert (again.pk, created) == (first.pk, False)


def test_references_are_numbered_from_one_in_the_order_given_each_with_a_version_by_its_user(
    session, personas
):
    rows = [(None, label, f"https://{label}.example", "", False) for label in ("a", "b", "c")]
    writes.save_references(session, expected_version=session.version, user=personas["bob"], rows=rows)
    references = list(session.references.order_by("position"))
    assert [(ref.label, ref.position) for ref in references] == [("a", 1), ("b", 2), ("c", 3)]
    assert {ref.history.get().history_user for ref in references} == {personas["bob"]}


def test_a_member_who_answers_in_a_session_takes_part_in_it(seeded):
    newcomer = Participant.objects.create(name="새 회원")
    writes.answer(question(), author=newcomer, body="처음 쓰는 답", user=None)
    assert seeded.participants.filter(pk=newcomer.pk).exists()


def test_a_fill_never_writes_over_an_answer_that_has_text_even_at_its_version(seeded):
    answer = Answer.objects.filled().first()
    with pytest.raises(writes.Conflict):
        writes.fill(answer, "빈 답인 줄 알고 쓴 글", expected_version=answer.version, user=None)
    assert Answer.objects.get(pk=answer.pk).body == answer.body


def test_a_saved_text_comes_back_with_its_new_version(seeded):
    answer = Answer.objects.get(author__name="선민", label="A4")
    saved = writes.save_text(answer, "고친 글", expected_version=answer.version, user=None)
    assert (saved.pk, saved.body, saved.version, saved.written_in_app) == (answer.pk, "고친 글", 2, True)


# Old addresses (issue 24): a session's new title gives it a new address; the old one leads there.


def retitle(paper, title):
    paper.refresh_from_db()
    return writes.update_session(paper, expected_version=paper.version, user=None, title=title)


def test_a_retitled_session_moves_to_a_new_address_and_the_old_one_redirects_there(session, client):
    old = session.get_absolute_url()
    paper = retitle(session, "Transformers Revisited")
    assert paper.slug == "transformers-revisited"
    response = client.get(old)
    assert response.status_code == 301 and response["Location"] == paper.get_absolute_url()
    assert client.get(paper.get_absolute_url()).status_code == 200
    # Every page addressed by the slug follows, with its query string.
    old_slug = old.strip("/").split("/")[-1]
    response = client.get(reverse("discussions:agenda", args=[old_slug]))
    assert response.status_code == 301
    assert response["Location"] == reverse("discussions:agenda", args=[paper.slug])
    response = client.get(f"{old}?place=figure:2.1")
    assert response["Location"] == f"{paper.get_absolute_url()}?place=figure:2.1"
    assert paper.history.first().slug == "transformers-revisited"


def test_the_session_form_leads_to_the_new_address_after_a_new_title(session, as_persona):
    data = {"title": "A New Title", "presenter": session.presenter_id, "version": session.version}
    response = as_persona("bob").post(reverse("discussions:edit_session", args=[session.slug]), data)
    assert response.status_code == 302 and response["Location"] == "/papers/a-new-title/"


@pytest.mark.parametrize(
    "name",
    [
        "paper",
        "edit_session",
        "edit_references",
        "agenda",
        "sign_posts",
        "ask",
        "paper_download",
        "paper_download_zip",
        "paper_feed",
        "paper_files",
        "read",
    ],
)
def test_every_page_addressed_by_a_papers_slug_follows_its_new_title(session, as_persona, name):
    old_slug = session.slug
    paper = retitle(session, "Every Page Follows")
    response = as_persona("carol").get(reverse(f"discussions:{name}", args=[old_slug]))
    assert response.status_code == 301
    assert response["Location"] == reverse(f"discussions:{name}", args=[paper.slug])


def test_an_address_from_two_renames_ago_leads_to_the_address_now(session, client):
    first = session.get_absolute_url()
    second = retitle(session, "Second Title").get_absolute_url()
    now = retitle(session, "Third Title").get_absolute_url()
    for old in (first, second):
        response = client.get(old)
        assert response.status_code == 301 and response["Location"] == now


def test_an_old_address_taken_by_a_new_paper_leads_to_the_new_paper(session, client, personas):
    old = session.get_absolute_url()
    retitle(session, "Renamed Away")
    newcomer, _ = writes.propose(
        proposer=Participant.objects.get(name="쯔위"), title="Attention Is All You Need", user=None
    )
    assert newcomer.get_absolute_url() == old
    response = client.get(old)
    assert response.status_code == 200 and "Renamed Away" not in response.content.decode()
    assert response.context["paper"] == newcomer


def test_a_form_sent_to_an_old_address_is_sent_on_as_it_was(session, as_persona):
    old_slug = session.slug
    retitle(session, "Renamed Session")
    response = as_persona("bob").post(reverse("discussions:ask", args=[old_slug]), {"body": "질문"})
    assert response.status_code == 308
    assert response["Location"] == reverse("discussions:ask", args=["renamed-session"])


def test_an_address_no_paper_ever_had_is_still_not_found(seeded, client):
    assert client.get(reverse("discussions:paper", args=["never-was"])).status_code == 404


# History: written by the write package alone (writes.core.record), one version per changed row


def versions():
    from discussions.models import Attachment, Paper, Reference

    models = [Participant, Paper, Reference, Question, Answer, Attachment]
    return sum(model.history.count() for model in models)


def test_a_save_outside_the_write_package_records_no_history(seeded):
    """The library's own recording (post_save, post_delete) is off: no save behind a write's back
    adds a version, nor a second one to a write's."""
    before = versions()
    person = Participant.objects.create(name="기록없음")
    post = question()
    post.body = "셸에서 고친 글"
    post.save()
    Participant.objects.filter(pk=person.pk).delete()
    assert versions() == before
    writes.admin_save(post, user=None, created=False, changed_fields=["body"])
    assert versions() == before + 1


@pytest.mark.parametrize(
    "write",
    [
        "edit",
        "fill",
        "answer",
        "ask",
        "topics",
        "discussed",
        "claim",
        "unclaim",
        "sign",
        "session",
        "propose",
        "references",
        "admin post",
        "admin paper",
        "remove question",
    ],
)
def test_every_write_records_one_history_version_per_row_it_changes(personas, write):
    from discussions.models import Paper

    paper, bob = Paper.objects.get(), Participant.objects.get(name="선민")
    target = question("Q5")
    if write == "unclaim":
        slot, _ = writes.claim(target, member=bob, user=None)
    before, rows = versions(), 1
    if write == "edit":
        post = target.answers.first()
        writes.save_text(post, "고친 글", expected_version=post.version, user=None)
    elif write == "fill":
        slot = Answer.objects.open().first()
        writes.fill(slot, "채운 글", expected_version=slot.version, user=None)
    elif write == "answer":
        writes.answer(target, author=bob, body="새 답", user=None)
    elif write == "ask":
        writes.ask(paper, author=bob, body="새 질문", user=None)
    elif write == "topics":
        writes.set_topics(target, ["bias"], user=None, by_hand=True)
    elif write == "discussed":
        writes.mark_discussed(target, True, user=None)
    elif write == "claim":
        writes.claim(target, member=bob, user=None)
    elif write == "unclaim":
        writes.unclaim(slot, user=None)
    elif write == "sign":
        unsigned = Answer.objects.create(question=target, label="A5", body="누구 글?", position=99)
        writes.set_authors([unsigned], bob, user=None)
    elif write == "session":
        writes.update_session(paper, expected_version=paper.version, user=None, title="새 제목")
    elif write == "propose":
        writes.propose(proposer=bob, title="다음 논문", user=None)
    elif write == "references":
        rows = [(ref, ref.label + "!", ref.url, ref.kind, False) for ref in paper.references.listed()]
        writes.save_references(paper, expected_version=paper.version, user=None, rows=rows)
        rows = len(rows)
    elif write == "admin post":
        target.body = "관리자가 고친 질문"
        writes.admin_save(target, user=None, created=False, changed_fields=["body"], expected_version=1)
    elif write == "admin paper":
        paper.title = "관리자가 고친 제목"
        writes.admin_save(paper, user=None, created=False, changed_fields=["title"])
        paper.refresh_from_db()
        assert paper.title_locked  # an import of its file keeps the title given here
    else:
        rows += Answer.objects.shown().filter(question=target).count()
        writes.remove(target, expected_version=target.version, user=None)
    assert rows >= 1 and versions() == before + rows


def test_an_admin_delete_records_the_paper_and_all_it_takes_as_deleted(make_paper):
    from discussions.models import Paper, Reference

    paper = make_paper(questions=2, answers=2)
    expected = {
        Paper: 1,
        Question: paper.questions.count(),
        Answer: Answer.objects.filter(question__paper=paper).count(),
        Reference: paper.references.count(),
    }
    writes.admin_delete(paper, user=None)
    for model, count in expected.items():
        assert model.history.filter(history_type="-").count() == count, model


def test_a_reimport_records_each_post_it_removes_as_deleted(make_paper):
    from discussions.importer import import_discussion

    from .conftest import generated_discussion

    paper = make_paper(questions=3, answers=2)
    third = paper.questions.get(label="Q3")
    gone = [third.pk, *third.answers.values_list("pk", flat=True)]
    import_discussion(generated_discussion(questions=2, answers=2), filename="generated.md")
    assert not Question.objects.filter(pk=third.pk).exists()
    deleted = [
        *Question.history.filter(history_type="-").values_list("id", flat=True),
        *Answer.history.filter(history_type="-").values_list("id", flat=True),
    ]
    assert sorted(deleted) == sorted(gone)


def test_every_write_module_imported_leaves_writes_restore_the_post_restore():
    """A module of the package named like one of its functions would replace that function on
    `writes` once imported (the restore command imports the backup module): the restore view
    then called a module."""
    import importlib
    import pkgutil

    import discussions.writes

    for module in pkgutil.iter_modules(discussions.writes.__path__):
        importlib.import_module(f"discussions.writes.{module.name}")
    for name in writes.__all__:
        assert not inspect.ismodule(getattr(writes, name)), name


def test_a_conflict_on_a_removed_post_says_it_was_removed_not_saved_by_someone(seeded):
    from django.utils import translation

    answer = Answer.objects.get(author__name="선민", label="A4")
    writes.remove(answer, expected_version=answer.version, user=None)
    with translation.override("en"), pytest.raises(writes.Conflict) as refused:
        writes.save_text(answer, "늦은 고침", expected_version=answer.version, user=None)
    assert str(refused.value) == "This post was removed from the thread meanwhile."


def test_topics_saved_come_back_on_the_question_as_saved(seeded):
    saved = writes.set_topics(question(), ["scaling"], user=None, by_hand=True)
    assert (saved.pk, saved.topic_names) == (question().pk, "scaling")


def test_a_claim_filled_meanwhile_cannot_be_taken_back(seeded):
    member = Participant.objects.get(name="선민")
    claim, _ = writes.claim(question(), member=member, user=None)
    writes.fill(Answer.objects.get(pk=claim.pk), "그 사이 채운 답", expected_version=claim.version, user=None)
    with pytest.raises(writes.Conflict):
        writes.unclaim(claim, user=None)
    assert Answer.objects.get(pk=claim.pk).hidden_at is None
