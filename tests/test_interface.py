"""The interface without a browser: fragments for htmx, the language switcher, static files in production."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from discussions import writes
from discussions.models import Answer, Question

ROOT = Path(__file__).resolve().parent.parent


def first_open_slot():
    return Answer.objects.open().order_by("question__position", "position").first()


def test_filling_through_htmx_returns_the_answer_as_the_thread_shows_it(as_persona):
    slot = first_open_slot()
    client = as_persona("alice")
    response = client.post(
        reverse("discussions:fill", args=[slot.pk]),
        {"body": "채운 답변 $x$", "version": slot.version},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<li class="answer depth-0" id="{slot.anchor}" tabindex="-1"')
    assert "<math" in html and "채운 답변" in html
    assert "<form" not in html and "<html" not in html
    assert f'href="{slot.get_absolute_url()}"' in html  # copy link
    slot.refresh_from_db()
    assert slot.body == "채운 답변 $x$"


def test_filling_without_htmx_still_redirects_to_the_thread(as_persona):
    slot = first_open_slot()
    response = as_persona("alice").post(
        reverse("discussions:fill", args=[slot.pk]), {"body": "채운 답변", "version": slot.version}
    )
    assert response.status_code == 302
    assert response["Location"] == slot.get_absolute_url()


def test_a_conflict_through_htmx_is_still_the_whole_conflict_page(as_persona):
    slot = first_open_slot()
    writes.save_text(slot, "먼저 저장된 답변", expected_version=slot.version, only_if_open=True, user=None)
    response = as_persona("alice").post(
        reverse("discussions:fill", args=[slot.pk]),
        {"body": "늦게 쓴 답변", "version": slot.version - 1},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 409
    assert response.content.decode().startswith("<!doctype html>")  # site.js shows it as the page


def test_the_fill_form_works_as_a_plain_form_and_enhances_with_htmx(as_persona, seeded):
    slot = first_open_slot()
    html = as_persona("alice").get(seeded.get_absolute_url()).content.decode()
    form = html[html.index(f'action="/answers/{slot.pk}/fill/"') :]
    form = form[: form.index("</form>")]
    assert 'name="csrfmiddlewaretoken"' in form and 'name="body"' in form
    assert f'data-hx-post="/answers/{slot.pk}/fill/"' in form
    assert '<script src="/static/js/htmx.min.js" defer>' in html


def test_the_paper_page_has_a_table_of_contents_and_copy_links(client, seeded):
    html = client.get(seeded.get_absolute_url()).content.decode()
    toc = html[html.index('<nav class="toc"') : html.index("</nav>", html.index('<nav class="toc"'))]
    for question in Question.objects.all():
        assert f'href="#{question.anchor}"' in toc
        assert f'class="copy-link" href="{question.get_absolute_url()}"' in html
    for answer in Answer.objects.all():
        assert f'class="copy-link" href="{answer.get_absolute_url()}"' in html
    assert toc.count('class="waiting"') == 2  # the two Q9s each wait for 쯔위


def test_the_language_switcher_posts_to_set_language_and_english_sticks(client, seeded):
    html = client.get("/").content.decode()
    assert '<html lang="ko">' in html
    assert 'action="/i18n/setlang/"' in html
    assert re.search(r'<button type="submit" name="language" value="en" lang="en"[^>]*>English<', html)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(seeded.get_absolute_url()).content.decode()
    assert '<html lang="en">' in html
    assert ">Discussion<" in html and "Waiting for 쯔위" in html
    assert "GPT3 논문입니다." in html
    assert re.search(r'value="ko" lang="ko"[^>]*>한국어</button>', html)


def test_dates_follow_the_active_language(client, seeded):
    answer = Answer.objects.filter(body__gt="").first()
    url = reverse("discussions:answer_history", args=[answer.pk])
    korean = client.get(url).content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get(url).content.decode()
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일", korean)
    assert re.search(r"(Jan|Feb|March|April|May|June|July|Aug|Sept|Oct|Nov|Dec)\.? \d{1,2}, \d{4}", english)


def test_the_stylesheet_names_korean_fonts_and_keeps_words_whole():
    css = (ROOT / "static/css/site.css").read_text()
    assert "word-break: keep-all" in css
    assert '"NanumGothic"' in css and '"Noto Sans KR"' in css
    assert "prefers-color-scheme: dark" in css
    assert ".highlight .k " in css  # Pygments classes, light and dark


@pytest.mark.django_db
def test_with_debug_off_static_files_have_hashed_names_and_are_served_compressed(tmp_path, settings, client):
    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": "test", "STATIC_ROOT": str(tmp_path)}
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    assert (tmp_path / "staticfiles.json").exists()
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    html = client.get("/").content.decode()
    css_url = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', html).group(1)
    assert re.search(r'src="/static/js/htmx\.min\.[0-9a-f]{12}\.js"', html)
    assert re.search(r'src="/static/js/site\.[0-9a-f]{12}\.js"', html)

    response = client.get(css_url, headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert response["Content-Encoding"] == "gzip"
    assert "immutable" in response["Cache-Control"]
    plain = client.get(css_url)
    assert b"word-break: keep-all" in b"".join(plain.streaming_content)


def test_a_visitor_served_a_cached_page_can_still_switch_language(seeded):
    from django.test import Client

    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    first.get("/")
    html = second.get("/").content.decode()  # the cached copy of the first visitor's page
    start = html.index('action="/i18n/setlang/"')
    switcher = html[start : html.index("</form>", start)]
    assert "csrfmiddlewaretoken" not in switcher
    response = second.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert '<html lang="en">' in second.get("/").content.decode()
