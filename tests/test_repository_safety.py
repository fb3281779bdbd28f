"""Reading a repository someone else made runs nothing it configures and follows none of its links:
git is run with every program a `.git/config` can name switched off (discussions.repolayout._git),
and symbolic links in the folder are never followed, attached or published."""

import io
import os
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from fpdf import FPDF
from PIL import Image

from discussions.models import Attachment, Paper

SESSION = """논문 URL : [https://arxiv.org/abs/2101.00001](https://arxiv.org/abs/2101.00001)
- 요약 : [PDF](summary/1.%20Towards%20Some%20Paper.pdf)

## 토론

Q1 (정훈). Figure 3을 보면 왜 이렇게 되나요?

![그림](img/leak.png) ![그림](img/elsewhere/x.png)

A1 (민상). 답입니다.
"""

LEAKED = """논문 URL : [https://arxiv.org/abs/2101.00002](https://arxiv.org/abs/2101.00002)

## 토론

Q1 (정훈). 이 파일은 폴더 밖에 있습니다.
"""

# Every hook git knows; none may run.
HOOKS = [
    *("applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit"),
    *("prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase", "post-checkout", "post-merge"),
    *("pre-push", "pre-receive", "update", "proc-receive", "post-receive", "post-update"),
    *("reference-transaction", "push-to-checkout", "pre-auto-gc", "post-rewrite", "sendemail-validate"),
    *("fsmonitor-watchman", "p4-changelist", "p4-prepare-changelist", "p4-post-changelist"),
    *("p4-pre-submit", "post-index-change"),
]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def pdf():
    made = FPDF()
    made.set_font("helvetica", size=14)
    made.add_page()
    made.cell(text="Slides from elsewhere on the host")
    return bytes(made.output())


