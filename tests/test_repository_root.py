"""`import_repository` given the repository's root: the season folders in it are found and each is
imported (repolayout.season_folders), instead of "0 session(s)"."""

import os
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from discussions import repolayout
from discussions.models import Paper
from discussions.repository import Refused, import_repository


def session(arxiv_id, question):
    return (
        f"논문 URL : [https://arxiv.org/abs/{arxiv_id}](https://arxiv.org/abs/{arxiv_id})\n\n"
        f"## 토론\n\nQ1 (정훈). {question}\n\nA1 (소연). 답입니다.\n"
    )


def git(root, *args):
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(
        ["git", "-c", "user.name=M", "-c", "user.email=m@example.org", *args],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def root(tmp_path):
    """The group's repository: a README at its root, two seasons, each with its files and folders."""
    root = tmp_path / "papers"
    (root / "season1" / "img").mkdir(parents=True)
    (root / "season2" / "summary").mkdir(parents=True)
    (root / "docs").mkdir()
    (root / "README.md").write_text("# 논문 읽기 모임\n")
    (root / "LICENSE").write_text("MIT License\n")
    (root / "docs" / "how-we-read.md").write_text("# 읽는 법\n")
    (root / "season1" / "1. First Paper.md").write_text(session("2001.00001", "첫 시즌의 질문"))
    (root / "season1" / "2. Second Paper").write_text(session("2001.00002", "두 번째 논문"))
    (root / "season2" / "1. Third Paper.md").write_text(session("2002.00003", "둘째 시즌의 질문"))
    (root / "season2" / "summary" / "1. Third Paper.pdf").write_bytes(b"%PDF-1.4 not really\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "two seasons")
    return root


def run(path, *options):
    out, err = StringIO(), StringIO()
    call_command("import_repository", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_the_season_folders_of_a_root_are_the_subfolders_holding_numbered_sessions(root, tmp_path):
    assert repolayout.season_folders(root) == [root / "season1", root / "season2"]
    assert repolayout.season_folders(root / "season1") == [root / "season1"]
    (root / "season10").mkdir()
    (root / "season10" / "1. Later.md").write_text(session("2010.00001", "q"))
    (root / ".hidden").mkdir()
    (root / ".hidden" / "1. Hidden.md").write_text(session("2010.00002", "q"))
    (root / "linked").symlink_to(root / "season1", target_is_directory=True)
    assert [path.name for path in repolayout.season_folders(root)] == ["season1", "season2", "season10"]
    # A folder with neither is itself, as before: it may hold unnumbered files, or nothing yet.
    assert repolayout.season_folders(tmp_path / "papers" / "docs") == [root / "docs"]


@pytest.mark.parametrize(
    ("name", "numbered"),
    [
        ("1. First Paper.md", True),
        ("2. Second Paper", True),
        ("12) Twelve.MD", True),
        ("3. GPT 3.5 notes", True),
        ("First Paper.md", False),
        ("1. First Paper.pdf", False),
        ("3-1.png", False),
        ("README.md", False),
        (".1. hidden.md", False),
    ],
)
def test_a_numbered_discussion_file_is_named_as_the_group_names_sessions(name, numbered):
    assert repolayout.is_numbered_discussion_name(name) is numbered


def test_the_root_imports_every_season(db, root):
    out, err = run(root, "--dry-run")
    assert f"{root}: 2 season folder(s): season1/, season2/" in out
    assert Paper.objects.count() == 0

    out, err = run(root)

    assert sorted(Paper.objects.values_list("arxiv_id", "session_number")) == [
        ("2001.00001", 1),
        ("2001.00002", 2),
        ("2002.00003", 1),
    ]
    assert "\nseason1/\n1. First Paper: created from 1 version(s)" in out
    assert "\nseason2/\n1. Third Paper: created from 1 version(s)" in out
    assert "2 session(s) in the git history and working tree" in out
    assert "1 session(s) in the git history and working tree" in out
    assert "0 session(s)" not in out


def test_a_refused_season_imports_nothing_of_itself_and_the_command_fails_naming_it(db, root):
    (root / "season2" / "2. Broken.md").write_text("## 토론\nA1 (소연). 질문 없이 답부터\n")
    with pytest.raises(CommandError, match="season2/: refused"):
        run(root)
    assert list(Paper.objects.values_list("arxiv_id", flat=True).order_by("arxiv_id")) == [
        "2001.00001",
        "2001.00002",
    ]


def test_import_repository_on_a_root_names_the_season_folders_to_give(db, root):
    with pytest.raises(
        Refused, match="no discussion files here; they are in its season folders season1, season2"
    ):
        import_repository(root)
