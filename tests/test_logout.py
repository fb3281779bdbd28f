"""Logging out ends the session everywhere: on two server processes sharing one PostgreSQL."""

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from discussions.models import Participant, Question
from tests.conftest import free_port, shared_database_url, stop_server

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="two server processes need a database they can share"
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def two_servers(transactional_db):
    """Two gunicorn servers (two processes each), as two app hosts would be, on the test database."""
    env = {
        **os.environ,
        "DATABASE_URL": shared_database_url(),
        "DEBUG": "1",
        "CONN_MAX_AGE": "0",
    }
    env.pop("REDIS_URL", None)  # the set-up without Redis is the one that leaked sessions
    servers, urls = [], []
    for _ in range(2):
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "studygroup.wsgi", "--bind", f"127.0.0.1:{port}"]
        command += ["--workers", "2", "--log-level", "warning"]
        servers.append(subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            for _ in range(60):  # the workers start in a few seconds on two busy cores
                try:
                    urllib.request.urlopen(url + "/accounts/login/", timeout=10)
                    break
                except OSError:
                    time.sleep(0.5)
        yield urls
    finally:
        for server in servers:
            stop_server(server)


def browser():
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    return opener, jar


def post(opener, url, data, referer):
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', opener.open(referer).read().decode())
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), **data}).encode()
    request = urllib.request.Request(url, data=body, headers={"Referer": referer})
    return opener.open(request)


def test_a_session_cookie_replayed_after_logout_is_refused_by_every_server(
    two_servers, settings, django_user_model
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    from django.core.management import call_command

    call_command("seed", verbosity=0)
    user = django_user_model.objects.create_user("bob", password="pw-bob-long-enough")
    Participant.objects.filter(name="선민").update(user=user)
    question = Question.objects.filter(label="Q2").first()
    first, second = two_servers

    opener, jar = browser()
    post(
        opener,
        first + "/accounts/login/",
        {"username": "bob", "password": "pw-bob-long-enough"},
        first + "/accounts/login/",
    )
    session = next(cookie.value for cookie in jar if cookie.name == "sessionid")
    # The same cookie works on the other server, in any of its processes.
    for _ in range(4):
        assert "선민" in opener.open(second + "/open/?mine=1").read().decode()

    post(opener, second + "/accounts/logout/", {}, second + "/open/")

    replay = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    replay.addheaders = [("Cookie", f"sessionid={session}")]
    for url in (first, second) * 4:
        response = replay.open(url + f"/questions/{question.pk}/answer/")
        assert "/accounts/login/" in response.url  # sent to log in: the session is over
    assert not question.answers.filter(author__name="선민", written_in_app=True).exists()
