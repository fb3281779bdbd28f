"""Telling members what concerns them: in the app, and by mail through a real SMTP server
(aiosmtpd, started here on a free port), sent by `send_notifications` exactly once."""

import asyncio
import datetime
import email
import email.policy
import os
import re
import signal
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.core.mail import get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from discussions import writes
from discussions.models import Answer, Notification, OutboxMail, Paper, Participant, Preference, Question
from tests.conftest import free_port, shared_database_url

ROOT = Path(__file__).resolve().parent.parent


class Inbox:
    """An SMTP server's handler: keeps every message it accepted; `refuse` makes it answer 451."""

    def __init__(self):
        self.messages, self.raw, self.refuse, self.delay, self.on_data = [], [], False, 0.0, None
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.on_data is not None and self.on_data(self):
            return "451 killed the sender before accepting"
        if self.refuse:
            return "451 try again later"
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            self.raw.append(envelope.content)
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"

    def subjects(self):
        return [str(message["Subject"]) for message in self.messages]


@pytest.fixture
def smtp(settings):
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture
def soyeon(personas, django_user_model):
    user = django_user_model.objects.create_user("soyeon", email="soyeon@example.com", password="pw-soyeon")
    Participant.objects.filter(name="소연").update(user=user)
    return user


def wants(user, how):
    Preference.objects.update_or_create(user=user, defaults={"email": how})


def send():
    out = StringIO()
    call_command("send_notifications", stdout=out, stderr=StringIO())
    return out.getvalue()


def soyeons_question():
    return Question.objects.filter(author__name="소연").first()


# In the app


def test_an_answer_to_my_question_tells_me_and_nobody_is_told_of_their_own(soyeon, personas):
    question = soyeons_question()
    writes.answer(
        question, author=Participant.objects.get(name="선민"), body="답입니다", user=personas["bob"]
    )
    (told,) = Notification.objects.filter(recipient=soyeon)
    assert told.kind == "answer" and told.actor.name == "선민"
    writes.answer(question, author=Participant.objects.get(name="소연"), body="제가 덧붙이면", user=soyeon)
    assert Notification.objects.filter(recipient=soyeon).count() == 1


def test_a_reply_to_my_answer_and_a_mention_tell_once_each_with_the_particular_reason(soyeon, personas):
    bob = Participant.objects.get(name="선민")
    answer = writes.answer(soyeons_question(), author=bob, body="선민의 답", user=personas["bob"])[0]
    writes.answer(
        answer.question,
        author=Participant.objects.get(name="쯔위"),
        body="@선민님 말씀에 덧붙여 @소연님께도",
        user=personas["alice"],
        parent=answer,
    )
    kinds = {(n.recipient.username, n.kind) for n in Notification.objects.filter(actor__name="쯔위")}
    assert kinds == {("bob", "reply"), ("soyeon", "answer")}  # a reply that mentions is a reply


def test_a_mention_in_code_tells_nobody_and_an_edit_tells_only_whom_it_newly_mentions(soyeon, personas):
    question = Question.objects.filter(author__name="선민").first()
    writes.save_text(
        question,
        question.body + "\n\n`@소연` 은 코드",
        expected_version=question.version,
        user=personas["bob"],
    )
    assert not Notification.objects.filter(recipient=soyeon).exists()
    writes.save_text(
        question,
        question.body + "\n\n@소연가 어떻게 보세요",
        expected_version=question.version,
        user=personas["bob"],
    )
    assert Notification.objects.get(recipient=soyeon).kind == "mention"
    writes.save_text(
        question, question.body + " 다시", expected_version=question.version, user=personas["bob"]
    )
    assert Notification.objects.filter(recipient=soyeon).count() == 1


def test_a_request_a_fill_on_my_behalf_and_my_session_changing_tell_me(soyeon, personas):
    alice = personas["alice"]
    question = soyeons_question()
    writes.claim(question, member=Participant.objects.get(name="쯔위"), user=personas["carol"])
    assert Notification.objects.get(recipient=alice).kind == "request"
    slot = Answer.objects.open().filter(author__name="쯔위").first()
    writes.fill(slot, "대신 써 둔 답", expected_version=slot.version, user=personas["carol"])
    assert Notification.objects.filter(recipient=alice, kind="filled").exists()
    paper = Paper.objects.get()
    writes.update_session(
        paper, expected_version=paper.version, user=personas["carol"], session_date=timezone.localdate()
    )
    assert Notification.objects.filter(recipient=soyeon, kind="session").exists()
    assert not Notification.objects.filter(recipient=personas["carol"]).exists()


