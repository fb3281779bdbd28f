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
    # The sessions' papers, by their files' paths (one query for all); per summary PDF whether it
    # is attached; the README's names (aliases, participants), before the files and after. No
    # write, no transaction.
    with django_assert_max_num_queries(1 + 1 + 2 + 2) as captured:
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


# --- A history as messy as the group's (issue 23): files followed by lineage, posts by text -------

FOURTH = datetime.datetime(2024, 3, 22, 20, 0, tzinfo=KST)

GPT3_SIGNED = """논문 URL : [https://arxiv.org/abs/2005.14165](https://arxiv.org/abs/2005.14165)

## 토론

Q1 (정훈). GPT-3는 왜 few-shot에서만 잘 되나요? 모델 크기와 관련이 있을까요?

A1 (소연). 모델이 커질수록 in-context learning 능력이 생기는 것 같습니다.

A2 (민상). 저는 데이터의 다양성이 더 중요하다고 생각합니다.

Q2 (민상). Table 3의 결과가 이상하지 않나요? 번역 성능이 너무 낮게 나왔어요.

A1 (정훈). 영어 위주의 학습 데이터 때문일 것 같아요.
"""

# The restyle: unsigned, answers renumbered; and 민상's first answer taken out on the way.
GPT3_UNSIGNED = """## 논문
- 제목 : Language Models are Few-Shot Learners
- 원본 : [https://arxiv.org/abs/2005.14165](https://arxiv.org/abs/2005.14165)

## 토론
- Q1. GPT-3는 왜 few-shot에서만 잘 되나요? 모델 크기와 관련이 있을까요?
>- A1-1. 모델이 커질수록 in-context learning 능력이 생기는 것 같습니다.

- Q2. Table 3의 결과가 이상하지 않나요? 번역 성능이 너무 낮게 나왔어요.
>- A2-1. 영어 위주의 학습 데이터 때문일 것 같아요.
"""

RELATION = """## 논문
- 제목 : Relation Classification as Two-way Span-Prediction
- 원본 : [https://arxiv.org/abs/2010.04829](https://arxiv.org/abs/2010.04829)

## 토론
- Q1. span prediction으로 바꾸면 왜 성능이 오르나요?
>- A1-1. 두 방향으로 예측해서 정보를 더 쓰는 것 같습니다.
"""

FAIRNESS = """## 논문
- 제목 : Counterfactual Fairness
- 원본 : [{url}]({url})

## 토론
- Q1. counterfactual로 공정성을 정의하면 무엇이 달라지나요?
"""


@pytest.fixture
def messy(tmp_path):
    """A season whose history holds every case of issue 23 the replay must survive."""
    root = tmp_path / "papers"
    season = root / "season2"
    season.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (season / "2. Language Models are Few-Shot Learners.md").write_text(GPT3_SIGNED)
    (season / "4. Counterfactual Fairness.md").write_text("")  # created empty, filled later
    commit(root, FIRST, "GPT-3; Counterfactual Fairness to come")

    # A new session begun as a copy of the GPT-3 file, its URL and all; a link the rules refuse.
    (season / "3. Relation Classification as Two-way Span-Prediction.md").write_text(GPT3_SIGNED)
    (season / "4. Counterfactual Fairness.md").write_text(FAIRNESS.format(url="javascript:alert(1)"))
    commit(root, SECOND, "Relation Classification, from the GPT-3 file")

    (season / "2. Language Models are Few-Shot Learners.md").write_text(GPT3_UNSIGNED)
    (season / "3. Relation Classification as Two-way Span-Prediction.md").write_text(RELATION)
    (season / "4. Counterfactual Fairness.md").write_text(
        FAIRNESS.format(url="https://arxiv.org/abs/1703.06856")
    )
    commit(root, THIRD, "The new house style; Relation Classification's own text; the link fixed")

    (season / "2. Language Models are Few-Shot Learners.md").write_text(
        GPT3_UNSIGNED + ">- A2-2. 나중에 덧붙인 답입니다.\n"
    )
    commit(root, FOURTH, "A late answer")
    return season


def test_historical_versions_that_cannot_be_read_are_skipped_with_a_warning(db, messy):
    out, err = run(messy)  # not refused: only the newest versions are held to the rules

    assert not err
    assert re.search(r"[0-9a-f]{7}:season2/4\. Counterfactual Fairness\.md:1: the file is empty", out)
    assert re.search(r"[0-9a-f]{7}:season2/4\. Counterfactual Fairness\.md:3: the link scheme", out)
    fairness = Paper.objects.get(arxiv_id="1703.06856")
    assert fairness.created_at == FIRST.replace(day=15)  # its first readable version, THIRD
    assert fairness.questions.count() == 1


