"""What one visitor can make the server hold: cached pages, request bodies, uploads, restores."""

import os
import tracemalloc
import zipfile
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import translation

from discussions import caching, limits
from discussions.models import Paper, Participant
from discussions.uploads import UPLOAD_SESSION_KEY
from studygroup.locmem import BoundedLocMemCache
from tests.conftest import SEED


def cached_pages():
    # LocMemCache keeps its keys as ":<version>:<key>".
    return [key for key in cache._cache if ":page:" in key]


def questions_file(count, name="a.md"):
    body = "".join(f"Q{number} (a). q?\n\n" for number in range(1, count + 1))
    return SimpleUploadedFile(name, f"## 토론\n\n{body}".encode(), content_type="text/markdown")


# The page cache: keyed only by what changes the page


def test_400_requests_with_junk_parameters_leave_one_cache_entry(client, seeded):
    url = seeded.get_absolute_url()
    for number in range(400):
        response = client.get(f"{url}?v={number}")
        # Sent to the page's own address, which is the only one ever cached.
        assert (response.status_code, response["Location"]) == (302, url)
    assert client.get(url).status_code == 200
    assert client.get(url).status_code == 200
    assert len(cached_pages()) == 1


def test_the_parameters_a_page_reads_are_kept_and_the_rest_dropped(client, make_paper):
    response = client.get("/?utm_source=feed&page=2&page=3")
    assert response["Location"] == "/?page=3"  # the value the view reads: the last one
    response = client.get("/search/?q=few-shot&fbclid=x&kind=question")
    assert response["Location"] == "/search/?q=few-shot&kind=question"
    for url in ("/search/?q=few-shot&kind=question", "/search/?kind=question&q=few-shot"):
        assert client.get(url).status_code == 200
    assert len(cached_pages()) == 1  # the same page, whatever the order of its parameters


def test_a_page_with_different_parameters_is_a_different_page(client, make_paper):
    for number in range(1, 3):
        make_paper(questions=1, answers=1, title=f"Paper {number}")
    assert "Paper 2" in client.get("/").content.decode()
    assert client.get("/?page=2").status_code == 200
    assert len(cached_pages()) == 2


def test_the_in_process_cache_holds_no_more_bytes_than_its_bound(settings):
    store = BoundedLocMemCache("bound-test", {"OPTIONS": {"MAX_BYTES": 100_000, "MAX_ENTRIES": 1000}})
    store.clear()
    for number in range(50):
        store.set(f"page-{number}", os.urandom(10_000))
        store.get("page-0")  # used again and again: kept
        assert store.held_bytes() <= 100_000
    assert store.get("page-0") is not None and store.get("page-49") is not None
    assert store.get("page-1") is None  # the least recently used went first
    store.set("huge", os.urandom(200_000))
    assert store.get("huge") is None and store.get("page-49") is not None
    store.clear()


def test_the_site_cache_is_bounded_in_bytes(settings, client, make_paper):
    settings.CACHES = {
        "default": {"BACKEND": "studygroup.locmem.BoundedLocMemCache", "OPTIONS": {"MAX_BYTES": 20_000}}
    }
    from django.core.cache import cache

    cache.clear()
    papers = [make_paper(questions=3, answers=2, title=f"Paper {number}") for number in range(8)]
    for paper in papers:
        client.get(paper.get_absolute_url(), headers={"Accept-Encoding": "gzip"})
    assert 0 < cache.held_bytes() <= 20_000
    assert len([key for key in cache._cache if ":page:" in key]) < len(papers)
    cache.clear()


def test_a_page_too_large_to_cache_is_rendered_each_time(client, seeded, monkeypatch):
    monkeypatch.setattr(caching, "MAX_CACHED_PAGE_BYTES", 1_000)
    url = seeded.get_absolute_url()
    first, second = client.get(url), client.get(url)
    assert first.content == second.content and "Few-Shot" in second.content.decode()
    assert cached_pages() == []


# HEAD


def test_a_cached_head_costs_only_the_generation_query(client, seeded, django_assert_num_queries):
    url = seeded.get_absolute_url()
    page = client.get(url)
    with django_assert_num_queries(1):  # the archive's generation
        head = client.head(url)
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == page["ETag"] and head["Content-Type"] == page["Content-Type"]
    assert int(head["Content-Length"]) == len(page.content)