def test_owed_answers_are_reminded_once_before_the_session_and_never_after(soyeon, personas, smtp):
    paper = Paper.objects.get()
    Paper.objects.filter(pk=paper.pk).update(session_date=timezone.localdate() + datetime.timedelta(days=2))
    send()
    send()
    reminders = Notification.objects.filter(kind="reminder")
    assert reminders.count() == 2 and {n.recipient.username for n in reminders} == {"alice"}  # 쯔위 owes two
    Paper.objects.filter(pk=paper.pk).update(session_date=timezone.localdate() - datetime.timedelta(days=1))
    Notification.objects.all().delete()
    send()
    assert not Notification.objects.exists()


def test_the_header_counts_unread_and_opening_one_lands_on_the_answer(
    soyeon, client, django_assert_num_queries
):
    answer = writes.answer(
        soyeons_question(), author=Participant.objects.get(name="선민"), body="보세요", user=None
    )[0]
    client.force_login(soyeon)
    html = client.get("/topics/").content.decode()
    assert 'class="count">1<' in html
    notification = Notification.objects.get(recipient=soyeon)
    response = client.get(reverse("discussions:open_notification", args=[notification.pk]))
    assert response["Location"] == answer.get_absolute_url()
    assert 'class="count"' not in client.get("/topics/").content.decode()


def test_the_unread_count_is_one_query_for_members_and_none_for_visitors(
    soyeon, client, django_assert_num_queries
):
    client.get("/topics/")  # cached for visitors
    with django_assert_num_queries(1):  # the generation: the page itself comes from the cache
        client.get("/topics/")
    client.force_login(soyeon)
    # the session, the user, the member's name in the header, the topics with counts, the unread count
    with django_assert_num_queries(5):
        client.get("/topics/")


def test_mark_all_read(soyeon, client):
    for body in ("하나", "둘"):
        writes.answer(soyeons_question(), author=Participant.objects.get(name="선민"), body=body, user=None)
    client.force_login(soyeon)
    client.post(reverse("discussions:notifications_read"))
    assert not Notification.objects.filter(recipient=soyeon).unread().exists()


# By mail, through a real SMTP server


def test_an_immediate_mail_arrives_with_its_headers_parts_and_unsubscribe_link(soyeon, smtp, client):
    wants(soyeon, "immediately")
    answer = writes.answer(
        soyeons_question(), author=Participant.objects.get(name="선민"), body="**굵은** 답", user=None
    )[0]
    assert "1 mails sent" in send()
    (message,) = smtp.messages
    assert str(message["To"]).strip() == "soyeon@example.com"
    assert str(message["Subject"]).strip().startswith("[스터디]") and "선민" in str(message["Subject"])
    # On the wire the Korean subject is RFC 2047-encoded (it decodes back to Korean above).
    headers = smtp.raw[0].replace(b"\r\n", b"\n").split(b"\n\n")[0]
    assert b"=?utf-8?" in headers.lower() and "선민".encode() not in headers
    assert str(message["List-Unsubscribe-Post"]).strip() == "List-Unsubscribe=One-Click"
    unsubscribe = str(message["List-Unsubscribe"]).strip().strip("<>")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert answer.get_absolute_url() in text and "<strong>굵은</strong>" in html
    assert unsubscribe in text
    # One click (RFC 8058): a POST to the link, without cookies, stops the mails.
    path = unsubscribe.removeprefix("http://127.0.0.1:8000")
    assert client.post(path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert Preference.objects.get(user=soyeon).email == "never"
    writes.answer(soyeons_question(), author=Participant.objects.get(name="선민"), body="또 답", user=None)
    send()
    assert len(smtp.messages) == 1


def test_a_forged_unsubscribe_link_changes_nothing(soyeon, client):
    wants(soyeon, "daily")
    assert client.post("/unsubscribe/forged-token/").status_code == 400
    assert Preference.objects.get(user=soyeon).email == "daily"


def test_a_daily_digest_groups_what_came_and_comes_once_a_day(soyeon, smtp):
    wants(soyeon, "daily")
    for body in ("첫째", "둘째", "셋째"):
        writes.answer(soyeons_question(), author=Participant.objects.get(name="선민"), body=body, user=None)
    send()
    (digest,) = smtp.messages
    assert "3" in str(digest["Subject"])
    text = digest.get_body(preferencelist=("plain",)).get_content()
    assert all(word in text for word in ("첫째", "둘째", "셋째"))
    writes.answer(soyeons_question(), author=Participant.objects.get(name="선민"), body="넷째", user=None)
    send()
    assert len(smtp.messages) == 1  # the next digest waits for tomorrow
    Preference.objects.filter(user=soyeon).update(
        digest_sent_at=timezone.now() - datetime.timedelta(days=1, minutes=1)
    )
    send()
    assert (
        len(smtp.messages) == 2
        and "넷째" in smtp.messages[1].get_body(preferencelist=("plain",)).get_content()
    )


def test_a_refusing_or_absent_smtp_server_marks_nothing_sent_and_the_next_run_delivers(
    soyeon, smtp, settings
):
    wants(soyeon, "immediately")
    writes.answer(
        soyeons_question(), author=Participant.objects.get(name="선민"), body="기다린 답", user=None
    )
    smtp.refuse = True
    send()
    mail = OutboxMail.objects.get()
    assert mail.sent_at is None and mail.attempts == 1 and "451" in mail.last_error
    settings.EMAIL_PORT = free_port()  # nobody listens there
    OutboxMail.objects.update(due_at=timezone.now())
    send()
    mail.refresh_from_db()
    assert mail.sent_at is None and mail.attempts == 2
    settings.EMAIL_PORT, smtp.refuse = smtp.port, False
    send()  # not yet: the back-off
    assert smtp.messages == []
    OutboxMail.objects.update(due_at=timezone.now())
    send()
    assert len(smtp.messages) == 1 and OutboxMail.objects.get().sent_at is not None


# Killed in the middle, and two at once: every due mail arrives exactly once (PostgreSQL)

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="a second process needs a database it can share"
)