def test_a_file_begun_as_a_copy_of_another_is_its_own_paper(db, messy, client):
    run(messy)

    assert sorted(Paper.objects.values_list("slug", "session_number")) == [
        ("counterfactual-fairness", 4),
        ("language-models-are-few-shot-learners", 2),
        ("relation-classification-as-two-way-span-prediction", 3),
    ]
    gpt3 = Paper.objects.get(slug="language-models-are-few-shot-learners")
    assert gpt3.title == "Language Models are Few-Shot Learners"
    assert gpt3.arxiv_id == "2005.14165"
    assert gpt3.source_path == "season2/2. Language Models are Few-Shot Learners.md"
    page = client.get(gpt3.get_absolute_url()).content.decode()
    assert "Relation Classification" not in page and "span prediction" not in page
    # Its questions' histories hold its own texts only.
    for question in gpt3.questions.all():
        assert all("span" not in version.body for version in question.history.all())

    relation = Paper.objects.get(slug="relation-classification-as-two-way-span-prediction")
    assert relation.arxiv_id == "2010.04829"
    assert relation.created_at == SECOND
    assert [q.body for q in relation.questions.all()] == ["span prediction으로 바꾸면 왜 성능이 오르나요?"]


def test_a_second_run_over_the_messy_history_writes_nothing(db, messy, django_assert_max_num_queries):
    run(messy)
    before, generation_before = counts(), generation.current()
    with django_assert_max_num_queries(10) as captured:
        out, _err = run(messy)
    assert not [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SELECT")]
    assert counts() == before
    assert generation.current() == generation_before
    assert not Paper.objects.filter(slug__endswith="-2").exists()
    assert "2. Language Models are Few-Shot Learners: unchanged" in out


def test_a_restyle_keeps_each_post_its_author_date_and_history(db, messy, client):
    run(messy)
    gpt3 = Paper.objects.get(arxiv_id="2005.14165")
    q1, q2 = gpt3.questions.order_by("position")
    assert (q1.label, q1.author.name, q1.created_at) == ("Q1", "정훈", FIRST)
    assert (q2.label, q2.author.name, q2.created_at) == ("Q2", "민상", FIRST)
    answer = q1.answers.get()
    assert (answer.label, answer.author.name, answer.created_at) == ("A1-1", "소연", FIRST)
    # One version when it was written, one when the restyle renumbered it: dated by the commits.
    assert [(v.history_date, v.label) for v in answer.history.order_by("history_date")] == [
        (FIRST, "A1"),
        (THIRD, "A1-1"),
    ]
    late = q2.answers.get(label="A2-2")
    assert (late.author, late.created_at) == (None, FOURTH)
    assert q2.answers.get(label="A2-1").author.name == "정훈"

    # 민상's answer the restyle took out: its removal is dated by that commit, not the import's day.
    removed = Answer.history.filter(history_type="-", body__startswith="저는 데이터의 다양성")
    assert [record.history_date for record in removed.filter(question_id=q1.pk)] == [THIRD]
    assert not Answer.history.filter(history_date__gt=FOURTH).exists()
    assert not Question.history.filter(history_date__gt=FOURTH).exists()

    soyeon = Participant.objects.get(name="소연")
    page = client.get(soyeon.get_absolute_url()).content.decode()
    assert "in-context learning 능력이 생기는 것 같습니다" in page


def test_past_sessions_are_dated_from_their_history(db, messy, client, admin_client):
    run(messy)
    dates = {
        paper.session_number: (paper.session_date, paper.date_from_history) for paper in Paper.objects.all()
    }
    assert dates == {
        2: (FIRST.date(), True),
        3: (SECOND.date(), True),
        4: (THIRD.date(), True),  # the commit that filled it, the first version that reads
    }
    gpt3 = Paper.objects.get(arxiv_id="2005.14165")
    page = client.get(gpt3.get_absolute_url()).content.decode()
    assert re.search(r"Past session|지난", page)
    assert "date from the repository&#x27;s history" in page or "저장소 기록에서 가져온 날짜" in page
    # Newest first, as the home page lists them: the order of their numbers.
    assert [p.session_number for p in Paper.objects.newest_first()] == [4, 3, 2]


def test_staff_setting_the_date_clears_the_history_flag_and_a_new_version_keeps_it(db, messy):
    from discussions import writes

    run(messy)
    gpt3 = Paper.objects.get(arxiv_id="2005.14165")
    corrected = datetime.date(2024, 2, 29)
    writes.update_session(gpt3, expected_version=gpt3.version, user=None, session_date=corrected)
    gpt3.refresh_from_db()
    assert (gpt3.session_date, gpt3.date_from_history) == (corrected, False)

    path = messy / "2. Language Models are Few-Shot Learners.md"
    path.write_text(path.read_text() + ">- A2-3. 커밋 전의 답입니다.\n")
    run(messy)
    gpt3.refresh_from_db()
    assert (gpt3.session_date, gpt3.date_from_history) == (corrected, False)


def test_a_restyle_committed_after_an_import_keeps_the_rows_and_dates_the_change(db, tmp_path):
    root = tmp_path / "papers"
    season = root / "season2"
    season.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    path = season / "2. Language Models are Few-Shot Learners.md"
    path.write_text(GPT3_SIGNED)
    commit(root, FIRST, "GPT-3")
    run(season)
    rows = {
        (type(p).__name__, p.body): (p.pk, p.author_id)
        for p in [*Question.objects.all(), *Answer.objects.all()]
    }

    path.write_text(GPT3_UNSIGNED)
    commit(root, THIRD, "The new house style")
    out, _err = run(season)

    assert "updated with 1 version(s)" in out
    after = {
        (type(p).__name__, p.body): (p.pk, p.author_id)
        for p in [*Question.objects.all(), *Answer.objects.all()]
    }
    assert after == {key: value for key, value in rows.items() if not key[1].startswith("저는 데이터")}
    answer = Answer.objects.get(label="A1-1")
    assert [(v.history_date, v.label) for v in answer.history.order_by("history_date")] == [
        (FIRST, "A1"),
        (THIRD, "A1-1"),
    ]
    assert list(Answer.history.filter(history_type="-").values_list("history_date", flat=True)) == [THIRD]


REPLIES = """## 토론
Q1 (정훈). 답글이 달린 질문입니다, 길게 이어집니다.

A1 (소연). 첫 번째 답입니다, 여기에 답글이 달립니다.

↳ A1 (지성). 공감합니다, 저도 그렇게 생각했어요.

↳↳ A1 (소연). 감사합니다, 다음에 더 이야기해요!

Q2 (민상). 나중에 지워질 질문입니다, 답도 함께요.

A1 (정훈). 지워질 질문의 답입니다.
"""


def test_replies_and_a_removed_question_with_its_answer_keep_their_history(db, tmp_path):
    root = tmp_path / "papers"
    season = root / "season2"
    season.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    path = season / "1. Replies.md"
    path.write_text(REPLIES)
    commit(root, FIRST, "replies")
    restyled = REPLIES.split("Q2 (민상)")[0].replace("↳ A1 (지성). 공감합니다", "↳ A1-1. 공감합니다")
    path.write_text(restyled.replace("감사합니다, 다음에", "고맙습니다, 다음에"))
    commit(root, SECOND, "the second question out, a reply edited")

    run(season)

    first = Answer.objects.get(parent=None)
    reply = first.replies.get()
    assert (reply.label, reply.author.name, reply.created_at) == ("A1-1", "지성", FIRST)
    deeper = reply.replies.get()
    assert [v.body for v in deeper.history.order_by("history_date")] == [
        "감사합니다, 다음에 더 이야기해요!",
        "고맙습니다, 다음에 더 이야기해요!",
    ]
    assert deeper.version == 2
    gone = Question.history.filter(history_type="-").values_list("body", "history_date")
    assert list(gone) == [("나중에 지워질 질문입니다, 답도 함께요.", SECOND)]
    assert Answer.history.filter(history_type="-").values_list("history_date", flat=True).get() == SECOND
    assert Question.objects.count() == 1 and Answer.objects.count() == 3
    before = counts()
    run(season)
    assert counts() == before


def test_two_new_files_of_one_title_make_two_papers_with_two_slugs(db, tmp_path):
    root = tmp_path / "papers"
    season = root / "season2"
    season.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    for number in (1, 2):
        text = OLD_STYLE.replace("2101.00001", f"2101.0000{number}").format(answer="처음 답입니다.")
        (season / f"{number}. Same Title.md").write_text(text)
    commit(root, FIRST, "two sessions of one title")
    for number in (1, 2):
        path = season / f"{number}. Same Title.md"
        path.write_text(path.read_text().replace("처음 답입니다.", "고친 답입니다."))
    commit(root, SECOND, "both answers edited")

    run(season)
    slugs = sorted(Paper.objects.values_list("slug", flat=True))
    assert len(set(slugs)) == 2 and all(slug.startswith("same-title") for slug in slugs)
    before = counts()
    run(season)
    assert counts() == before


def test_staff_setting_the_date_in_the_admin_clears_the_history_flag(db, admin_user):
    from discussions import writes

    paper = Paper.objects.create(title="Dated", session_date=FIRST.date(), date_from_history=True)
    paper.session_date = SECOND.date()
    # As the admin's save_model calls it, with the form's changed fields.
    writes.admin_save(paper, user=admin_user, created=False, changed_fields=["session_date"])
    paper.refresh_from_db()
    assert (paper.session_date, paper.date_from_history) == (SECOND.date(), False)


def test_a_paper_imported_from_its_newest_file_first_is_adopted_with_its_rows(db, messy, tmp_path):
    newest = tmp_path / "gpt3.md"
    newest.write_bytes((messy / "2. Language Models are Few-Shot Learners.md").read_bytes())
    call_command("import_discussion", str(newest), stdout=StringIO())
    gpt3 = Paper.objects.get(arxiv_id="2005.14165")
    posts = {(type(p).__name__, p.body): p.pk for p in [*Question.objects.all(), *Answer.objects.all()]}

    run(messy)

    gpt3.refresh_from_db()
    assert gpt3.source_path == "season2/2. Language Models are Few-Shot Learners.md"
    assert (gpt3.session_date, gpt3.date_from_history) == (FIRST.date(), True)
    # The same rows, now keyed by their lineage: nothing removed, nothing added.
    mine = [*Question.objects.filter(paper=gpt3), *Answer.objects.filter(question__paper=gpt3)]
    assert {(type(p).__name__, p.body): p.pk for p in mine} == posts
    assert Answer.objects.get(question__paper=gpt3, label="A1-1").import_key == "A1|소연|1"
    assert Paper.objects.count() == 3
    before = counts()
    run(messy)
    assert counts() == before


def test_a_new_papers_past_costs_a_few_queries_a_version_not_an_import_each(db, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def history_of(name, number, versions):
        root = tmp_path / name
        season = root / "season2"
        season.mkdir(parents=True)
        git(root, "init", "-q", "-b", "main")
        text = OLD_STYLE.replace("2101.00001", f"2101.0000{number}").format(answer="첫 답입니다.")
        for version in range(versions):
            text += f"\nA{version + 2} (소연). {version}번째 커밋에서 덧붙인 답입니다, 조금 길게 씁니다.\n"
            (season / f"{number}. Paper {name}.md").write_text(text)
            commit(root, FIRST + datetime.timedelta(days=version), f"version {version}")
        return season

    short, long = history_of("short", 1, 2), history_of("long", 2, 12)
    run(short)  # the archive's first import (its indexes, its participants) out of the way
    Paper.objects.all().delete()
    with CaptureQueriesContext(connection) as two:
        run(short)
    with CaptureQueriesContext(connection) as twelve:
        run(long)
    # Ten more versions: per version its posts' creation and change dates (one UPDATE per
    # commit date and table), not an import of 38 queries.
    assert len(twelve) - len(two) <= 3 * 10
    assert Answer.objects.filter(question__paper__arxiv_id="2101.00002").count() == 13


def test_a_session_filled_before_the_one_numbered_before_it_is_dated_after_it(db, tmp_path):
    root = tmp_path / "papers"
    season = root / "season2"
    season.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (season / "2. Later Number.md").write_text(
        OLD_STYLE.replace("2101.00001", "2101.00002").format(answer="답")
    )
    commit(root, FIRST, "session 2 prepared ahead")
    (season / "1. Earlier Number.md").write_text(OLD_STYLE.format(answer="답"))
    commit(root, SECOND, "session 1")

    run(season)

    assert [(p.session_number, p.session_date) for p in Paper.objects.newest_first()] == [
        (2, SECOND.date()),
        (1, SECOND.date()),
    ]


def test_a_dry_run_over_the_messy_history_writes_nothing(db, messy, media):
    out, _err = run(messy, "--dry-run")
    assert "(dry run) 2. Language Models are Few-Shot Learners: created from 3 version(s)" in out
    assert counts() == dict.fromkeys(counts(), 0)
