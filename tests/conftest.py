from io import StringIO
from pathlib import Path

import pytest

from discussions import reader

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED = FIXTURES / "gpt3-discussion.md"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The real hasher is slow on purpose; tests log people in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def tasks_at_once(settings):
    # What the task worker does (discussions.tasks: a PDF's page index) is done at once, within the
    # test; tests/test_tasks.py runs the database backend and its worker instead.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def empty_cache():
    # Each test's database starts over, generation numbers included: so must the page cache.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seeded(db):
    """The GPT-3 archive, as `make run` loads it."""
    from django.core.management import call_command

    from discussions.models import Paper

    call_command("seed", stdout=StringIO())
    return Paper.objects.get()


def generated_discussion(questions=100, answers=5, title="A generated paper", url="") -> reader.Discussion:
    """A paper with `questions` × `answers`, every third answer open, some replies."""
    people = [f"회원{i}" for i in range(12)]
    made = []
    for q in range(1, questions + 1):
        thread = []
        for a in range(answers):
            author = people[(q + a) % len(people)]
            body = (
                ""
                if a % 3 == 2
                else f"답변 {q}-{a}: 효율적으로 생각하면 https://example.com/{q}/{a} 를 보세요."
            )
            replies = [reader.Answer(label=f"A{q}", author=people[a], body=f"답글 {q}-{a}")] if a == 0 else []
            thread.append(reader.Answer(label=f"A{q}", author=author, body=body, replies=replies))
        made.append(
            reader.Question(
                label=f"Q{q}", author=people[q % len(people)], body=f"질문 {q}. few-shot?", answers=thread
            )
        )
    return reader.Discussion(
        title=title,
        title_source="header",
        url=url,
        participants=people,
        references=[reader.Reference(url="https://arxiv.org/abs/2005.14165", label="GPT-3")],
        description="생성된 논문",
        questions=made,
    )


@pytest.fixture
def make_paper(db):
    # Imported here so the pure reader/writer tests also run without Django (pytest -p no:django).
    from discussions.importer import import_discussion

    def make(**kwargs):
        return import_discussion(generated_discussion(**kwargs), filename="generated.md").paper

    return make


@pytest.fixture
def personas(seeded, django_user_model):
    """Alice owns the open answers (she signs 쯔위), Bob is another member (선민), Carol is staff (정훈)."""
    from discussions.models import Participant

    def member(username, name, **extra):
        user = django_user_model.objects.create_user(username, password="pw-" + username, **extra)
        Participant.objects.filter(name=name).update(user=user)
        return user

    return {
        "alice": member("alice", "쯔위"),
        "bob": member("bob", "선민"),
        "carol": member("carol", "정훈", is_staff=True),
        "anonymous": None,
    }


@pytest.fixture
def as_persona(client, personas):
    def login(name):
        client.logout()
        if personas[name] is not None:
            client.force_login(personas[name])
        return client

    return login


@pytest.fixture
def session(personas):
    """Bob (선민) proposed and presents the next session, a week from now; Alice (쯔위) is another
    member, Carol (정훈) staff."""
    import datetime

    from django.utils import timezone

    from discussions import writes
    from discussions.models import Participant

    paper, _ = writes.propose(
        proposer=Participant.objects.get(name="선민"),
        title="Attention Is All You Need",
        session_date=timezone.localdate() + datetime.timedelta(days=7),
        user=personas["bob"],
    )
    return paper


@pytest.fixture
def staff(django_user_model):
    """A superuser: the study group's admin, with every right in /admin/."""
    return django_user_model.objects.create_superuser("curator", "curator@example.com", "pw-curator")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    # English pages, so assertions on the admin's text hold whatever the translations say.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def shared_database_url():
    """The test database as a DATABASE_URL, for a server or command started in another process."""
    from django.db import connection

    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stop_server(process, timeout=10):
    """Stop a server started with `start_new_session=True`, and every worker it forked: a worker
    left behind keeps its connection to the test database, which then cannot be dropped."""
    import contextlib
    import os
    import signal
    import subprocess

    process.send_signal(signal.SIGINT)  # gunicorn's quick shutdown: nothing is left to finish
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)
    with contextlib.suppress(ProcessLookupError):  # the server and its workers are gone already
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


class Inbox:
    """A real SMTP server's handler (aiosmtpd, the `smtp` fixture): keeps every message it accepted
    and its raw bytes; `refuse` makes it answer 451, `unknown` addresses get 550 at RCPT."""

    def __init__(self):
        import threading

        self.messages, self.raw, self.refuse, self.delay, self.on_data = [], [], False, 0.0, None
        self.unknown = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.unknown:
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        import email
        import email.policy

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

    def texts(self):
        return [message.get_body(preferencelist=("plain",)).get_content() for message in self.messages]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on a free port, and Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", port, False
    inbox.port = port
    yield inbox
    controller.stop()
