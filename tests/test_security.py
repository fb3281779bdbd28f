"""Security headers, the production settings behind a TLS proxy, error pages in the site's layout,
and what production does not route."""

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from bench import run as bench_run
from discussions.models import Answer
from studygroup import settings as project_settings

ROOT = Path(__file__).resolve().parent.parent


OPERATIONS = ROOT / "docs" / "operations.md"


def documented_environment(*, having):
    """The variables of docs/operations.md's `export DEBUG=0 …` line that sets `having`."""
    lines = OPERATIONS.read_text(encoding="utf-8").splitlines()
    line = next(line for line in lines if line.startswith("export DEBUG=0 ") and f" {having}=" in line)
    return dict(item.split("=", 1) for item in shlex.split(line.removeprefix("export ")))


def production_environment(tmp_path):
    """docs/operations.md's production recipe (its `export DEBUG=0 … PROXY_COUNT=1 …` line), with
    its … filled in."""
    env = documented_environment(having="PROXY_COUNT")
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert not [name for name, value in env.items() if "…" in value]
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env}


def manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


# The deployment


def test_the_production_recipe_passes_check_deploy_without_a_warning(tmp_path):
    env = production_environment(tmp_path)
    assert env["DEBUG"] == "0" and env["SITE_URL"].startswith("https://")
    result = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


def test_production_settings_trust_the_proxy_and_make_the_site_https_only(tmp_path):
    env = production_environment(tmp_path)
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_PROXY_SSL_HEADER, s.CSRF_TRUSTED_ORIGINS, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE)"
    )
    result = manage(env, "shell", "--no-imports", "-c", code)
    assert result.stdout.strip() == (
        "('HTTP_X_FORWARDED_PROTO', 'https') ['https://study.example.org'] True 31536000 True True"
    ), result.stderr


def plain_http_redirect(env):
    """What SecurityMiddleware answers a plain-HTTP request for / to the first allowed host under
    `env`: a redirect's address, or None when the request goes through."""
    host = env["ALLOWED_HOSTS"].split(",")[0]
    code = (
        "from django.middleware.security import SecurityMiddleware; "
        "from django.test import RequestFactory; "
        "response = SecurityMiddleware(lambda request: None).process_request("
        f"RequestFactory().get('/', HTTP_HOST={host!r})); "
        "print(response and response['Location'])"
    )
    result = manage(env, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    return None if result.stdout.strip() == "None" else result.stdout.strip()


def test_the_production_recipe_sends_plain_http_to_https(tmp_path):
    assert plain_http_redirect(production_environment(tmp_path)) == "https://study.example.org/"


def test_the_local_try_of_the_production_settings_answers_over_plain_http(tmp_path):
    # docs/operations.md, "Trying the production settings locally": DEBUG=0 without the redirect,
    # secure cookies or HSTS, so a browser at http://127.0.0.1:8000 can log in.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **documented_environment(having="SECURE_SSL_REDIRECT"),
    }
    assert env["DEBUG"] == "0" and "…" not in "".join(env.values())
    assert plain_http_redirect(env) is None
    code = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS, "
        "'127.0.0.1' in s.ALLOWED_HOSTS)"
    )
    result = manage(env, "shell", "--no-imports", "-c", code)
    assert result.stdout.strip() == "False False False 0 True", result.stderr


