"""Pages are rendered once and served from the cache until anything in the archive changes."""

import gzip
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from discussions import writes
from discussions.models import Answer, Paper, Participant, Question, Reference, Topic


def test_a_second_visit_costs_one_query(client, seeded, django_assert_num_queries):
    client.get(seeded.get_absolute_url())
    with django_assert_num_queries(1):  # the archive's generation
        response = client.get(seeded.get_absolute_url())
    assert "Language Models are Few-Shot Learners" in response.content.decode()


def test_a_browser_that_has_the_page_gets_not_modified(client, seeded):
    first = client.get("/")
    again = client.get("/", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert "Accept-Language" in first["Vary"] and "Cookie" in first["Vary"]


def test_a_browser_that_accepts_gzip_gets_the_same_page_compressed(client, seeded):
    url = seeded.get_absolute_url()
    plain = client.get(url)
    for _ in range(2):  # rendered and compressed, then from the cache
        compressed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        assert compressed["Content-Encoding"] == "gzip"
        assert gzip.decompress(compressed.content) == plain.content
        assert int(compressed["Content-Length"]) == len(compressed.content) < len(plain.content) / 3
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
    assert compressed["ETag"] != plain["ETag"]  # two representations, two tags
    again = client.get(url, headers={"Accept-Encoding": "gzip", "If-None-Match": compressed["ETag"]})
    assert again.status_code == 304


def test_each_language_has_its_own_copy(client, seeded):
    korean = client.get("/", headers={"Accept-Language": "ko"}).content.decode()
    english = client.get("/", headers={"Accept-Language": "en"}).content.decode()
    assert "논문" in korean and "Papers" in english


def test_members_always_get_a_fresh_page(as_persona):
    client = as_persona("alice")
    slot = Answer.objects.open().first()
    client.get(slot.question.paper.get_absolute_url())
    html = client.get(slot.question.paper.get_absolute_url()).content.decode()
    assert reverse("discussions:fill", args=[slot.pk]) in html


def page(client, url):
    return client.get(url).content.decode()


def test_nothing_is_stale_after_a_fill(as_persona, client):
    slot = Answer.objects.open().first()
    url = slot.question.paper.get_absolute_url()
    assert page(client, url).count("쯔위 님의 답변을 기다리는 중") == 2
    as_persona("alice").post(reverse("discussions:fill", args=[slot.pk]), {"body": "채웠어요", "version": 1})
    client.logout()
    html = page(client, url)
    assert "채웠어요" in html and html.count("쯔위 님의 답변을 기다리는 중") == 1


def test_nothing_is_stale_after_a_fill_that_commits_on_its_own(transactional_db, as_persona, client):
    """As in production, the fill's transaction is the outermost one: on PostgreSQL the bump
    after its commit is then the only one."""
    test_nothing_is_stale_after_a_fill(as_persona, client)


def test_on_postgresql_a_fill_moves_the_generation_once_after_its_commit(transactional_db, as_persona):
    from django.db import connection

    from discussions.generation import current as generation

    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps the generation in a transactional row")
    slot = Answer.objects.open().first()
    client = as_persona("alice")
    before = generation()
    client.post(reverse("discussions:fill", args=[slot.pk]), {"body": "채웠어요", "version": 1})
    assert generation() == before + 1


@pytest.mark.parametrize(
    "write",
    ["answer", "reply", "ask", "edit", "delete", "topics"],
)
def test_nothing_is_stale_after_a_member_writes(personas, client, write):
    from django.test import Client

    member = Client()
    member.force_login(personas["bob"])
    answer = Answer.objects.get(author__name="선민", label="A4")
    question = answer.question
    url = question.paper.get_absolute_url()
    before = page(client, url)
    marker = f"새 글 {write}"
    if write == "answer":
        member.post(reverse("discussions:answer", args=[question.pk]), {"body": marker})
    elif write == "reply":
        member.post(reverse("discussions:reply", args=[answer.pk]), {"body": marker})
    elif write == "ask":
        member.post(reverse("discussions:ask", args=[question.paper.slug]), {"body": marker})
    elif write == "edit":
        member.post(
            reverse("discussions:edit_answer", args=[answer.pk]), {"body": marker, "version": answer.version}
        )
    elif write == "delete":
        member.post(reverse("discussions:delete_answer", args=[answer.pk]), {"version": answer.version})
        marker = None
    elif write == "topics":
        member.post(reverse("discussions:edit_topics", args=[question.pk]), {"topics": "새주제"})
        marker = "새주제"
    after = page(client, url)
    if marker:
        assert marker not in before and marker in after
    else:
        assert f'id="{answer.anchor}"' in before and f'id="{answer.anchor}"' not in after


def test_nothing_is_stale_after_an_import(client, seeded, tmp_path):
    before = page(client, "/")
    path = tmp_path / "new.md"
    path.write_text(
        "## 논문\n- 제목 : A freshly imported paper\n## 토론\nQ1 (정훈). 질문\n", encoding="utf-8"
    )
    call_command("import_discussion", str(path), stdout=StringIO())
    assert "A freshly imported paper" not in before
    assert "A freshly imported paper" in page(client, "/")


def test_a_dry_run_import_leaves_no_trace_in_the_pages(client, seeded, tmp_path):
    page(client, "/")
    path = tmp_path / "new.md"
    path.write_text("## 논문\n- 제목 : Only a preview\n## 토론\nQ1 (정훈). 질문\n", encoding="utf-8")
    call_command("import_discussion", str(path), "--dry-run", stdout=StringIO())
    assert "Only a preview" not in page(client, "/")


@pytest.mark.parametrize("change", ["paper", "participant", "reference", "topic", "question"])
def test_nothing_is_stale_after_an_admin_change(client, seeded, change):
    """The admin saves through discussions.writes too, which moves the generation."""
    url = seeded.get_absolute_url()
    page(client, url)
    if change == "paper":
        seeded.title = "Renamed in the admin"
        writes.admin_save(seeded, user=None, created=False, changed_fields=["changed"])
        expected = "Renamed in the admin"
    elif change == "participant":
        person = Participant.objects.get(name="쯔위")
        url = person.get_absolute_url()
        page(client, url)
        person.full_name = "周子瑜"
        writes.admin_save(person, user=None, created=False, changed_fields=["changed"])
        expected = "周子瑜"
    elif change == "reference":
        ref = Reference.objects.listed().first()
        ref.label = "Renamed reference"
        writes.admin_save(ref, user=None, created=False, changed_fields=["changed"])
        expected = "Renamed reference"
    elif change == "topic":
        topic = Topic.objects.get(name="bias")
        topic.name = "편향과 공정성"
        writes.admin_save(topic, user=None, created=False, changed_fields=["changed"])
        expected = "편향과 공정성"
    else:
        question = Question.objects.get(label="Q2")
        question.body = "관리자가 고친 질문"
        writes.admin_save(question, user=None, created=False, changed_fields=["changed"])
        expected = "관리자가 고친 질문"
    assert expected in page(client, url)


def test_the_search_filters_list_what_the_archive_holds_now(as_persona, make_paper):
    """A member's search page is never cached whole, but its long filter lists are."""
    client = as_persona("bob")
    assert "A paper added later" not in page(client, "/search/?q=GPT")
    paper = make_paper(questions=1, answers=0)
    paper.title = "A paper added later"
    writes.admin_save(paper, user=None, created=False, changed_fields=["title"])
    html = page(client, f"/search/?q=GPT&paper={paper.slug}")
    assert f'<option value="{paper.slug}" selected>A paper added later</option>' in html
    assert f'<option value="{paper.slug}">A paper added later</option>' in page(client, "/search/?q=GPT")


def test_the_cache_works_on_redis_too(client, seeded, settings):
    """Production shares cached pages between workers through Redis (REDIS_URL)."""
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/15").ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis server on 127.0.0.1:6379")
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/15",
            "KEY_PREFIX": "studygroup-tests",
        }
    }
    from django.core.cache import cache

    cache.clear()
    url = seeded.get_absolute_url()
    assert "GPT3 논문입니다." in page(client, url)
    seeded.description = "레디스에서도 바로 보입니다."
    writes.admin_save(seeded, user=None, created=False, changed_fields=["description"])
    assert "레디스에서도 바로 보입니다." in page(client, url)
    cache.clear()


