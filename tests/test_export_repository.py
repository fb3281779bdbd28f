"""`manage.py export_repository DIR`: the season folder written back in the group's layout. A
session nobody changed comes back byte for byte, a changed one differs only where it changed (in
its own house style), a session made in the app gets its file, README line and slides, and
import_repository over what was written changes nothing."""

import datetime
import difflib
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from discussions import attachments, generation, writes
from discussions.models import Answer, Attachment, Paper, Participant, Question, SourceFile
from tests.test_repository import FIRST, SECOND, THIRD, commit, counts, git, pdf, png

# The older house style, signed, with the seed's habits: `<br>` lines and blank lines between
# posts, a placeholder answer (`A7. 답변`), an open answer (`A9 (쯔위).`), CRLF line endings.
OLDER = (
    "논문 URL : [https://arxiv.org/abs/2101.00001](https://arxiv.org/abs/2101.00001)\r\n"
    "\r\n"
    "## 토론\r\n"
    "\r\n"
    "Q1 (정훈). Figure 3을 보면 왜 이렇게 되나요?\r\n"
    "\r\n"
    "![그림](img/3-1.png)\r\n"
    "<br>\r\n"
    "\r\n"
    "A1 (민상). 처음 쓴 답입니다.\r\n"
    "<br>\r\n"
    "\r\n"
    "A9 (쯔위).\r\n"
    "<br>\r\n"
    "\r\n"
    "Q7 (소연). 일곱 번째 질문입니다.\r\n"
    "A7. 답변\r\n"
    "<br><br>\r\n"
)

# The later one: a header, full names, unsigned posts dressed as lists and quotes; no `.md`.
LATER = """## 논문
- 제목 : Another Paper
- 원본 : [https://arxiv.org/abs/2102.00002](https://arxiv.org/abs/2102.00002)
- 요약 : [PDF](summary/2.%20Another%20Paper.pdf)

## 참여자
이정훈, 남궁민상, 김소연

## 토론
- Q1. 이 그림은요? <img src="https://github.com/group/papers/blob/main/season2/img/3-1.png">
>- A1-1. 그렇군요.
>- A1-2. 두 줄로
> 쓴 답입니다.

<br>

- Q2. 두 번째 질문입니다.
>- A2-1. 두 번째 답입니다.
"""

# Signed, in the older style again, and without a final line break.
THIRD_ONE = """논문 URL : [https://arxiv.org/abs/2103.00003](https://arxiv.org/abs/2103.00003)

## 토론
Q1 (소연). 세 번째 논문의 질문입니다.
A1 (정훈). 세 번째 논문의 답입니다."""

README = """# 시즌 2

## 참여자
이정훈, 남궁민상, 김소연, 쯔위

## 논문 목록
1. Towards Some Paper
2. Another Paper
3. Third One
"""

SESSION_FILES = ["1. Towards Some Paper.md", "2. Another Paper", "3. Third One.md", "README.md"]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "papers"
    season = root / "season2"
    (season / "img").mkdir(parents=True)
    (season / "summary").mkdir()
    git(root, "init", "-q", "-b", "main")
    (season / "img" / "3-1.png").write_bytes(png())
    (season / "1. Towards Some Paper.md").write_bytes(OLDER.encode())
    commit(root, FIRST, "Towards Some Paper")
    (season / "2. Another Paper").write_text(LATER)
    (season / "summary" / "2. Another Paper.pdf").write_bytes(pdf())
    commit(root, SECOND, "Another Paper")
    (season / "README.md").write_text(README)
    (season / "3. Third One.md").write_text(THIRD_ONE)
    commit(root, THIRD, "README, Third One")
    return season


def run(command, path, *options):
    out, err = StringIO(), StringIO()
    call_command(command, str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def files_of(folder):
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file() and ".git" not in path.parts
    }


def status(season):
    done = subprocess.run(
        ["git", "-C", str(season), "status", "--porcelain"], capture_output=True, check=True
    )
    return done.stdout.decode()