def test_every_environment_variable_the_settings_read_is_in_the_operations_table():
    # os.environ.get("X", …) and the settings' helpers envbool("X", …), envint, envlist, envorigins.
    reads = re.compile(r'(?:os\.environ\.get|env(?:bool|int|list|origins))\(\s*"([A-Z_0-9]+)"')
    read = set()
    for source in ("studygroup/settings.py", "studygroup/gunicorn.conf.py"):
        read |= set(reads.findall((ROOT / source).read_text(encoding="utf-8")))
    assert {"DEBUG", "DATABASE_URL", "EMAIL_BACKEND", "WEB_CONCURRENCY"} <= read  # the pattern still works
    table = OPERATIONS.read_text(encoding="utf-8").partition("## Every environment variable")[2]
    documented = set(re.findall(r"^\|([^|]+)\|", table, flags=re.MULTILINE))
    documented = {name for cell in documented for name in re.findall(r"`([A-Z_0-9]+)`", cell)}
    assert read - documented == set(), "add these to docs/operations.md's table, with their defaults"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("PROXY_COUNT", "one", "PROXY_COUNT must be a whole number, not 'one'"),
        ("PROXY_COUNT", "-1", "PROXY_COUNT must be at least 0, not -1"),
        ("SECURE_HSTS_SECONDS", "a year", "SECURE_HSTS_SECONDS must be a whole number"),
        ("LOGIN_FAILURE_LIMIT", "0", "LOGIN_FAILURE_LIMIT must be at least 1, not 0"),
        ("SECURE_SSL_REDIRECT", "maybe", "SECURE_SSL_REDIRECT must be a boolean"),
        ("CONN_MAX_AGE", "a minute", "CONN_MAX_AGE must be a whole number, not 'a minute'"),
        ("CACHE_MB", "32MB", "CACHE_MB must be a whole number, not '32MB'"),
        ("CACHE_MB", "0", "CACHE_MB must be at least 1, not 0"),
        ("EMAIL_PORT", "smtp", "EMAIL_PORT must be a whole number, not 'smtp'"),
        ("EMAIL_PORT", "70000", "EMAIL_PORT must be at most 65535, not 70000"),
        ("CSRF_TRUSTED_ORIGINS", "study.example.org", "CSRF_TRUSTED_ORIGINS must list origins such as"),
        (
            "CSRF_TRUSTED_ORIGINS",
            "https://study.example.org/app",
            "(no path), not 'https://study.example.org/app'",
        ),
    ],
)
def test_a_bad_setting_in_the_environment_stops_the_start_with_its_name(tmp_path, name, value, message):
    env = {**production_environment(tmp_path), name: value}
    result = manage(env, "check")
    assert result.returncode != 0 and message in result.stderr