def git(root, *args):
    # The tests' own git, to build the repository: never the user's settings.
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = "2024-03-01T20:00:00+09:00"
    done = subprocess.run(
        ["git", "-c", "user.name=Maintainer", "-c", "user.email=m@example.org", *args],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return done.stdout


def run(path, *options):
    out, err = StringIO(), StringIO()
    call_command("import_repository", str(path), *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def sign_head(root):
    """Give HEAD a (made-up) PGP signature, as a commit signed with `git commit -S` carries one."""
    body = git(root, "cat-file", "commit", "HEAD").decode()
    header, _, message = body.partition("\n\n")
    signature = "gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----"
    signed = f"{header}\n{signature}\n\n{message}"
    path = root / ".git" / "signed-commit"
    path.write_text(signed)
    sha = git(root, "hash-object", "-t", "commit", "-w", str(path)).decode().strip()
    path.unlink()
    git(root, "update-ref", "HEAD", sha)


@pytest.fixture
def armed(tmp_path):
    """A season folder whose repository names a program everywhere git's config can name one; each
    leaves a marker file when it runs. Returns (season folder, marker)."""
    marker = tmp_path / "ran"
    program = tmp_path / "program.sh"
    program.write_text(f'#!/bin/sh\necho "$0 $*" >> "{marker}"\nexit 0\n')
    program.chmod(0o755)

    root = tmp_path / "papers"
    season = root / "season2"
    season.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    (season / "1. Towards Some Paper.md").write_text(SESSION)
    (root / ".gitattributes").write_text("* diff=evil filter=evil merge=evil\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "the first session")
    (season / "1. Towards Some Paper.md").write_text(SESSION.replace("답입니다.", "고친 답입니다."))
    git(root, "commit", "-q", "-am", "the answer rewritten, signed")
    sign_head(root)

    hooks = root / ".git" / "evil-hooks"
    hooks.mkdir()
    for name in HOOKS:
        (hooks / name).symlink_to(program)
    for key, value in [
        ("gpg.program", program),
        ("gpg.ssh.program", program),
        ("gpg.x509.program", program),
        ("log.showSignature", "true"),
        ("core.hooksPath", hooks),
        ("core.fsmonitor", program),
        ("core.pager", program),
        ("pager.log", program),
        ("core.sshCommand", program),
        ("core.alternateRefsCommand", program),
        ("diff.external", program),
        ("diff.evil.textconv", program),
        ("diff.evil.command", program),
        ("filter.evil.smudge", program),
        ("filter.evil.clean", program),
        ("filter.evil.process", program),
        ("merge.evil.driver", program),
        ("uploadpack.packObjectsHook", program),
    ]:
        git(root, "config", key, str(value))
    return season, marker


def test_the_armed_repository_does_run_its_programs_under_plain_git(armed):
    # The premise of the next test: git, as a user would run it, runs what this config names.
    season, marker = armed
    subprocess.run(
        ["git", "log", "-p", "-1"],
        cwd=season,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert marker.exists()


def test_importing_a_repository_runs_nothing_its_config_names(db, armed):
    season, marker = armed

    out, _err = run(season, "--dry-run")
    assert "(dry run) 1. Towards Some Paper: created from 2 version(s)" in out
    assert not marker.exists(), marker.read_text()

    out, _err = run(season)
    assert "1. Towards Some Paper: created from 2 version(s)" in out
    assert "git history" in out
    run(season)  # again: only looks
    assert not marker.exists(), marker.read_text()
    answer = Paper.objects.get().questions.get().answers.get()
    versions = answer.history.order_by("history_date")
    assert [version.body for version in versions] == ["답입니다.", "고친 답입니다."]


@pytest.fixture
def linked_out(tmp_path):
    """A season folder whose img/, summary/ and top level hold symbolic links out of it: to an image,
    a folder of images, a PDF and a discussion file elsewhere on the host."""
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "pictures").mkdir(parents=True)
    (elsewhere / "secret.png").write_bytes(png())
    (elsewhere / "pictures" / "x.png").write_bytes(png())
    (elsewhere / "secret.pdf").write_bytes(pdf())
    (elsewhere / "leaked.md").write_text(LEAKED)
    (elsewhere / "README.md").write_text("## 참여자\n비밀스런이름\n")

    season = tmp_path / "papers" / "season2"
    (season / "img").mkdir(parents=True)
    (season / "summary").mkdir()
    (season / "1. Towards Some Paper.md").write_text(SESSION)
    (season / "img" / "leak.png").symlink_to(elsewhere / "secret.png")
    (season / "img" / "elsewhere").symlink_to(elsewhere / "pictures", target_is_directory=True)
    (season / "summary" / "1. Towards Some Paper.pdf").symlink_to(elsewhere / "secret.pdf")
    (season / "2. Leaked.md").symlink_to(elsewhere / "leaked.md")
    (season / "README.md").symlink_to(elsewhere / "README.md")
    return season


def assert_nothing_from_elsewhere():
    paper = Paper.objects.get()  # not the session the symbolic link `2. Leaked.md` points at
    assert paper.arxiv_id == "2101.00001"
    assert not Attachment.objects.exists()
    body = paper.questions.get().body
    assert "img/leak.png" in body and "img/elsewhere/x.png" in body  # links stay as written
    assert "summary/1.%20Towards%20Some%20Paper.pdf" in paper.references.get(kind="summary").url
    assert not paper.participants.filter(full_name="비밀스런이름").exists()


def test_symbolic_links_out_of_a_folder_are_never_followed(db, linked_out, media):
    out, err = run(linked_out)
    assert "1 session(s) in the folder" in out and not err
    assert_nothing_from_elsewhere()
    assert not media.exists() or not any(path.is_file() for path in media.rglob("*"))


def test_symbolic_links_committed_to_the_history_are_never_read(db, linked_out):
    root = linked_out.parent
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "links out of the folder, committed")
    out, err = run(linked_out)
    assert "1 session(s) in the git history and working tree" in out and not err
    assert_nothing_from_elsewhere()


@pytest.fixture
def partial_clone(tmp_path):
    """A clone without its blobs, whose promisor remote is `ext::` a program (allowed by its own
    config): reading a missing blob would fetch it by running that program. Returns (season, marker)."""
    marker = tmp_path / "ran"
    program = tmp_path / "program.sh"
    program.write_text(f'#!/bin/sh\necho "$0 $*" >> "{marker}"\nexit 1\n')
    program.chmod(0o755)
    source = tmp_path / "source"
    (source / "season2").mkdir(parents=True)
    git(source, "init", "-q", "-b", "main")
    (source / "season2" / "1. Towards Some Paper.md").write_text(SESSION)
    git(source, "add", "-A")
    git(source, "commit", "-q", "-m", "the first session")
    git(source, "config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", "--filter=blob:none", "--no-checkout", source.as_uri(), str(clone))
    git(clone, "config", "remote.origin.url", f"ext::{program}")
    git(clone, "config", "protocol.ext.allow", "always")
    (clone / "season2").mkdir()  # not checked out: only its history holds the session
    return clone / "season2", marker


def test_a_partial_clone_s_missing_objects_are_not_fetched_by_its_programs(db, partial_clone):
    season, marker = partial_clone
    with pytest.raises(CommandError, match="season2: git cat-file failed"):
        run(season)
    assert not marker.exists(), marker.read_text()
    assert not Paper.objects.exists()

    # The premise: git as a user runs it does run the program to fetch the blob.
    blob = git(season, "rev-parse", "HEAD:season2/1. Towards Some Paper.md").decode().strip()
    subprocess.run(
        ["git", "cat-file", "-p", blob],
        cwd=season,
        env={**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=60,
    )
    assert marker.exists()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs to give the files away")
def test_a_repository_another_user_owns_is_refused_not_read_as_a_folder_without_history(db, tmp_path):
    # Git's own check stays: a repository someone else owns is not read, and the import says so
    # rather than importing the working tree as if there were no history.
    root = tmp_path / "papers"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "1. Towards Some Paper.md").write_text(LEAKED)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "a session")
    for path in [root, *root.rglob("*")]:
        os.lchown(path, 65534, 65534)
    with pytest.raises(CommandError, match="dubious ownership"):
        run(root)
    assert not Paper.objects.exists()
