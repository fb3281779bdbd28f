"""Two people saving the same thing at the same moment, on real PostgreSQL connections."""

import threading
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from discussions import writes
from discussions.models import Answer, Paper, Participant, Question
from discussions.writes.people import merge_participants

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and concurrent connections"
)


@pytest.fixture
def archive(transactional_db, django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed", stdout=StringIO())
    alice = django_user_model.objects.create_user("alice", password="pw")
    Participant.objects.filter(name="쯔위").update(user=alice)
    carol = django_user_model.objects.create_user("carol", password="pw", is_staff=True)
    return {"alice": alice, "carol": carol}


def in_threads(*jobs):
    """Run each job in its own thread (so its own database connection), started together."""
    barrier = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(index, job):
        try:
            barrier.wait()
            results[index] = job()
        except Exception as error:  # surfaced below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def filled(pk, text):
    """Fill an open answer from version 1; False when someone filled it first."""
    try:
        writes.fill(Answer.objects.get(pk=pk), text, expected_version=1, user=None)
    except writes.Conflict:
        return False
    return True


def test_two_members_filling_one_open_answer_at_once_exactly_one_wins(archive):
    for slot in Answer.objects.open():
        texts = [f"first fill of {slot.pk}", f"second fill of {slot.pk}"]

        def fill(text, pk=slot.pk):
            return filled(pk, text)

        results = in_threads(*[lambda text=text: fill(text) for text in texts])
        assert sorted(results) == [False, True]
        slot.refresh_from_db()
        assert slot.body == texts[results.index(True)]
        assert slot.version == 2
        assert slot.history.count() == 2  # imported empty, then the one winning fill


def test_the_second_writer_waits_for_the_first_and_then_sees_it_filled(archive):
    slot = Answer.objects.open().first()
    first_has_lock, let_first_commit = threading.Event(), threading.Event()

    def first():
        with transaction.atomic():
            won = filled(slot.pk, "first")
            first_has_lock.set()
            let_first_commit.wait(timeout=30)
        return won

    def second():
        first_has_lock.wait(timeout=30)
        threading.Timer(0.3, let_first_commit.set).start()  # second is blocked on the row lock meanwhile
        return filled(slot.pk, "second")

    assert in_threads(first, second) == [True, False]
    slot.refresh_from_db()
    assert slot.body == "first"


def test_two_tabs_posting_the_fill_form_at_once_get_one_save_and_one_conflict(archive):
    slot = Answer.objects.open().first()
    url = reverse("discussions:fill", args=[slot.pk])

    def post_as(user, text):
        def job():
            client = Client()
            client.force_login(user)
            return client.post(url, {"body": text, "version": 1})

        return job

    alice_tab, carol_tab = in_threads(
        post_as(archive["alice"], "앨리스의 답"), post_as(archive["carol"], "캐롤의 답")
    )
    statuses = sorted([alice_tab.status_code, carol_tab.status_code])
    assert statuses == [302, 409]
    loser = alice_tab if alice_tab.status_code == 409 else carol_tab
    slot.refresh_from_db()
    html = loser.content.decode()
    assert slot.body in html  # the winning text is shown
    assert ("앨리스의 답" if loser is alice_tab else "캐롤의 답") in html  # and the loser's own text is kept


# The matrix: every pair of writers on one post or thread, both at once from two connections,
# many rounds. Whatever one was told was saved is in the final row; the other got a conflict.

ROUNDS = 8


def _saved(write):
    try:
        write()
    except writes.Conflict:
        return False
    return True


def _member(name="선민"):
    return Participant.objects.get(name=name)


def _fresh_answer(round_):
    question = Question.objects.filter(label="Q2").first()
    return writes.answer(question, author=_member(), body=f"라운드 {round_}의 답", user=None)[0]


def _edit(pk, text, version):
    return lambda: _saved(
        lambda: writes.save_text(Answer.objects.get(pk=pk), text, expected_version=version, user=None)
    )


def _remove(pk, version):
    return lambda: _saved(
        lambda: writes.remove(Answer.objects.get(pk=pk), expected_version=version, user=None)
    )


def _admin_save(pk, text, version):
    def job():
        with transaction.atomic():  # as the admin's change view does
            answer = Answer.objects.get(pk=pk)
            answer.body = text
            try:
                # The version the admin's form was loaded at, checked by the write on the locked row.
                writes.admin_save(
                    answer, user=None, created=False, changed_fields=["body"], expected_version=version
                )
            except writes.Conflict:
                return False
        return True

    return job


@pytest.mark.parametrize(
    "pair", ["edit-vs-edit", "edit-vs-remove", "edit-vs-admin-save", "remove-vs-admin-save"]
)
def test_two_writers_of_one_answer_never_lose_an_acknowledged_write(archive, pair):
    first_kind, second_kind = pair.split("-vs-")
    for round_ in range(ROUNDS):
        answer = _fresh_answer(round_)
        jobs, texts = [], []
        for index, kind in enumerate((first_kind, second_kind)):
            text = f"{kind} {index} in round {round_}"
            texts.append(text)
            if kind == "edit":
                jobs.append(_edit(answer.pk, text, answer.version))
            elif kind == "remove":
                jobs.append(_remove(answer.pk, answer.version))
            else:
                jobs.append(_admin_save(answer.pk, text, answer.version))
        results = in_threads(*jobs)
        assert sorted(results) == [False, True], (pair, round_, results)
        answer.refresh_from_db()
        winner = results.index(True)
        kind = (first_kind, second_kind)[winner]
        if kind == "remove":
            assert answer.hidden_at is not None and answer.body == f"라운드 {round_}의 답"
        else:
            assert answer.body == texts[winner] and answer.hidden_at is None
        assert answer.version == 2  # one write won, once


def test_fill_vs_remove_of_the_question_either_fills_or_refuses(archive):
    for round_ in range(ROUNDS):
        question = writes.ask(Paper.objects.get(), author=_member(), body=f"질문 {round_}", user=None)[0]
        slot = Answer.objects.create(
            question=question, label="A1", author=_member("쯔위"), body="", position=1
        )

        def fill(pk=slot.pk, round_=round_):
            return _saved(
                lambda: writes.fill(
                    Answer.objects.get(pk=pk), f"채움 {round_}", expected_version=1, user=None
                )
            )

        def remove(pk=question.pk):
            return _saved(lambda: writes.remove(Question.objects.get(pk=pk), expected_version=1, user=None))

        filled_, removed_ = in_threads(fill, remove)
        assert removed_
        slot.refresh_from_db()
        assert slot.hidden_at is not None  # removed with its question either way
        assert (slot.body == f"채움 {round_}") == filled_  # an acknowledged fill is in the row


@pytest.mark.parametrize("pair", ["reply-vs-remove-answer", "answer-vs-remove-question"])
def test_nothing_acknowledged_is_left_under_a_post_removed_at_the_same_moment(archive, pair):
    for round_ in range(ROUNDS):
        parent = _fresh_answer(round_)
        question = parent.question

        def write(parent=parent, question=question, round_=round_):
            target = {"parent": Answer.objects.get(pk=parent.pk)} if pair.startswith("reply") else {}
            try:
                return writes.answer(
                    question, author=_member(), body=f"밑에 쓴 글 {round_}", user=None, **target
                )[0].pk
            except writes.Conflict:
                return None

        def remove(parent=parent, question=question):
            post = (
                Answer.objects.get(pk=parent.pk)
                if pair.startswith("reply")
                else Question.objects.get(pk=question.pk)
            )
            return _saved(lambda: writes.remove(post, expected_version=post.version, user=None))

        made, removed_ = in_threads(write, remove)
        assert removed_
        if made is not None:
            # Written first, then removed with the post it is under: never shown under a removed one.
            assert Answer.objects.get(pk=made).hidden_at is not None
        if pair.startswith("answer"):
            # Restore the question for the next round's answers.
            Question.objects.filter(pk=question.pk).update(hidden_at=None)
            Answer.objects.filter(question=question).update(hidden_at=None)


def test_two_members_asking_at_once_get_two_labels(archive):
    paper = Paper.objects.get()

    def ask(name, round_):
        return lambda: writes.ask(paper, author=_member(name), body=f"{name} {round_}", user=None)[0].label

    for round_ in range(ROUNDS * 2):
        labels = in_threads(ask("선민", round_), ask("소연", round_))
        assert len(set(labels)) == 2, labels
    asked = Question.objects.filter(paper=paper, written_in_app=True).values_list("label", flat=True)
    assert len(asked) == len(set(asked)) == ROUNDS * 4


def test_a_double_click_on_answer_makes_one_answer(archive):
    question = Question.objects.filter(label="Q2").first()
    for round_ in range(ROUNDS):
        token = str(uuid.uuid4())

        def click(token=token, round_=round_):
            return writes.answer(question, author=_member(), body=f"두 번 {round_}", user=None, token=token)[
                0
            ].pk

        first, second = in_threads(click, click)
        assert first == second
        assert Answer.objects.filter(body=f"두 번 {round_}").count() == 1


def test_a_merge_while_a_member_edits_keeps_the_edit_or_refuses_it(archive):
    """The merge moves each post's version on: an edit from the version before it either commits
    first (and the merge keeps its text) or is refused with the conflict page (which keeps it)."""
    outcomes = set()
    for round_ in range(ROUNDS):
        twin = Participant.objects.create(name=f"쌍둥이{round_}")
        answer = writes.answer(
            Question.objects.filter(label="Q2").first(), author=twin, body="합치기 전", user=None
        )[0]
        edit = _edit(answer.pk, f"합치는 동안 고침 {round_}", answer.version)

        def merge(twin=twin):
            merge_participants(twin, _member())
            return True

        edited, _ = in_threads(edit, merge)
        outcomes.add(edited)
        answer.refresh_from_db()
        assert answer.author.name == "선민"
        assert answer.version == (3 if edited else 2)  # the edit (if it won) and the merge, each once
        assert answer.body == (f"합치는 동안 고침 {round_}" if edited else "합치기 전")
        assert answer.history.first().body == answer.body  # the latest version is the row as it is