def test_on_postgresql_a_write_moves_the_generation_again_once_committed(
    seeded, django_capture_on_commit_callbacks
):
    """Inside someone else's transaction (here the test's), a write bumps at once, so that
    connection's own pages show it; the sequence is not transactional, though: a page rendered
    elsewhere between that bump and the commit shows the old data under the new number, so the
    commit bumps past it."""
    from django.db import connection

    from discussions.generation import current as generation

    if connection.vendor != "postgresql":
        pytest.skip("SQLite keeps the generation in a transactional row")
    before = generation()
    with django_capture_on_commit_callbacks(execute=True):
        question = Question.objects.get(label="Q2")
        writes.remove(question, expected_version=question.version, user=None)
    assert generation() == before + 2


def test_the_first_write_on_a_new_postgresql_database_shows_on_the_next_visit(transactional_db, client):
    """A new sequence reads 1 before its first nextval() and 1 after it: the generation must not."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the generation is a sequence on PostgreSQL only")
    from discussions.generation import SEQUENCE

    with connection.cursor() as cursor:
        cursor.execute(f"ALTER SEQUENCE {SEQUENCE} RESTART")  # as migrate leaves it
    assert "Language Models are Few-Shot Learners" not in page(client, "/")
    call_command("seed", stdout=StringIO())
    assert "Language Models are Few-Shot Learners" in page(client, "/")


# Finer invalidation: a write to one paper's thread keeps the other papers' pages


def test_an_answer_in_one_paper_keeps_the_others_cached_and_shows_where_it_belongs(
    client, seeded, make_paper, django_assert_num_queries
):
    other = make_paper(questions=3, answers=1, title="Another paper")
    page(client, other.get_absolute_url())
    page(client, seeded.get_absolute_url())
    home = page(client, "/")
    question = seeded.questions.get(label="Q2")
    writes.answer(question, author=Participant.objects.get(name="선민"), body="한 논문에만 쓴 답", user=None)
    with django_assert_num_queries(1):  # the paper's generations: the page itself is still cached
        assert client.get(other.get_absolute_url()).status_code == 200
    assert "한 논문에만 쓴 답" in page(client, seeded.get_absolute_url())
    assert page(client, "/") != home  # the archive-wide lists count the new answer


def test_a_change_to_the_archives_structure_renders_every_paper_page_afresh(client, seeded, make_paper):
    other = make_paper(questions=2, answers=1, title="Another paper")
    person = Participant.objects.get(name="회원1")
    assert "회원1" in page(client, other.get_absolute_url())
    person.full_name = "김회원"
    writes.admin_save(person, user=None, created=False, changed_fields=["full_name"])
    assert "김회원" in page(client, other.get_absolute_url())


def test_readers_missing_one_page_at_once_render_it_once(transactional_db, client):
    """Eight readers arrive together on a page nobody has cached: one renders, the others wait for it."""
    import threading

    from django.db import connection, connections
    from django.test import Client
    from django.test.signals import template_rendered

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections")
    call_command("seed", stdout=StringIO())
    url = Paper.objects.get().get_absolute_url()
    renders, lock = [], threading.Lock()

    def count(sender, template, **kwargs):
        if template.name in ("discussions/paper_detail.html", "discussions/_question.html"):
            with lock:
                renders.append(template.name)

    template_rendered.connect(count)
    barrier, statuses = threading.Barrier(8), []

    def read():
        barrier.wait()
        statuses.append(Client().get(url).status_code)
        connections.close_all()

    try:
        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        template_rendered.disconnect(count)
    assert statuses == [200] * 8
    # The page once, and each of its question blocks once.
    assert renders.count("discussions/paper_detail.html") == 1
    assert renders.count("discussions/_question.html") == Question.objects.shown().count()


# A visitor's question blocks (discussions.blocks): kept per question, rendered again after a write
# to that question's thread, and only that one


def blocks_rendered(client, url):
    """The page, and how many question blocks it rendered."""
    from django.test.signals import template_rendered

    rendered = []

    def count(sender, template, **kwargs):
        if template.name == "discussions/_question.html":
            rendered.append(1)

    template_rendered.connect(count)
    try:
        html = page(client, url)
    finally:
        template_rendered.disconnect(count)
    return html, len(rendered)


@pytest.mark.parametrize("write", ["claim", "unclaim", "discussed", "fill", "remove question", "admin"])
def test_a_visitors_block_shows_every_write_to_its_thread_and_the_others_stay(client, personas, write):
    paper = Paper.objects.get()
    url = paper.get_absolute_url()
    question = paper.questions.get(label="Q2")
    member = Participant.objects.get(name="선민")
    html, rendered = blocks_rendered(client, url)
    assert rendered == paper.questions.shown().count()
    if write == "claim":
        writes.claim(question, member=member, user=personas["bob"])
        expected = "선민 님의 답변을 기다리는 중"
    elif write == "unclaim":
        slot, _ = writes.claim(question, member=member, user=personas["bob"])
        html, _ = blocks_rendered(client, url)
        assert html.count(f'id="{slot.anchor}"') == 1
        writes.unclaim(slot, user=personas["bob"])
        expected = None
    elif write == "discussed":
        assert html.count("✓ 토론함") == 0
        writes.mark_discussed(question, True, user=personas["bob"])
        expected = "✓ 토론함"
    elif write == "fill":
        slot = Answer.objects.open().filter(question__paper=paper).first()
        question = slot.question
        writes.fill(slot, "블록에 채운 답", expected_version=slot.version, user=personas["alice"])
        expected = "블록에 채운 답"
    elif write == "remove question":
        writes.remove(question, expected_version=question.version, user=None)
        expected = None
    else:
        question.body = "관리자가 고친 질문"
        writes.admin_save(question, user=None, created=False, changed_fields=["body"])
        expected = "관리자가 고친 질문"
    after, rendered = blocks_rendered(client, url)
    if expected:
        assert expected not in html and expected in after
    if write == "unclaim":
        assert f'id="{slot.anchor}"' not in after
    if write == "remove question":
        assert f'id="{question.anchor}"' in html and f'id="{question.anchor}"' not in after
    # A change of the archive's structure (the admin) renders them all; a write in one thread, one.
    expected_renders = {"remove question": 0, "admin": paper.questions.shown().count()}.get(write, 1)
    assert rendered == expected_renders


def test_a_visitors_blocks_are_kept_per_language(seeded):
    from django.test import Client

    url, count = seeded.get_absolute_url(), seeded.questions.shown().count()
    korean, rendered_ko = blocks_rendered(Client(headers={"Accept-Language": "ko"}), url)
    english, rendered_en = blocks_rendered(Client(headers={"Accept-Language": "en"}), url)
    assert rendered_ko == rendered_en == count
    assert "답변 2개" in korean and "2 answers" in english and "답변 2개" not in english


def test_a_paper_filtered_to_a_place_shows_what_was_written_since(client, seeded):
    """The filtered page is rendered whole (it needs every post's places), and keyed like the page."""
    question = seeded.questions.get(label="Q2")
    url = seeded.get_absolute_url() + "?place=figure%3A2.1"
    page(client, url)
    writes.answer(
        question, author=Participant.objects.get(name="선민"), body="Figure 2.1 다시 보니", user=None
    )
    assert "Figure 2.1 다시 보니" in page(client, url)


# Finer invalidation of the lists: home by the threads of the papers it shows, a topic's and a
# participant's page by their own generations (discussions.generation)

LIST_WRITES = [
    "answer",
    "reply",
    "ask",
    "edit answer",
    "edit question",
    "fill",
    "claim",
    "unclaim",
    "remove answer",
    "remove question",
    "topics",
    "session title",
    "session date",
]


@pytest.mark.parametrize("write", LIST_WRITES)
def test_every_write_shows_on_the_next_read_of_the_lists_that_show_it(client, personas, write):
    import datetime

    paper = Paper.objects.get()
    person = {name: Participant.objects.get(name=name) for name in ["소연", "선민", "쯔위", "민상"]}
    reasoning = Question.objects.get(label="Q5")  # 민상's, answered by 선민, about reasoning
    few_shot = Question.objects.get(label="Q9", author__name="선민")  # 쯔위's answer still open
    home, topic = "/", Topic.objects.get(name="reasoning").get_absolute_url()
    marker = f"목록에 보일 글 {write}"
    # Each write, and the pages that must show it: with the marker, or (None) otherwise changed.
    if write == "unclaim":
        slot, _ = writes.claim(reasoning, member=person["소연"], user=None)
    expected = {
        "answer": {home: None, topic: None, person["소연"].get_absolute_url(): marker},
        "reply": {home: None, topic: None, person["소연"].get_absolute_url(): marker},
        "ask": {home: None, person["소연"].get_absolute_url(): marker},
        "edit answer": {person["선민"].get_absolute_url(): marker},
        "edit question": {
            Topic.objects.get(name="few-shot").get_absolute_url(): marker,
            person["선민"].get_absolute_url(): marker,
            person["쯔위"].get_absolute_url(): marker,  # her open answer quotes it
        },
        "fill": {
            home: None,
            Topic.objects.get(name="few-shot").get_absolute_url(): None,
            person["쯔위"].get_absolute_url(): marker,
        },
        "claim": {home: None, topic: None, person["소연"].get_absolute_url(): None},
        "unclaim": {home: None, topic: None, person["소연"].get_absolute_url(): None},
        "remove answer": {home: None, topic: None, person["선민"].get_absolute_url(): None},
        "remove question": {
            home: None,
            topic: None,
            person["민상"].get_absolute_url(): None,
            person["선민"].get_absolute_url(): None,
        },
        "topics": {topic: None, Topic.objects.get(name="bias").get_absolute_url(): None},
        "session title": {home: marker, topic: marker, person["민상"].get_absolute_url(): marker},
        "session date": {home: None},
    }[write]
    before = {url: page(client, url) for url in expected}
    a5 = reasoning.answers.get(author=person["선민"])
    if write == "answer":
        writes.answer(reasoning, author=person["소연"], body=marker, user=None)
    elif write == "reply":
        writes.answer(reasoning, author=person["소연"], body=marker, user=None, parent=a5)
    elif write == "ask":
        writes.ask(paper, author=person["소연"], body=marker, user=None)
    elif write == "edit answer":
        writes.save_text(a5, marker, expected_version=a5.version, user=None)
    elif write == "edit question":
        writes.save_text(few_shot, marker, expected_version=few_shot.version, user=None)
    elif write == "fill":
        slot = few_shot.answers.get()
        writes.fill(slot, marker, expected_version=slot.version, user=personas["alice"])
    elif write == "claim":
        writes.claim(reasoning, member=person["소연"], user=None)
    elif write == "unclaim":
        writes.unclaim(slot, user=None)
    elif write == "remove answer":
        writes.remove(a5, expected_version=a5.version, user=None)
    elif write == "remove question":
        writes.remove(reasoning, expected_version=reasoning.version, user=None)
    elif write == "topics":
        writes.set_topics(reasoning, ["bias"], user=None, by_hand=True)
    elif write == "session title":
        writes.update_session(paper, expected_version=paper.version, user=None, title=marker)
    else:
        day = datetime.date(2031, 5, 17)
        writes.update_session(paper, expected_version=paper.version, user=None, session_date=day)
    for url, shows in expected.items():
        after = page(client, url)
        assert after != before[url], url
        if shows:
            assert shows not in before[url] and shows in after, url


def test_a_write_in_a_paper_not_on_the_home_page_keeps_it_cached(
    client, seeded, make_paper, django_assert_num_queries
):
    from discussions.views import PAPERS_PER_PAGE

    for i in range(PAPERS_PER_PAGE):
        make_paper(questions=1, answers=1, title=f"Paper {i}")
    last = Paper.objects.newest_first()[PAPERS_PER_PAGE]
    first_page, second_page = page(client, "/"), page(client, "/?page=2")
    assert last.title not in first_page and last.title in second_page
    question = last.questions.order_by("position").first()
    writes.answer(question, author=Participant.objects.get(name="회원1"), body="둘째 쪽에만", user=None)
    with django_assert_num_queries(1):  # the key: its papers' generations; the page from the cache
        assert page(client, "/") == first_page
    assert page(client, "/?page=2") != second_page  # its answers counted anew
    # A write in a paper it shows, and a paper moved onto it, are on it at the next read.
    newest = Paper.objects.newest_first().first()
    writes.answer(newest.questions.first(), author=None, body="첫 쪽에", user=None)
    assert page(client, "/") != first_page
    writes.remove(question, expected_version=question.version, user=None)
    assert last.title not in page(client, "/")
    writes.admin_delete(newest, user=None)
    assert last.title in page(client, "/")


def test_the_home_pages_key_names_the_papers_it_shows(client, seeded, make_paper, session):
    import datetime

    from django.utils import timezone

    from discussions import generation
    from discussions.views import PAPERS_PER_PAGE, UPCOMING_ON_HOME

    made = [make_paper(questions=1, answers=1, title=f"Paper {i}") for i in range(PAPERS_PER_PAGE + 3)]
    for days, paper in zip([-3, 5, 0, -400], made, strict=False):  # past, coming, today's, long ago
        day = timezone.localdate() + datetime.timedelta(days=days)
        writes.update_session(paper, expected_version=paper.version, user=None, session_date=day)
    writes.propose(proposer=Participant.objects.get(name="소연"), title="Undated proposal", user=None)
    for number in (1, 2):
        context = client.get(f"/?page={number}").context
        shown = sorted({paper.pk for paper in [*context["papers"], *context["upcoming"]]})
        key = generation.of_home(number, PAPERS_PER_PAGE, timezone.localdate(), UPCOMING_ON_HOME)
        assert [int(part.split(":")[0]) for part in key.split(".")[1:]] == shown
        assert len(context["upcoming"]) == (4 if number == 1 else 0)  # with the fixture's session


@pytest.mark.parametrize("number", ["0", "-1", "9", "x", "1" + "0" * 30])
def test_a_home_page_past_the_last_or_not_a_number_is_never_stale(client, seeded, number):
    before = page(client, f"/?page={number}")
    writes.answer(seeded.questions.first(), author=None, body="새 답", user=None)
    assert page(client, f"/?page={number}") != before


def test_a_write_elsewhere_keeps_topic_and_participant_pages_cached(
    client, seeded, make_paper, django_assert_num_queries
):
    other = make_paper(questions=2, answers=2, title="Another paper")
    urls = [
        Topic.objects.get(name="reasoning").get_absolute_url(),
        Participant.objects.get(name="선민").get_absolute_url(),
    ]
    pages = [page(client, url) for url in urls]
    question = other.questions.first()
    writes.answer(question, author=Participant.objects.get(name="회원1"), body="다른 논문에", user=None)
    writes.set_topics(question, ["efficiency"], user=None, by_hand=True)
    for url, before in zip(urls, pages, strict=True):
        with django_assert_num_queries(1):  # its own generation and the structure's: no render
            assert page(client, url) == before


def test_a_new_answer_leaves_the_pages_of_the_threads_other_writers_cached(
    client, seeded, django_assert_num_queries
):
    question = Question.objects.get(label="Q5")  # 민상's, answered by 선민
    urls = [Participant.objects.get(name=name).get_absolute_url() for name in ["선민", "민상"]]
    pages = [page(client, url) for url in urls]
    writes.answer(question, author=Participant.objects.get(name="소연"), body="세 번째 사람", user=None)
    for url, before in zip(urls, pages, strict=True):
        with django_assert_num_queries(1):  # neither lists the new answer: no render
            assert page(client, url) == before
    assert "세 번째 사람" in page(client, Participant.objects.get(name="소연").get_absolute_url())


def test_a_write_moves_the_pages_of_the_rows_it_changes_without_listing_them(
    client, seeded, django_assert_num_queries
):
    from discussions import generation
    from discussions.models import ListGeneration

    """A kind of write no page knows of (an answer re-signed for someone else) tells core only the
    row it changed: the pages of its author before and after, and of its question's topics, are
    rendered afresh, and a page it does not change stays cached."""
    question = Question.objects.get(label="Q5")  # 민상's, answered by 선민, about reasoning
    answer = question.answers.get(author__name="선민")
    before_author, after_author = Participant.objects.get(name="선민"), Participant.objects.get(name="소연")
    moved = [before_author.get_absolute_url(), after_author.get_absolute_url()]
    kept = Participant.objects.get(name="민상").get_absolute_url()
    pages = {url: page(client, url) for url in [*moved, kept]}
    topic_key = generation.of_list(ListGeneration.Kind.TOPIC, "reasoning")
    excerpt = answer.body[:20]
    assert excerpt in pages[moved[0]] and excerpt not in pages[moved[1]]
    with writes.archive_write(question.paper_id, question.pk) as write:
        assert write.update(answer, user=None, author=after_author)
    assert excerpt not in page(client, moved[0]) and excerpt in page(client, moved[1])
    # Its topic's page counts the question's answers by writer: keyed anew.
    assert generation.of_list(ListGeneration.Kind.TOPIC, "reasoning") != topic_key
    with django_assert_num_queries(1):  # its own generation and the structure's: no render
        assert page(client, kept) == pages[kept]


def test_a_row_outside_the_thread_a_write_started_in_moves_its_own_pages_too(client, seeded, make_paper):
    """The thread a write names at its start is its first lock; a row it changes in another paper
    still renders that paper's page and that question's block afresh."""
    other = make_paper(questions=2, answers=1, title="Another paper")
    url = other.get_absolute_url()
    assert "다른 논문에서 고친 답" not in page(client, url)
    answer = Answer.objects.filter(question__paper=other).exclude(body="").first()
    question = seeded.questions.get(label="Q2")
    with writes.archive_write(seeded.pk, question.pk) as write:
        assert write.update(
            answer, user=None, body="다른 논문에서 고친 답", body_html="<p>다른 논문에서 고친 답</p>"
        )
    assert "다른 논문에서 고친 답" in page(client, url)