def changed_lines(before: bytes, after: bytes):
    """(removed, added) lines between two versions of a file."""
    diff = list(difflib.ndiff(before.decode().splitlines(), after.decode().splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def post(paper, label, model=Answer, **where):
    rows = model.objects.filter(**({"question__paper": paper} if model is Answer else {"paper": paper}))
    return rows.get(label=label, **where)


def test_an_import_then_an_export_gives_back_every_file_byte_for_byte(db, repo, tmp_path):
    run("import_repository", repo)

    out, _err = run("export_repository", tmp_path / "season2")

    exported = files_of(tmp_path / "season2")
    original = files_of(repo)
    for name in [*SESSION_FILES, "summary/2. Another Paper.pdf"]:
        assert exported[name] == original[name], name
    # The figure: the archive keeps its pixels re-encoded; the same pixels come back.
    figure = attachments.check_image(exported["img/3-1.png"], "x").sha256
    assert figure == attachments.check_image(original["img/3-1.png"], "x").sha256
    assert "season season2: " in out


def test_an_export_into_the_checkout_leaves_git_nothing_to_commit(db, repo):
    run("import_repository", repo)
    run("export_repository", repo)
    assert status(repo) == ""


def test_what_was_changed_in_the_app_and_only_that_is_written_in_each_files_style(db, repo, tmp_path):
    run("import_repository", repo)
    first = Paper.objects.get(arxiv_id="2101.00001")
    second = Paper.objects.get(arxiv_id="2102.00002")
    jiseong = Participant.objects.create(name="지성")

    # Later style: an answer edited, a new answer to Q1.
    edited = post(second, "A1-1")
    writes.save_text(edited, "고쳐 쓴 답입니다.\n둘째 줄입니다.", expected_version=edited.version, user=None)
    writes.answer(post(second, "Q1", Question), author=jiseong, body="새 답입니다.", user=None)
    # Older style: the open answer filled, a new question asked, an answer removed.
    waiting = post(first, "A9")
    writes.fill(waiting, "채운 답입니다.", expected_version=waiting.version, user=None)
    writes.ask(first, author=jiseong, body="새 질문입니다.", user=None)
    gone = post(first, "A1")
    writes.remove(gone, expected_version=gone.version, user=None)

    out, _err = run("export_repository", repo)

    after = files_of(repo)
    # What was written is the version the archive now holds, as an import of it would leave it.
    assert SourceFile.objects.get(paper=second).text.encode() == after["2. Another Paper"]
    before = {"1. Towards Some Paper.md": OLDER.encode(), "2. Another Paper": LATER.encode()}
    assert changed_lines(before["2. Another Paper"], after["2. Another Paper"]) == (
        [">- A1-1. 그렇군요."],
        [">- A1-1. 고쳐 쓴 답입니다.", "> 둘째 줄입니다.", ">- A1. 새 답입니다."],
    )
    assert "> 쓴 답입니다.\n>- A1. 새 답입니다.\n\n<br>\n\n- Q2." in after["2. Another Paper"].decode()
    assert changed_lines(before["1. Towards Some Paper.md"], after["1. Towards Some Paper.md"]) == (
        ["A1 (민상). 처음 쓴 답입니다.", "<br>", "", "A9 (쯔위)."],
        ["A9 (쯔위). 채운 답입니다.", "<br>", "", "Q8 (지성). 새 질문입니다."],
    )
    assert (
        after["1. Towards Some Paper.md"]
        .decode()
        .endswith(
            # After the last question's thread, in the file's own separators; the file's end stays its end.
            "A7. 답변\r\n<br>\r\n\r\nQ8 (지성). 새 질문입니다.\r\n<br><br>\r\n"
        )
    )
    assert after["3. Third One.md"] == THIRD_ONE.encode()
    assert "2. Another Paper: changed (1 edited, 1 added)" in out

    # Committed, the folder imported again: nothing changes, nothing is written.
    commit(repo.parent, THIRD, "From the app")
    before_counts, generation_before = counts(), generation.current()
    questions = list(Question.objects.values_list("pk", "import_key", "body"))
    run("import_repository", repo)
    assert counts() == before_counts
    assert generation.current() == generation_before
    assert list(Question.objects.values_list("pk", "import_key", "body")) == questions
    assert Question.objects.get(body="새 질문입니다.").import_key == "Q8|지성|1"  # a later version finds it

    # And a second export writes nothing new.
    run("export_repository", repo)
    assert status(repo) == ""


def test_importing_the_exported_folder_only_reads(db, repo, django_assert_max_num_queries):
    run("import_repository", repo)
    second = Paper.objects.get(arxiv_id="2102.00002")
    writes.answer(post(second, "Q2", Question), author=None, body="앱에서 쓴 답", user=None)
    run("export_repository", repo)
    commit(repo.parent, THIRD, "From the app")
    with django_assert_max_num_queries(12) as captured:
        run("import_repository", repo)
    assert not [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SELECT")]


def test_a_session_made_in_the_app_gets_its_file_readme_line_and_slides(db, repo):
    run("import_repository", repo)
    jiseong = Participant.objects.create(name="지성", full_name="김지성")
    paper, _ = writes.propose(
        proposer=jiseong, title="A New Session", url="https://arxiv.org/abs/2104.00004", user=None
    )
    writes.ask(paper, author=jiseong, body="새 세션의 질문입니다.", user=None)
    slides = attachments.check_pdf(pdf(), "slides.pdf")
    writes.attach(paper, slides, kind=Attachment.Kind.SLIDES, user=None)

    out, _err = run("export_repository", repo)

    text = (repo / "4. A New Session.md").read_text()
    # The newest file (Third One) is in the older style: signed posts; the header carries the URL.
    assert text.startswith("논문 URL : [https://arxiv.org/abs/2104.00004](https://arxiv.org/abs/2104.00004)")
    assert "- 요약 : [PDF](summary/4.%20A%20New%20Session.pdf)" in text
    assert text.endswith("## 토론\nQ1 (지성). 새 세션의 질문입니다.\n")
    assert (repo / "summary" / "4. A New Session.pdf").read_bytes() == slides.data
    readme = (repo / "README.md").read_text()
    assert readme == README + "4. A New Session\n"
    paper.refresh_from_db()
    assert paper.session_number == 4
    assert "4. A New Session.md: a new session" in out

    commit(repo.parent, THIRD, "A New Session, from the app")
    before_counts, generation_before = counts(), generation.current()
    run("import_repository", repo)
    assert counts() == before_counts
    assert generation.current() == generation_before
    run("export_repository", repo)
    assert status(repo) == ""


def test_a_figure_added_in_the_app_is_written_to_img_and_linked_relatively(db, repo):
    run("import_repository", repo)
    second = Paper.objects.get(arxiv_id="2102.00002")
    figure = attachments.check_image(png((10, 200, 10)), "screenshot.png")
    attachment, _ = writes.attach(second, figure, kind=Attachment.Kind.IMAGE, user=None)
    body = f"그림을 붙입니다.\n\n![figure]({attachment.get_absolute_url()})"
    writes.answer(post(second, "Q2", Question), author=None, body=body, user=None)

    run("export_repository", repo)

    text = (repo / "2. Another Paper").read_text()
    assert ">- A2. 그림을 붙입니다.\n>\n> ![figure](img/2-1.png)\n" in text
    assert (repo / "img" / "2-1.png").read_bytes() == figure.data
    assert "/attachments/" not in text


def test_a_file_changed_since_its_import_is_not_overwritten(db, repo):
    run("import_repository", repo)
    second = Paper.objects.get(arxiv_id="2102.00002")
    writes.answer(post(second, "Q2", Question), author=None, body="앱에서 쓴 답", user=None)
    (repo / "2. Another Paper").write_text(LATER + "- Q3. 깃허브에서 쓴 질문\n")

    with pytest.raises(CommandError, match="1 file\\(s\\) in the way; nothing was written"):
        run("export_repository", repo)
    assert (repo / "2. Another Paper").read_text().endswith("- Q3. 깃허브에서 쓴 질문\n")
    assert SourceFile.objects.get(paper=second).text == LATER


def test_an_unknown_season_is_a_clear_error(db, repo, tmp_path):
    run("import_repository", repo)
    with pytest.raises(CommandError, match="no season 'season9' was imported"):
        run("export_repository", tmp_path / "out", "--season", "season9")


def test_nothing_is_written_through_a_symbolic_link_out_of_the_folder(db, repo, tmp_path):
    run("import_repository", repo)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    target = tmp_path / "out" / "season2"
    target.mkdir(parents=True)
    (target / "img").symlink_to(outside, target_is_directory=True)

    with pytest.raises(CommandError, match="in the way; nothing was written"):
        run("export_repository", target)
    assert not any(outside.iterdir())
    assert not (target / "1. Towards Some Paper.md").exists()


def test_a_session_without_a_kept_file_is_left_out_and_said_so(db, repo, tmp_path):
    run("import_repository", repo)
    SourceFile.objects.filter(paper__arxiv_id="2103.00003").delete()  # as before the archive kept files
    out, _err = run("export_repository", tmp_path / "season2")
    assert "1 session(s) imported before the archive kept their files are left out" in out
    assert not (tmp_path / "season2" / "3. Third One.md").exists()
    assert (tmp_path / "season2" / "1. Towards Some Paper.md").read_bytes() == OLDER.encode()


def test_a_session_the_readme_lists_already_takes_its_number_and_line(db, repo):
    (repo / "README.md").write_text(README + "4. Planned Later\n5. A New Session\n")
    commit(repo.parent, THIRD, "README: the sessions planned")
    run("import_repository", repo)
    jiseong = Participant.objects.create(name="지성")
    paper, _ = writes.propose(proposer=jiseong, title="A New Session", user=None)
    writes.ask(paper, author=jiseong, body="질문입니다.", user=None)

    run("export_repository", repo)

    assert (repo / "5. A New Session.md").exists()
    assert status(repo) == '?? "season2/5. A New Session.md"\n'  # the README lists it already


def test_a_file_imported_on_its_own_stays_its_seasons(db, repo):
    run("import_repository", repo)
    call_command("import_discussion", str(repo / "3. Third One.md"), stdout=StringIO())
    source = SourceFile.objects.get(paper__arxiv_id="2103.00003")
    assert (source.season, source.path) == ("season2", "3. Third One.md")


def test_a_dry_run_says_what_it_would_write_and_writes_nothing(db, repo):
    run("import_repository", repo)
    second = Paper.objects.get(arxiv_id="2102.00002")
    writes.answer(post(second, "Q2", Question), author=None, body="앱에서 쓴 답", user=None)
    source = SourceFile.objects.get(paper=second)

    out, _err = run("export_repository", repo, "--dry-run")

    assert "(dry run) 2. Another Paper: changed (1 added)" in out
    assert status(repo) == ""
    assert SourceFile.objects.get(paper=second).text == source.text


def test_a_new_session_after_a_later_style_file_is_written_in_that_style(db, repo):
    (repo / "3. Third One.md").write_text(
        LATER.replace("Another Paper", "Third One").replace("2102.00002", "2103.00003")
    )
    commit(repo.parent, THIRD + datetime.timedelta(days=7), "Third One, restyled")
    run("import_repository", repo)
    jiseong = Participant.objects.create(name="지성", full_name="김지성")
    paper, _ = writes.propose(
        proposer=jiseong, title="Fourth", url="https://arxiv.org/abs/2104.00004", user=None
    )
    question, _ = writes.ask(paper, author=jiseong, body="질문입니다.\n둘째 줄", user=None)
    writes.answer(question, author=jiseong, body="답입니다.", user=None)

    run("export_repository", repo)

    assert (repo / "4. Fourth.md").read_text() == (
        "## 논문\n- 제목 : Fourth\n- 원본 : [https://arxiv.org/abs/2104.00004](https://arxiv.org/abs/2104.00004)\n"
        "- 발표 : 지성\n\n## 참여자\n김지성\n\n## 토론\n- Q1. 질문입니다.\n둘째 줄\n>- A1. 답입니다.\n"
    )


def test_a_plain_folder_exported_and_imported_again_changes_nothing(db, repo, tmp_path):
    run("import_repository", repo)
    second = Paper.objects.get(arxiv_id="2102.00002")
    writes.answer(post(second, "Q2", Question), author=None, body="앱에서 쓴 답", user=None)
    jiseong = Participant.objects.create(name="지성")
    paper, _ = writes.propose(proposer=jiseong, title="A New Session", user=None)
    writes.ask(paper, author=jiseong, body="질문입니다.", user=None)
    out_folder = tmp_path / "out" / "season2"  # not in git: imported as the folder it is
    run("export_repository", out_folder)

    before_counts, generation_before = counts(), generation.current()
    out, _err = run("import_repository", out_folder)
    assert counts() == before_counts
    assert generation.current() == generation_before
    assert "4 session(s) in the folder" in out


def test_import_discussion_keeps_the_file_of_a_seasons_session_only(db, repo, tmp_path):
    path = tmp_path / "Some Paper.md"
    path.write_bytes(OLDER.replace("2101.00001", "2109.00009").encode())
    call_command("import_discussion", str(path), stdout=StringIO())
    # In no season: no export writes it, so nothing is kept of it.
    assert not SourceFile.objects.filter(paper__arxiv_id="2109.00009").exists()
    run("import_repository", repo)
    (repo / "1. Towards Some Paper.md").write_bytes(OLDER.encode())
    call_command("import_discussion", str(repo / "1. Towards Some Paper.md"), stdout=StringIO())
    source = SourceFile.objects.get(paper__arxiv_id="2101.00001")
    assert (source.season, source.path, source.text) == ("season2", "1. Towards Some Paper.md", OLDER)
    assert [(span["label"], span["start"], span["end"]) for span in source.spans] == [
        ("Q1", 5, 7),
        ("A1", 10, 10),
        ("A9", 13, 13),
        ("Q7", 16, 16),
        ("A7", 17, 17),
    ]


def test_an_edited_post_links_its_figure_as_the_group_does(db, repo):
    run("import_repository", repo)
    question = post(Paper.objects.get(arxiv_id="2101.00001"), "Q1", Question)
    assert "/attachments/" in question.body
    body = question.body.replace("왜 이렇게", "어째서 이렇게")
    writes.save_text(question, body, expected_version=question.version, user=None)

    run("export_repository", repo)

    after = (repo / "1. Towards Some Paper.md").read_bytes()
    assert changed_lines(OLDER.encode(), after) == (
        ["Q1 (정훈). Figure 3을 보면 왜 이렇게 되나요?"],
        ["Q1 (정훈). Figure 3을 보면 어째서 이렇게 되나요?"],
    )