def test_a_head_fills_the_cache_for_the_next_get(client, seeded, django_assert_num_queries):
    url = seeded.get_absolute_url()
    client.head(url, headers={"Accept-Encoding": "gzip"})
    with django_assert_num_queries(1):
        page = client.get(url, headers={"Accept-Encoding": "gzip"})
    assert page["Content-Encoding"] == "gzip" and len(page.content) == int(page["Content-Length"])


# Request bodies


def test_an_anonymous_post_too_large_is_refused_before_it_is_read(client, db):
    # The body claims 100 MB and holds a few bytes: reading it would fail (the test client's
    # payload refuses to read past its end), so a 413 shows that nothing read it.
    response = client.post(
        reverse("login"), data=b"username=x", content_type="application/x-www-form-urlencoded",
        CONTENT_LENGTH=str(100 * 1024 * 1024),
    )  # fmt: skip
    assert response.status_code == 413
    html = response.content.decode().replace("\xa0", " ")  # filesizeformat's no-break space
    assert "요청이 너무 큽니다" in html and "100.0 MB" in html and "64.0 KB" in html
    assert '<header class="site-header">' in html  # the site's own layout


def test_a_member_post_too_large_is_refused(as_persona):
    client = as_persona("alice")
    paper = Paper.objects.get()
    response = client.post(
        reverse("discussions:ask", args=[paper.slug]), data=b"body=x",
        # Above what a post's form takes with its figure (5 MB and the text).
        content_type="application/x-www-form-urlencoded", CONTENT_LENGTH=str(6 * 1024 * 1024),
    )  # fmt: skip
    assert response.status_code == 413
    assert paper.questions.count() == 11


def test_the_upload_view_takes_larger_bodies_than_other_views(db, staff_client):
    five_mb = SimpleUploadedFile("big.md", b"x" * (5 * 1024 * 1024))
    response = staff_client.post(reverse("admin:discussions_paper_upload"), {"files": [five_mb]})
    assert response.status_code == 200  # read, and refused by the form instead
    assert b"big.md is 5.0 MB; the limit is 2 MB per file." in response.content
    ten_mb = SimpleUploadedFile("big.md", b"x" * (10 * 1024 * 1024))
    response = staff_client.post(reverse("admin:discussions_paper_upload"), {"files": [ten_mb]})
    assert response.status_code == 413


