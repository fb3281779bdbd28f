"""The benchmark's parts that can be checked fast: the synthetic archive at its tiny size, and how
bench/run.py reads wrk's output and compares pages with the do-nothing view. Nothing here is timed."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from bench import run
from discussions.management.commands import make_synthetic_archive as synthetic
from discussions.models import Answer, Paper, Participant, Question, TaggedQuestion, Topic

TINY = synthetic.SIZES["tiny"]


def build(seed=1):
    call_command("make_synthetic_archive", size="tiny", seed=seed, stdout=StringIO())


def fingerprint():
    """Everything the archive says, by natural keys (primary keys differ from one build to the next)."""
    return {
        "participants": list(
            Participant.objects.order_by("name").values_list("name", "full_name", "slug", "user__username")
        ),
        "topics": list(Topic.objects.order_by("name").values_list("name", "slug", "description")),
        "papers": list(
            Paper.objects.order_by("slug").values_list(
                "slug", "title", "url", "session_date", "presenter__name", "description", "created_at"
            )
        ),
        "questions": list(
            Question.objects.order_by("paper__slug", "position").values_list(
                "paper__slug", "position", "label", "author__name", "body", "topic_names", "import_key"
            )
        ),
        "answers": list(
            Answer.objects.order_by("question__paper__slug", "question__position", "position").values_list(
                "question__paper__slug",
                "question__position",
                "position",
                "label",
                "author__name",
                "body",
                "parent__position",
                "import_key",
                "created_at",
            )
        ),
        "tags": list(
            TaggedQuestion.objects.order_by(
                "content_object__paper__slug", "content_object__position", "tag__name"
            ).values_list("content_object__paper__slug", "content_object__position", "tag__name")
        ),
    }


def empty_the_archive():
    Paper.objects.all().delete()
    Participant.objects.all().delete()
    Topic.objects.all().delete()
    get_user_model().objects.all().delete()


# --- The synthetic archive ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_builds_the_sizes_counts():
    build()
    assert Paper.objects.count() == TINY.papers
    assert Question.objects.count() == TINY.questions
    assert Answer.objects.count() == TINY.answers
    assert Participant.objects.count() == TINY.participants + 1  # and the bench member
    assert Topic.objects.count() == TINY.topics
    assert Paper.objects.order_by("session_date").first().questions.count() == TINY.big_paper_questions


@pytest.mark.django_db
def test_a_tenth_of_the_answers_are_open_and_some_are_replies():
    build()
    assert Answer.objects.open().count() == TINY.answers // 10
    assert not Answer.objects.open().filter(parent__isnull=False).exists()
    replies = Answer.objects.filter(parent__isnull=False).select_related("parent")
    assert replies.exists()
    for reply in replies:
        assert reply.question_id == reply.parent.question_id
        assert reply.label == reply.parent.label
        assert reply.parent.body  # nobody replies to an answer not written yet


@pytest.mark.django_db
def test_posts_read_like_imported_ones():
    build()
    for question in Question.objects.all():
        assert question.label == f"Q{question.position}"
        assert question.body and question.body_html
        assert question.topic_names == ", ".join(sorted(question.tags.names(), key=str.casefold))
    for answer in Answer.objects.filled():
        assert answer.body_html.startswith("<")
    positions = list(Answer.objects.values_list("question", "position"))
    assert len(positions) == len(set(positions))
    assert all(paper.participants.exists() and paper.references.exists() for paper in Paper.objects.all())


@pytest.mark.django_db
def test_every_question_and_description_is_written_for_its_own_post():
    """Bodies shared between posts would flatter whatever keeps work per distinct text (the import
    renders each distinct text once)."""
    build()
    bodies = [
        *Question.objects.values_list("body", flat=True),
        *Paper.objects.values_list("description", flat=True),
    ]
    assert len(set(bodies)) == len(bodies) == TINY.questions + TINY.papers
    answers = list(Answer.objects.filled().values_list("body", flat=True))
    assert len(set(answers)) > 0.9 * len(answers)  # one-line answers may say the same thing


@pytest.mark.django_db
def test_papers_have_titles_and_arxiv_ids_of_their_own():
    build()
    papers = list(Paper.objects.values_list("title", "arxiv_id"))
    assert len({title for title, _ in papers}) == len({arxiv for _, arxiv in papers}) == TINY.papers


@pytest.mark.django_db
def test_the_bench_member_logs_in_and_owns_open_answers():
    build()
    # The login form passes its request; axes (login throttling) refuses to authenticate without one.
    request = RequestFactory().post("/accounts/login/")
    user = authenticate(request, username=synthetic.BENCH_USERNAME, password=synthetic.BENCH_PASSWORD)
    assert user is not None
    assert user.participant.name == synthetic.BENCH_PARTICIPANT
    assert Answer.objects.open().filter(author=user.participant).count() == TINY.bench_open


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_archive_and_another_seed_does_not():
    build(seed=7)
    first = fingerprint()
    empty_the_archive()
    build(seed=7)
    assert fingerprint() == first
    empty_the_archive()
    build(seed=8)
    assert fingerprint() != first


@pytest.mark.django_db
def test_it_refuses_an_archive_that_is_not_empty(seeded):
    with pytest.raises(CommandError, match="not empty"):
        build()


def test_the_benchmark_logs_in_as_the_member_the_archive_makes():
    assert (run.BENCH_USERNAME, run.BENCH_PASSWORD, run.BENCH_PARTICIPANT) == (
        synthetic.BENCH_USERNAME,
        synthetic.BENCH_PASSWORD,
        synthetic.BENCH_PARTICIPANT,
    )


# --- Reading wrk's results ------------------------------------------------------------------------------

# Captured from `wrk -t1 -c2 -d1s -s bench/report.lua` (wrk 4.1.0, Debian).
WRK_OUTPUT = """\
Running 1s test @ http://127.0.0.1:18765/
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     7.71ms   10.91ms  59.00ms   87.99%
    Req/Sec   435.90    237.34     0.95k    80.00%
  448 requests in 1.05s, 1.41MB read
