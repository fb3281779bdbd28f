"""Two people saving the same thing at the same moment, on real PostgreSQL connections."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test import Client
from django.urls import reverse

from discussions import writes
from discussions.models import Answer, Participant

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