def test_the_environment_helpers_read_numbers_and_origins(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", " 3 ")
    monkeypatch.setenv("SOME_ORIGINS", "https://a.example, http://b.example:8000")
    assert project_settings.envint("SOME_NUMBER", "0") == 3
    assert project_settings.envorigins("SOME_ORIGINS", "") == ["https://a.example", "http://b.example:8000"]
    monkeypatch.setenv("SOME_NUMBER", "3.5")
    with pytest.raises(ImproperlyConfigured):
        project_settings.envint("SOME_NUMBER", "0")


def proxied_edit(personas, data_body):
    """Bob edits his answer through the TLS proxy: GET the form, POST it from the https:// page."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["bob"])
    proxied = {"HTTP_HOST": "study.example.org", "HTTP_X_FORWARDED_PROTO": "https"}
    answer = Answer.objects.get(author__name="선민", label="A4")
    url = reverse("discussions:edit_answer", args=[answer.pk])
    form = client.get(url, **proxied)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.content.decode())[1]
    data = {"csrfmiddlewaretoken": token, "body": data_body, "version": answer.version}
    return form, client.post(url, data, HTTP_ORIGIN="https://study.example.org", **proxied)


def test_behind_the_tls_proxy_a_members_post_passes_the_csrf_check(personas, settings):
    settings.ALLOWED_HOSTS = ["study.example.org"]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    form, response = proxied_edit(personas, "프록시 뒤에서 고친 답")
    assert form.status_code == 200 and form["Strict-Transport-Security"].startswith("max-age=31536000")
    assert response.status_code == 302
    assert Answer.objects.get(author__name="선민", label="A4").body == "프록시 뒤에서 고친 답"


def test_without_trusting_the_proxy_the_same_post_is_refused_as_csrf(personas, settings):
    # What every member POST got before: an https:// page posting to what looks like plain HTTP.
    settings.ALLOWED_HOSTS = ["study.example.org"]
    _, response = proxied_edit(personas, "프록시 뒤에서 고친 답")
    assert response.status_code == 403
    assert Answer.objects.get(author__name="선민", label="A4").body != "프록시 뒤에서 고친 답"


def test_plain_http_is_redirected_to_https_in_production(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/")
    assert response.status_code == 301 and response["Location"] == "https://testserver/"


# Headers


def test_every_page_carries_a_strict_content_security_policy_and_a_permissions_policy(client, seeded):
    for url in ["/", seeded.get_absolute_url(), "/search/?q=few-shot", reverse("login"), "/nope/"]:
        response = client.get(url)
        policy = dict(
            part.strip().split(" ", 1)
            for part in response["Content-Security-Policy"].split(";")
            if part.strip()
        )
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", url
        assert policy["object-src"] == "'none'" and policy["frame-ancestors"] == "'none'", url
        assert "unsafe-inline" not in response["Content-Security-Policy"]
        assert (
            "camera=()" in response["Permissions-Policy"]
            and "geolocation=()" in response["Permissions-Policy"]
        )
        assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"


def test_the_templates_have_no_inline_script_style_or_handler():
    # The policy refuses them: one would silently stop working in the browser.
    pattern = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)|\sstyle=|\son[a-z]+=", re.I)
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "templates").rglob("*.html")
        if path.name != "500.html"  # static on purpose; its view lets it style itself (test below)
        and path.parent.name != "mail"  # mails are read in mail programs, which only keep inline styles
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert found == []


def test_the_static_500_page_may_style_itself_inline_and_nothing_more(client, db, settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.urls_failing"
    client.raise_request_exception = False
    response = client.get("/broken/")
    assert response.status_code == 500 and 'style="' in response.content.decode()
    # The header's directives come in no fixed order: compare them as a set, not as a string.
    policy = set(response["Content-Security-Policy"].split("; "))
    assert "style-src 'self' 'unsafe-inline'" in policy and "script-src 'self'" in policy


# The benchmark's do-nothing view


def test_the_benchmarks_do_nothing_view_is_not_routed_in_production(client, db, settings):
    settings.DEBUG = False
    assert client.get("/bench/noop/").status_code == 404
    settings.ROOT_URLCONF = "bench.urls"
    assert client.get("/bench/noop/").content == b"ok"


def test_the_benchmarks_own_settings_route_the_do_nothing_view(tmp_path):
    env = bench_run.django_env(f"sqlite:///{tmp_path / 'bench.sqlite3'}", tmp_path / "static")
    code = (
        "from django.test import Client; "
        "r = Client().get('/bench/noop/', HTTP_HOST='127.0.0.1'); print(r.status_code, r.content)"
    )
    result = manage(env, "shell", "--no-imports", "-c", code)
    assert result.stdout.strip() == "200 b'ok'", result.stderr


# Error pages, as production shows them


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    return settings


def layout(html):
    return 'class="site-header"' in html and 'class="site-footer"' in html


@pytest.mark.parametrize(
    ("language", "words"),
    [("ko", "페이지를 찾을 수 없습니다"), ("en", "This page isn't here")],
)
def test_the_404_page_is_in_the_layout_and_the_readers_language(client, db, production, language, words):
    response = client.get("/papers/nope/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 404 and layout(html) and words in html.replace("&#x27;", "'")
    assert f'<html lang="{language}">' in html


@pytest.mark.parametrize(
    ("language", "words"),
    [("ko", "여기서는 그렇게 할 수 없습니다"), ("en", "You can't do that here")],
)
def test_the_403_page_is_in_the_layout_and_the_readers_language(as_persona, production, language, words):
    client = as_persona("alice")
    bobs = Answer.objects.get(author__name="선민", label="A4")
    response = client.get(reverse("discussions:edit_answer", args=[bobs.pk]), HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 403 and layout(html) and words in html.replace("&#x27;", "'")
    assert "쯔위" in html  # the header still says who is logged in


@pytest.mark.parametrize(
    ("language", "words"),
    [("ko", "이 요청을 읽을 수 없습니다"), ("en", "This request could not be read")],
)
def test_the_400_page_is_in_the_layout_and_the_readers_language(client, db, production, language, words):
    production.ALLOWED_HOSTS = ["study.example.org"]
    response = client.get("/", HTTP_HOST="attacker.example", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 400 and layout(html) and words in html


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("ko", ["이 양식은 만료되었습니다", "아무것도 저장되지 않았습니다", "뒤로 버튼"]),
        ("en", ["This form has expired", "Nothing was saved", "Back button"]),
    ],
)
def test_a_csrf_failure_says_nothing_was_saved_and_back_restores_the_text(
    personas, production, language, words
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["bob"])
    bobs = Answer.objects.get(author__name="선민", label="A4")
    before = bobs.body
    response = client.post(
        reverse("discussions:edit_answer", args=[bobs.pk]),
        {"body": "토큰 없이 보낸 글", "version": bobs.version},
        HTTP_ACCEPT_LANGUAGE=language,
    )
    html = response.content.decode()
    assert response.status_code == 403 and layout(html)
    assert all(word in html.replace("&#x27;", "'") for word in words)
    bobs.refresh_from_db()
    assert bobs.body == before