def many_mails(count):
    users = []
    from django.contrib.auth import get_user_model

    for i in range(count):
        user = get_user_model().objects.create_user(f"reader{i}", email=f"reader{i}@example.com")
        users.append(user)
        OutboxMail.objects.create(recipient=user, kind=OutboxMail.Kind.DIGEST)
    return users


def sender(smtp):
    env = {
        **os.environ,
        "DATABASE_URL": shared_database_url(),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "send_notifications"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def delivered(smtp):
    return sorted(str(message["To"]) for message in smtp.messages)


@postgresql_only
def test_a_run_killed_in_the_middle_then_run_again_delivers_each_mail_once(transactional_db, smtp):
    users = many_mails(12)
    process = None

    def kill_at_the_fifth(inbox):
        # The sender dies before the server accepted its fifth mail, as a kill -9 or a reboot would.
        if len(inbox.messages) == 4 and process is not None:
            os.kill(process.pid, signal.SIGKILL)
            return True
        return False

    smtp.on_data = kill_at_the_fifth
    process = sender(smtp)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL and len(smtp.messages) == 4
    smtp.on_data = None
    again = sender(smtp)
    assert again.wait(timeout=60) == 0
    assert delivered(smtp) == sorted(user.email for user in users)
    assert not OutboxMail.objects.filter(sent_at__isnull=True).exists()


@postgresql_only
def test_two_runs_at_once_never_send_a_mail_twice(transactional_db, smtp):
    users = many_mails(30)
    smtp.delay = 0.02
    runs = [sender(smtp), sender(smtp)]
    for run in runs:
        assert run.wait(timeout=120) == 0
    assert delivered(smtp) == sorted(user.email for user in users)


def test_the_operations_doc_shows_how_to_run_the_sender_on_a_timer():
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "manage.py send_notifications" in operations and "OnCalendar" in operations
    assert "*/5 * * * *" in operations
    assert "docs/operations.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_mail_doc_names_the_smtp_backend_that_sends_mail():
    # SMTP needs EMAIL_BACKEND as well as EMAIL_HOST: the value the doc gives must be Django's
    # SMTP backend, and the one the sender then uses.
    mail_doc = (ROOT / "docs" / "mail.md").read_text(encoding="utf-8")
    value = re.search(r"^export EMAIL_BACKEND=(\S+)$", mail_doc, flags=re.MULTILINE)[1]
    assert import_string(value) is SmtpBackend
    with override_settings(EMAIL_BACKEND=value):
        assert isinstance(get_connection(), SmtpBackend)
    assert "docs/mail.md" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_a_past_session_is_reminded_once_to_whoever_asked_and_to_nobody_else(soyeon, personas, smtp, client):
    paper = Paper.objects.get()
    Paper.objects.filter(pk=paper.pk).update(session_date=timezone.localdate() - datetime.timedelta(days=5))
    send()
    assert not Notification.objects.filter(kind="reminder").exists()
    client.force_login(personas["alice"])
    page = client.get(reverse("discussions:settings")).content.decode()
    assert 'name="remind_past"' in page
    client.post(reverse("discussions:settings"), {"email": "daily", "remind_days": 3, "remind_past": "on"})
    assert Preference.objects.get(user=personas["alice"]).remind_past
    send()
    send()
    reminders = Notification.objects.filter(kind="reminder")
    # 쯔위 owes two answers; each is reminded once however often the command runs.
    assert sorted(n.answer_id for n in reminders) == sorted(
        Answer.objects.open().filter(author__name="쯔위").values_list("pk", flat=True)
    )
    assert {n.recipient.username for n in reminders} == {"alice"}
