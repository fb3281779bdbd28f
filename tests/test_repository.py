"""`manage.py import_repository`: a season folder of the group's git repository, replayed commit
by commit, its figures and slides attached, its README's full names and order, imported again
without changing anything."""

import datetime
import io
import os
import re
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from fpdf import FPDF
from PIL import Image

from discussions import generation
from discussions.models import Answer, Attachment, Paper, Participant, Question

KST = datetime.timezone(datetime.timedelta(hours=9))
FIRST = datetime.datetime(2024, 3, 1, 20, 0, tzinfo=KST)
SECOND = datetime.datetime(2024, 3, 8, 20, 0, tzinfo=KST)
THIRD = datetime.datetime(2024, 3, 15, 20, 0, tzinfo=KST)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png(colour=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, "PNG")
    return out.getvalue()


def pdf():
    made = FPDF()
    made.set_font("helvetica", size=14)
    made.add_page()
    made.cell(text="Another Paper, the slides")
    return bytes(made.output())


# The older house style (the seed's): a URL line, signed posts with given names.
OLD_STYLE = """논문 URL : [https://arxiv.org/abs/2101.00001](https://arxiv.org/abs/2101.00001)

## 토론

Q1 (정훈). Figure 3을 보면 왜 이렇게 되나요?

![그림](img/3-1.png)

A1 (민상). {answer}
"""

# The later one: a header, full names, unsigned posts, a slides link into summary/.
LATER_STYLE = """## 논문
- 제목 : Another Paper
- 원본 : [https://arxiv.org/abs/2102.00002](https://arxiv.org/abs/2102.00002)
- 요약 : [PDF](summary/2.%20Another%20Paper.pdf)

## 참여자
이정훈, 남궁민상

## 토론
- Q1. 이 그림은요? <img src="https://github.com/group/papers/blob/main/season2/img/3-1.png">
>- A1. 그렇군요.
"""

README = """# 시즌 2

## 참여자
이정훈, 남궁민상, 김소연

## 논문 목록
1. Towards Some Paper
2. Another Paper
3. Third One
"""

THIRD_ONE = """## 논문
- 제목 : Third One
- 원본 : [https://arxiv.org/abs/2103.00003](https://arxiv.org/abs/2103.00003)

## 토론
Q1 (소연). 세 번째 논문의 질문입니다.
"""


def git(root, *args, when=None):
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_SYSTEM": os.devnull}
    if when is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = when.isoformat()
    subprocess.run(
        ["git", "-c", "user.name=Maintainer", "-c", "user.email=m@example.org", *args],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )


def commit(root, when, message):
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message, when=when)


@pytest.fixture
def repo(tmp_path):
    """A season folder in a git repository, three commits, as the group keeps it."""
    root = tmp_path / "papers"
    season = root / "season2"
    (season / "img").mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (season / "img" / "3-1.png").write_bytes(png())
    (season / "Towards Some Paper.md").write_text(OLD_STYLE.format(answer="처음 쓴 답입니다."))
    commit(root, FIRST, "Towards Some Paper")

    # Renamed with its number, the old copy left behind; the answer rewritten; a file without .md.
    (season / "1. Towards Some Paper.md").write_text(OLD_STYLE.format(answer="고쳐 쓴 답입니다."))
    (season / "2. Another Paper").write_text(LATER_STYLE)
    (season / "summary").mkdir()
    (season / "summary" / "2. Another Paper.pdf").write_bytes(pdf())
    commit(root, SECOND, "Another Paper, and the first one numbered")

    (season / "README.md").write_text(README)
    (season / "Third One.md").write_text(THIRD_ONE)
    commit(root, THIRD, "README, Third One")
    return season