def test_a_post_within_the_limit_goes_through(client, personas):
    response = client.post(reverse("login"), {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302


# Uploads and imports


def upload(client, *files):
    return client.post(reverse("admin:discussions_paper_upload"), {"files": list(files)})


def test_files_with_too_many_questions_are_refused_before_they_are_read(db, staff_client):
    # As the attacker sent them: two files of 100,000 questions, under 2 MB each.
    files = [questions_file(100_000, name=name) for name in ("a.md", "b.md")]
    assert all(upload.size < limits.MAX_FILE_BYTES for upload in files)
    tracemalloc.start()
    try:
        response = upload(staff_client, *files)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    html = response.content.decode()
    assert "a.md: 100,000 questions is more than the 1,000 a file may hold" in html
    assert "b.md: 100,000 questions is more than the 1,000 a file may hold" in html
    assert 'name="confirm"' not in html and Paper.objects.count() == 0
    assert UPLOAD_SESSION_KEY not in staff_client.session
    assert peak < 40 * 1024 * 1024  # reading one took 90 MB; previewing both, 400 MB


def test_a_file_with_too_many_answers_is_refused(db, staff_client):
    answers = "".join(f"A1 (소연). 답 {number}\n\n" for number in range(10_001))
    response = upload(
        staff_client, SimpleUploadedFile("b.md", f"## 토론\n\nQ1 (정훈). 질문\n\n{answers}".encode())
    )
    assert "b.md: 10,001 answers is more than the 10,000 a file may hold" in response.content.decode()
    assert Paper.objects.count() == 0


def test_an_upload_of_too_many_files_is_refused(db, staff_client):
    files = [questions_file(1, name=f"{number}.md") for number in range(21)]
    response = upload(staff_client, *files)
    assert "21 files is more than the 20 an upload may hold." in response.content.decode()
    assert Paper.objects.count() == 0


def test_an_upload_of_too_many_bytes_in_all_is_refused(db, staff_client):
    files = [SimpleUploadedFile(f"{number}.md", b"x" * 1_700_000) for number in range(5)]
    response = upload(staff_client, *files)
    assert "These files are 8.1 MB in all; an upload may hold 8 MB." in response.content.decode()


def test_an_upload_of_too_many_posts_in_all_is_refused(db, staff_client):
    files = [questions_file(1_000, name=f"{number}.md") for number in range(11)]
    html = upload(staff_client, *files).content.decode()
    assert "These files hold 11,000 questions and answers in all; an upload may hold 10,000." in html
    assert 'name="confirm"' not in html and Paper.objects.count() == 0


def test_the_largest_real_file_is_well_within_the_limits(db, staff_client):
    # The benchmark's paper with 200 questions and 1,024 answers in 624 KB.
    answers = "".join(
        f"A{q} (소연). 답 {q}-{a} " + "효율 " * 100 + "\n\n" for q in range(1, 201) for a in range(5)
    )
    questions = "".join(f"Q{q} (정훈). 질문 {q}?\n\n" for q in range(1, 201))
    text = f"## 토론\n\n{questions}{answers}".encode()
    assert limits.read_discussion(text, "big.md").questions


def test_import_refuses_a_file_over_the_size_limit_naming_it(db, tmp_path):
    big = tmp_path / "big.md"
    big.write_bytes(SEED.read_bytes() + b"x" * (3 * 1024 * 1024))
    err = StringIO()
    with translation.override("en"), pytest.raises(CommandError):
        call_command("import_discussion", str(big), stdout=StringIO(), stderr=err)
    assert f"{big}: 3.0 MB is more than the 2.0 MB a file may hold" in err.getvalue()
    assert Paper.objects.count() == 0


def test_import_refuses_a_file_with_too_many_questions(db, tmp_path):
    many = tmp_path / "many.md"
    many.write_bytes(questions_file(5_000).read())
    err = StringIO()
    with translation.override("en"), pytest.raises(CommandError):
        call_command("import_discussion", str(many), stdout=StringIO(), stderr=err)
    assert f"{many}: 5,000 questions is more than the 1,000 a file may hold" in err.getvalue()
    assert Paper.objects.count() == 0


def test_import_refusals_are_translated(db, tmp_path):
    many = tmp_path / "many.md"
    many.write_bytes(questions_file(5_000).read())
    err = StringIO()
    with translation.override("ko"), pytest.raises(CommandError):
        call_command("import_discussion", str(many), stdout=StringIO(), stderr=err)
    assert f"{many}: 질문 5,000개는 한 파일에 담을 수 있는 1,000개보다 많습니다" in err.getvalue()


# Restores


def bomb(path, member_bytes):
    """A backup-shaped zip whose archive.json unpacks to `member_bytes` of spaces."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as backup:
        backup.writestr("data/accounts.json", "[]")
        with backup.open("data/archive.json", "w", force_zip64=True) as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return path


def test_restore_refuses_a_zip_bomb_before_unpacking_it(db, tmp_path):
    path = bomb(tmp_path / "bomb.zip", 256 * 1024 * 1024)
    assert path.stat().st_size < 1024 * 1024
    tracemalloc.start()
    try:
        with translation.override("en"), pytest.raises(CommandError) as refused:
            call_command("restore", str(path), stdout=StringIO())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "data/archive.json is compressed 1,0" in str(refused.value)
    assert "a backup is compressed 100 times at most. Nothing was restored." in str(refused.value)
    assert peak < 10 * 1024 * 1024
    assert Participant.objects.count() == 0


def test_restore_refuses_a_backup_that_would_unpack_to_too_much(db, tmp_path, monkeypatch):
    monkeypatch.setattr(limits, "MAX_RESTORE_BYTES", 1024 * 1024)
    path = tmp_path / "big.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as backup:
        backup.writestr("data/accounts.json", "[]")
        backup.writestr("data/archive.json", "[]")
        backup.writestr("papers/a.md", os.urandom(700 * 1024))  # random bytes do not compress
        backup.writestr("papers/b.md", os.urandom(700 * 1024))
    with translation.override("en"), pytest.raises(CommandError) as refused:
        call_command("restore", str(path), stdout=StringIO())
    assert "the backup would unpack to 1.4 MB, more than the 1.0 MB a restore may read" in str(refused.value)