Requests/sec:    426.45
Transfer/sec:      1.34MB
BENCH_RESULT {"requests": 448, "duration_us": 1050545, "bytes": 1481088, "exhausted": false, \
"errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0}, \
"latency_us": {"mean": 7706.9, "max": 58999, "p50": 2928, "p90": 22129, "p95": 33452, "p99": 53725}}
"""


def test_it_reads_wrks_result_line_in_milliseconds():
    result = run.parse_wrk(WRK_OUTPUT)
    assert result["requests"] == 448
    assert result["requests_per_s"] == pytest.approx(426.4, abs=0.1)  # what wrk itself printed
    assert (result["p50_ms"], result["p95_ms"], result["p99_ms"]) == (2.928, 33.452, 53.725)
    assert result["max_ms"] == 58.999
    assert result["bytes_per_response"] == 3306
    assert result["errors"]["status"] == 0
    assert result["exhausted"] is False


def test_it_says_so_when_wrk_printed_no_result():
    with pytest.raises(ValueError, match="no BENCH_RESULT"):
        run.parse_wrk("unable to connect to 127.0.0.1:1 Connection refused\n")


def test_a_page_is_compared_with_the_mean_of_the_do_nothing_runs_around_it():
    assert run.ratio_to_noop(30.0, 4.0, 6.0) == pytest.approx(6.0)
    assert run.ratio_to_noop(5.0, 5.0, 5.0) == pytest.approx(1.0)


def test_the_uncached_searches_are_all_different_and_url_encoded():
    paths = run.search_paths()
    assert len(paths) == len(set(paths)) > 1000
    assert paths[0] == "/search/?q=%EB%8D%B0%EC%9D%B4%ED%84%B0"  # 데이터
    assert all(path.startswith("/search/?q=") and " " not in path for path in paths)


def test_it_reads_a_workers_peak_memory_from_proc_status():
    status = "Name:\tgunicorn\nVmPeak:\t  300000 kB\nVmHWM:\t   81920 kB\nVmRSS:\t   70000 kB\n"
    assert run.vm_hwm_mb(status) == 80.0


def test_it_reads_a_workers_cpu_time_from_proc_stat_and_splits_it_in_percent():
    # The command may hold spaces and parentheses; utime and stime are the 14th and 15th fields.
    stat = "4242 (gunicorn: worker (x)) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 25 0 0 20 0 9 0"
    assert run.cpu_ticks(stat) == 175
    assert run.cpu_split([100, 200], [400, 300]) == [75, 25]
    assert run.cpu_split([5, 5], [5, 5]) == [0, 0]  # a row too short for a tick


def test_the_report_shows_how_a_rows_work_fell_to_the_workers():
    result = sample_result()
    result["pages"][0]["workers_cpu"] = [88, 12]
    report = run.format_report({**result, "targets": run.check_targets(result)})
    assert "| home | 426.4 | 2.9 | 10.0 | 53.7 | 2.90 / 2.90 | 2.0× | 3 | – | – | 88 / 12 |" in report


def sample_result(page_ratio=2.0, post_ratio=12.0, search_p95=150.0, import_seconds=30.0):
    def page(name, method, ratio, p95):
        measured = run.parse_wrk(WRK_OUTPUT)
        noop = {"p50_ms": 2.9}
        measured.update(
            name=name,
            method=method,
            ratio=ratio,
            p95_ms=p95,
            noop_p50_ms=2.9,
            noop_before=noop,
            noop_after=noop,
        )
        return measured

    return {
        "size": "full",
        "seed": 1,
        "started": "2026-11-28T00:00:00+00:00",
        "machine": {
            "cpus": 2,
            "cpu_model": "CPU",
            "memory_gib": 23.5,
            "postgresql": "15",
            "python": "3.11",
            "commit": "abc",
        },
        "plan": {"threads": 2, "connections": 8, "seconds": 10},
        "pages": [
            page("home", "GET", page_ratio, 10.0),
            page(f"search {run.SEARCH_TERM}", "GET", page_ratio, search_p95),
            page("fill an open answer (POST)", "POST", post_ratio, 40.0),
        ],
        "import": {
            "files": 1000,
            "seconds": import_seconds,
            "export_seconds": 5.0,
            "questions": 20_000,
            "answers": 100_000,
        },
        "workers_peak_mb": {"101": 90.0, "102": 160.0},
        "database_mb": 300.0,
        "rows": {"paper": 1001},
        "build_seconds": {"migrate": 3.0, "archive": 100.0},
        "total_seconds": 400.0,
        "load_average": {"before": "0.10 0.20 0.30", "after": "1.00 0.50 0.40"},
    }


def test_it_checks_each_target_of_the_issue():
    result = sample_result()
    met = {check["what"]: check["met"] for check in run.check_targets(result)}
    assert met == {
        "home: p50 × do-nothing": True,
        f"search {run.SEARCH_TERM}: p50 × do-nothing": True,
        f"search {run.SEARCH_TERM}: p95": False,  # 150 ms, over 100
        "fill an open answer (POST): p50 × do-nothing": False,  # 12×, over 10
        "import 1,000 files": True,
        "worker 101 peak memory": True,
        "worker 102 peak memory": False,
    }


def test_a_smaller_import_is_held_to_the_same_rate_per_post():
    result = sample_result(import_seconds=1.0)
    result["import"].update(files=10, questions=200, answers=1000)  # 1/100 of the posts: 0.6 s allowed
    (check,) = [check for check in run.check_targets(result) if check["what"].startswith("import")]
    assert check["target"] == "< 0.6 s"
    assert not check["met"]


def test_the_report_says_when_the_import_lost_rows():
    result = sample_result()
    result["import"].update(questions_in_files=20_000, answers_in_files=100_000)
    assert run.import_mismatch(result["import"]) == ""
    result["import"].update(questions=15_863)
    assert "the files hold 20,000 questions" in run.import_mismatch(result["import"])


def test_the_report_is_a_markdown_table_with_every_page():
    report = run.format_report({**sample_result(), "targets": run.check_targets(sample_result())})
    assert "| page | req/s | p50 ms | p95 ms | p99 ms |" in report
    assert "| home | 426.4 | 2.9 | 10.0 | 53.7 | 2.90 / 2.90 | 2.0× | 3 | – |" in report
    assert "| worker 102 peak memory | 160.0 MB | < 150 MB | **no** |" in report


def test_first_renders_after_a_write_and_reading_while_writing_are_checked_and_reported():
    result = sample_result()
    home = result["pages"][0]
    home["after_write_ms"] = 120.0
    big = {**home, "name": "paper with 200 questions", "after_write_ms": 120.0}
    result["pages"].insert(1, big)
    reading = {**home, "name": "reading while writing: home", "ratio": 2.5}
    never_done = {**home, "name": "reading while writing: open answers", "requests": 0, "ratio": 0.0}
    result["reading_while_writing"] = {
        "rows": [reading, never_done],
        "writes": 50,
        "papers": 40,
        "in_read_papers": 10,
        "p50_ms": 30.0,
        "failures": [],
        "stale": ["/papers/x/: answer 7 lacks “벤치 쓰기 3번”"],
    }
    met = {check["what"]: check["met"] for check in run.check_targets(result)}
    assert met["home: first request after a write"] is False  # 120 ms, over 100
    assert met["paper with 200 questions: first request after a write"] is True  # under 150
    assert met["reading while writing: home: p50 × do-nothing"] is True
    assert met["reading while writing: open answers: p50 × do-nothing"] is False  # nothing finished
    assert met["reading while writing: pages stale after 50 writes"] is False
    report = run.format_report({**result, "targets": run.check_targets(result)})
    assert "| home | 426.4 | 2.9 | 10.0 | 53.7 | 2.90 / 2.90 | 2.0× | 3 | – | 120.0 |" in report
    assert (
        "| readers of | req/s | p50 ms |" in report
        and "| home | 426.4 | 2.9 | 10.0 | 53.7 | 2.5× |" in report
    )
    assert "Stale pages after the writes: 1 (/papers/x/: answer 7 lacks “벤치 쓰기 3번”)" in report


def test_the_report_shows_the_history_replays_against_their_targets():
    result = sample_result()
    result["history"] = [
        {
            "files": 12,
            "commits": 120,
            "newest_seconds": 0.2,
            "history_seconds": 1.0,
            "again_seconds": 0.5,
            "history_ratio": 5.0,
            "again_ratio": 2.5,
            "rows": {"papers": 12, "questions": 116, "answers": 206},
        }
    ]
    checks = {check["what"]: check["met"] for check in run.check_targets(result)}
    assert checks["history of 12 files, 120 commits: first import × its newest files'"] is True
    assert checks["history of 12 files, 120 commits: a run that changes nothing × its newest files'"] is False
    report = run.format_report({**result, "targets": run.check_targets(result)})
    row = "| 12 files, 120 commits (116 questions, 206 answers) | 0.20 | 1.00 | 5.0× | 0.50 | 2.5× **no** |"
    assert row in report


def test_the_generated_history_has_the_seasons_shape_and_is_the_same_for_the_same_seed(tmp_path):
    import subprocess

    from discussions.management.commands.make_synthetic_history import make

    def log(root):
        command = ["git", "-C", str(root), "log", "--format=%H %s"]
        done = subprocess.run(command, capture_output=True, text=True)
        return done.stdout.splitlines()

    season = make(tmp_path / "one", files=12, commits=120, seed=1)
    commits = log(tmp_path / "one")
    assert len(commits) == 120
    assert len(list(season.glob("*.md"))) == 12
    assert sum("the new house style" in line for line in commits) >= 2  # the restyle, file by file
    texts = [path.read_text() for path in season.glob("*.md")]
    assert all("- Q1." in text for text in texts)  # every file ends in the unsigned style
    assert log(tmp_path / "one") == log(make(tmp_path / "two", files=12, commits=120, seed=1).parent)