def run(path, *options):
    out, err = StringIO(), StringIO()
    call_command("import_repository", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def counts():
    return {
        "papers": Paper.objects.count(),
        "questions": Question.objects.count(),
        "answers": Answer.objects.count(),
        "attachments": Attachment.objects.count(),
        "participants": Participant.objects.count(),
        "question history": Question.history.count(),
        "answer history": Answer.history.count(),
        "paper history": Paper.history.count(),
        "attachment history": Attachment.history.count(),
    }


def test_a_season_is_imported_with_its_numbers_full_names_figures_and_slides(db, repo, client):
    out, _err = run(repo)

    first = Paper.objects.get(arxiv_id="2101.00001")
    second = Paper.objects.get(arxiv_id="2102.00002")
    third = Paper.objects.get(arxiv_id="2103.00003")
    assert Paper.objects.count() == 3  # the unnumbered old copy is the numbered file's session
    assert (first.title, first.session_number) == ("Towards Some Paper", 1)
    assert (second.title, second.session_number) == ("Another Paper", 2)  # the file without .md
    assert third.session_number == 3  # unnumbered: its place in the README's list
    assert "Towards Some Paper.md: an older copy of “1. Towards Some Paper.md” (skipped)" in out
    assert "1. Towards Some Paper: created from 2 version(s), 1 figure(s)" in out

    assert Participant.objects.get(name="정훈").full_name == "이정훈"
    assert Participant.objects.get(name="민상").full_name == "남궁민상"
    assert Participant.objects.get(name="소연").full_name == "김소연"
    assert not Participant.objects.filter(name__in=["이정훈", "남궁민상", "김소연"]).exists()

    # One figure for both papers' links (relative and github.com/…/blob/…), stored and served.
    for paper in (first, second):
        figure = paper.attachments.get(kind=Attachment.Kind.IMAGE)
        body = paper.questions.get().body
        assert figure.get_absolute_url() in body
        assert "img/3-1.png" not in body
        response = client.get(figure.get_absolute_url())
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (40, 30)

    slides = second.attachments.get(kind=Attachment.Kind.SLIDES)
    assert slides.original_name == "summary/2. Another Paper.pdf"
    summary = second.references.get(kind="summary")
    assert summary.url == slides.get_absolute_url()  # not a broken relative link any more
    assert client.get(slides.get_absolute_url())["Content-Type"] == "application/pdf"

    page = client.get(first.get_absolute_url()).content.decode()
    assert re.search(r"1회차|Session 1\b", page)


def test_history_and_feeds_carry_the_commit_dates(db, repo, client):
    run(repo)
    first = Paper.objects.get(arxiv_id="2101.00001")
    question = first.questions.get()
    answer = Answer.objects.get(question=question)

    assert first.created_at == FIRST
    assert question.created_at == answer.created_at == FIRST
    assert [h.history_date for h in question.history.order_by("history_date")] == [FIRST]
    # Changed in the second commit: two versions, dated by the two commits.
    versions = list(answer.history.order_by("history_date"))
    assert [(v.history_date, v.body) for v in versions] == [
        (FIRST, "처음 쓴 답입니다."),
        (SECOND, "고쳐 쓴 답입니다."),
    ]
    assert answer.updated_at == SECOND
    second = Paper.objects.get(arxiv_id="2102.00002")
    assert second.questions.get().created_at == SECOND

    feed = client.get(reverse("discussions:feed")).content.decode()
    published = re.findall(r"<published>([^<]+)</published>", feed)
    updated = re.findall(r"<updated>([^<]+)</updated>", feed)
    assert published and all(date.startswith("2024-03-") for date in published)
    assert "2024-03-08T11:00:00+00:00" in updated  # the answer's change, in UTC
    assert max(updated) < "2025"  # nothing dated at the moment of import


def test_importing_again_changes_nothing(db, repo):
    run(repo)
    before, generation_before = counts(), generation.current()

    out, _err = run(repo)

    assert counts() == before
    assert generation.current() == generation_before
    assert "1. Towards Some Paper: unchanged" in out


def test_a_change_in_the_working_tree_is_the_newest_version_dated_now(db, repo):
    run(repo)
    path = repo / "1. Towards Some Paper.md"
    path.write_text(OLD_STYLE.format(answer="커밋하지 않은 답입니다."))

    out, _err = run(repo)

    answer = Answer.objects.get(question__paper__arxiv_id="2101.00001")
    assert answer.body == "커밋하지 않은 답입니다."
    latest = answer.history.order_by("-history_date").first()
    assert latest.history_date > THIRD + datetime.timedelta(days=365)
    assert answer.history.count() == 3
    assert "1. Towards Some Paper: updated with 1 version(s)" in out
    before = counts()
    run(repo)
    assert counts() == before


def test_a_folder_outside_git_is_imported_as_it_is(db, tmp_path):
    season = tmp_path / "season2"
    (season / "img").mkdir(parents=True)
    (season / "img" / "3-1.png").write_bytes(png())
    (season / "1. Towards Some Paper.md").write_text(OLD_STYLE.format(answer="답입니다."))
    (season / "README.md").write_text(README)

    out, _err = run(season)

    paper = Paper.objects.get()
    assert paper.session_number == 1
    assert paper.attachments.get(kind=Attachment.Kind.IMAGE).get_absolute_url() in paper.questions.get().body
    assert Participant.objects.get(name="민상").full_name == "남궁민상"
    assert "1 session(s) in the folder" in out
    before = counts()
    run(season)
    assert counts() == before


def test_a_dry_run_writes_nothing(db, repo, media):
    out, _err = run(repo, "--dry-run")
    assert "(dry run) 1. Towards Some Paper: created from 2 version(s)" in out
    assert Paper.objects.count() == Attachment.objects.count() == Participant.objects.count() == 0
    assert not media.exists() or not any(media.rglob("*.*"))


@pytest.mark.parametrize("make", ["missing", "file"])
def test_a_bad_path_is_a_clear_error(db, tmp_path, make):
    path = tmp_path / "season9"
    if make == "file":
        path.write_text("Q1. 질문")
    with pytest.raises(CommandError, match="no such folder" if make == "missing" else "not a folder"):
        run(path)


def test_a_refused_file_imports_nothing_unless_skipped(db, repo):
    (repo / "5. Broken.md").write_text("## 토론\nA1 (소연). 질문 없이 답부터\n")
    err = StringIO()
    with pytest.raises(CommandError, match="1 file version\\(s\\) refused; nothing was imported"):
        call_command("import_repository", str(repo), stdout=StringIO(), stderr=err)
    assert f"{repo}/5. Broken.md:2: answer A1 (소연) comes before any question" in err.getvalue()
    assert Paper.objects.count() == 0

    out, err = run(repo, "--skip-bad")
    assert Paper.objects.count() == 3
    assert "5. Broken.md:2:" in err
    assert "1 file version(s) refused and skipped" in out


def test_a_refused_figure_stays_as_written(db, repo):
    (repo / "img" / "3-1.png").write_bytes(b"not a png at all")
    out, _err = run(repo)
    assert re.search(r"season2/img/3-1\.png: img/3-1\.png.* \(left as it is\)", out)  # said in Korean
    assert "img/3-1.png" in Paper.objects.get(arxiv_id="2101.00001").questions.get().body
    assert not Attachment.objects.filter(kind=Attachment.Kind.IMAGE).exists()


def test_importing_again_only_looks(db, repo, django_assert_max_num_queries):
    run(repo)
    # Per session the paper looked up (arXiv id); per summary PDF whether it is attached; the
    # README's names (aliases, participants), before the files and after. No write, no transaction.
    with django_assert_max_num_queries(3 + 1 + 2 + 2) as captured:
        run(repo)
    assert not [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SELECT")]


def test_a_full_name_listed_before_anyone_signs_it_is_the_signer_not_a_second_person(db, tmp_path):
    root = tmp_path / "papers"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "README.md").write_text(README)
    (root / "2. Another Paper").write_text(LATER_STYLE.replace("이정훈, 남궁민상", "이정훈"))
    commit(root, FIRST, "Another Paper, listing 이정훈 before any file is signed 정훈")
    (root / "1. Towards Some Paper.md").write_text(OLD_STYLE.format(answer="답입니다."))
    commit(root, SECOND, "Towards Some Paper, signed 정훈 and 민상")
    run(root)
    junghoon = Participant.objects.get(name="정훈")
    assert junghoon.full_name == "이정훈"
    assert not Participant.objects.filter(name="이정훈").exists()
    assert set(Paper.objects.get(title="Another Paper").participants.all()) == {junghoon}
    assert Participant.objects.get(name="민상").full_name == "남궁민상"
