"""A folder of the group's repository as sessions and versions: pure Python, no database.

FORMAT.md's last section says what the folder holds: discussion files (`N. Title[.md]`), a README
with the participants' full names and the session order, `summary/*.pdf` slides, `img/*` figures.
This module lays a folder's listing out into sessions, finds the files a text links, and reads
the versions of each session from the folder's git history (the `git` command, an argument list,
no shell). discussions.repository imports them.
"""

import datetime
import os
import posixpath
import re
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from discussions import reader, rules

# --- The folder's layout (pure) -----------------------------------------------------------------

_NUMBERED = re.compile(r"^(\d+)[.)](?!\d)[ \t]*")
_MARKDOWN = re.compile(r"\.(md|markdown)$", re.IGNORECASE)
_README_HEADING = re.compile(r"^##[ \t]+(.+?)[ \t]*$")
_README_ENTRY = re.compile(r"^[ \t]*(\d+)[.)][ \t]+(.+?)[ \t]*$")
_MARKDOWN_LINK = re.compile(r"^\[(.+?)\]\(.*\)$")
PARTICIPANT_HEADINGS = {"참여자", "participants"}
ORDER_HEADINGS = {"논문 목록", "papers"}


@dataclass
class Session:
    key: str  # the normalised title: how an unnumbered copy, a rename and a summary PDF find it
    number: int | None
    title: str
    name: str  # the file in the folder this session is read from


@dataclass
class Readme:
    full_names: list[str] = field(default_factory=list)
    order: dict[str, int] = field(default_factory=dict)  # title key → session number


def title_key(title: str) -> str:
    """`Towards  Some-Paper` and `towards some paper` are one title."""
    title = unicodedata.normalize("NFC", title).casefold()
    return " ".join(re.findall(r"\w+", title))


def split_name(name: str) -> tuple[int | None, str]:
    """`3. Some Paper.md` → (3, "Some Paper"); `Some Paper` → (None, "Some Paper")."""
    name = unicodedata.normalize("NFC", _MARKDOWN.sub("", name).strip())
    numbered = _NUMBERED.match(name)
    if numbered and name[numbered.end() :].strip():
        return int(numbered[1]), name[numbered.end() :].strip()
    return None, name


def is_candidate(name: str) -> bool:
    """A top-level file that may be a discussion file (its bytes decide: is_text and the reader)."""
    return not name.startswith(".") and name.casefold() != "readme.md"


def is_text(data: bytes) -> bool:
    return b"\0" not in data


def lay_out(names, order=None) -> tuple[dict[str, Session], list[str]]:
    """The sessions of a folder's top-level file names, and notes on the files left out.

    A numbered file wins over an unnumbered one of the same title (a rename left the old copy
    behind); an unnumbered file takes its number from the README's order when it lists the title.
    """
    order = order or {}
    sessions: dict[str, Session] = {}
    notes = []
    for name in sorted(names, key=lambda n: (split_name(n)[0] is None, n)):
        if not is_candidate(name):
            continue
        number, title = split_name(name)
        key = title_key(title)
        if not key:
            continue
        if (same := sessions.get(key)) is not None:
            if number is None:
                notes.append(f"{name}: an older copy of “{same.name}” (skipped)")
                continue
            key = f"{number} {key}"  # two sessions of one title: the number tells them apart
        sessions[key] = Session(key, number if number is not None else order.get(key), title, name)
    return sessions, notes


def read_readme(text: str) -> Readme:
    """`## 참여자` (or `## Participants`): a line of full names; `## 논문 목록` (or `## Papers`):
    `1. Title` lines. A README without them is fine."""
    found, section = Readme(), ""
    for line in reader.LINE_BREAK.split(unicodedata.normalize("NFC", text.removeprefix("\ufeff"))):
        if heading := _README_HEADING.match(line):
            section = heading[1].casefold()
            continue
        if section in PARTICIPANT_HEADINGS and line.strip() and not found.full_names:
            names = reader.parse_participants(line)
            found.full_names = [name for name in names if not rules.is_placeholder_name(name)]
        elif section in ORDER_HEADINGS and (entry := _README_ENTRY.match(line)):
            title = entry[2]
            if link := _MARKDOWN_LINK.match(title):
                title = link[1]
            found.order.setdefault(title_key(title), int(entry[1]))
    return found


def summary_session(pdf_name: str, sessions: dict[str, Session]) -> str | None:
    """The session a `summary/` PDF belongs to: by the number in its name, else by its title."""
    number, title = split_name(re.sub(r"\.pdf$", "", pdf_name, flags=re.IGNORECASE))
    if number is None and (digits := re.match(r"^(\d+)(?!\d)", pdf_name)):
        number = int(digits[1])
    if number is not None:
        numbered = [s.key for s in sessions.values() if s.number == number]
        if len(numbered) == 1:
            return numbered[0]
    key = title_key(title)
    return key if key in sessions else None


_GITHUB_PATH = re.compile(r"^/[^/]+/[^/]+/(?:blob|raw)/(.+)$")
_RAW_PATH = re.compile(r"^/[^/]+/[^/]+/(.+)$")


def file_in_folder(target: str, prefix: list[str], files) -> str | None:
    """The path inside the folder (`img/3-1.png`) a link in one of its files points at, when that
    file exists (`files`), else None.

    prefix: the folder's path in its repository (`["season2"]`; its own name when not in one).
    A link is relative to the folder (`img/x.png`, `./img/x.png`, `../season2/img/x.png`) or a
    GitHub address of a file of the repository (`github.com/o/r/blob/main/season2/img/x.png`,
    `?raw=true`, `raw.githubusercontent.com/o/r/main/season2/img/x.png`)."""
    parts = urlsplit(target.strip())
    path = unquote(parts.path)
    if parts.scheme in ("http", "https"):
        host = (parts.hostname or "").casefold()
        shape = _GITHUB_PATH if host in ("github.com", "www.github.com") else None
        shape = _RAW_PATH if host == "raw.githubusercontent.com" else shape
        if shape is None or not (found := shape.match(path)):
            return None
        # After the branch (which may hold slashes): the folder's own path, then the file's.
        segments = found[1].split("/")
        for start in range(1, len(segments)):
            if segments[start : start + len(prefix)] == prefix:
                inside = "/".join(segments[start + len(prefix) :])
                if inside in files:
                    return inside
        return None
    if parts.scheme or parts.netloc or not path or path.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(*prefix, path)) if prefix else posixpath.normpath(path)
    segments = joined.split("/")
    if segments[: len(prefix)] != prefix or ".." in segments:
        return None
    inside = "/".join(segments[len(prefix) :])
    return inside if inside in files else None


# `![alt](target "title")`, `[text](target)`: group 1; `<img src="target">`: group 2.
_LINK_TARGETS = re.compile(
    r"""\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"""
    r"""|<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["']"""
)


def rewrite_links(text: str, replace) -> str:
    """The text with every link target for which replace(target) gives a new one replaced."""

    def swap(match):
        group = 1 if match[1] is not None else 2
        new = replace(match[group])
        if new is None:
            return match[0]
        start, end = match.start(group) - match.start(), match.end(group) - match.start()
        return match[0][:start] + new + match[0][end:]

    return _LINK_TARGETS.sub(swap, text)


def posts_of(discussion: reader.Discussion):
    for question in discussion.questions:
        yield question
        yield from reader.thread_order(question.answers)


# --- The folder on disk --------------------------------------------------------------------------


def is_regular_file(path: Path) -> bool:
    """A file of the folder's own: not a symbolic link, which may point anywhere on the host (a PDF
    or an image there would be attached and published)."""
    return path.is_file() and not path.is_symlink()


def folder_files(folder: Path) -> set[str]:
    """Every regular file in the folder, by its path inside it (`img/3-1.png`); hidden ones and
    symbolic links (to files or to folders, wherever they point) left out."""
    found = set()
    for here, folders, names in os.walk(folder, followlinks=False):
        folders[:] = [name for name in folders if not name.startswith(".")]  # walked ones are no links
        inside = Path(here).relative_to(folder)
        for name in names:
            if not name.startswith(".") and is_regular_file(Path(here) / name):
                found.add((inside / name).as_posix())
    return found


# What a file's name ends with when it is no discussion file: `.pdf`, `.png`, `.txt` (a discussion
# file is `….md`, `….markdown` or has no extension: `4. A Paper Without Extension`).
_OTHER_EXTENSION = re.compile(r"\.[A-Za-z][A-Za-z0-9]{0,7}$")


def is_numbered_discussion_name(name: str) -> bool:
    """`3. Some Paper.md`, `4. A Paper Without Extension`: a session's file as the group names it."""
    if not is_candidate(name) or (_OTHER_EXTENSION.search(name) and not _MARKDOWN.search(name)):
        return False
    return split_name(name)[0] is not None


def holds_numbered_sessions(folder: Path) -> bool:
    return any(is_numbered_discussion_name(path.name) and is_regular_file(path) for path in folder.iterdir())


def season_folders(folder: Path) -> list[Path]:
    """The season folders a path names: the folder itself when it holds a numbered discussion file
    (`1. Title.md`) or none of its subfolders does; else (a repository's root holding `season1/`,
    `season2/`) each subfolder that holds one, in natural order (`season2` before `season10`).
    Hidden folders and symbolic links to folders are never seasons."""
    if holds_numbered_sessions(folder):
        return [folder]
    seasons = [
        path
        for path in folder.iterdir()
        if path.is_dir() and not path.is_symlink() and not path.name.startswith(".")
        if holds_numbered_sessions(path)
    ]
    return sorted(seasons, key=_natural) or [folder]


def _natural(path: Path):
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", path.name)]


# --- Versions of the folder: its git history, then its working tree ---------------------------


@dataclass
class Version:
    when: datetime.datetime | None  # the commit's date; None: the working tree, now
    commit: str  # "" for the working tree
    name: str
    data: bytes
    order: int = 0  # the commit's place in the folder's history, oldest first; WORKING_TREE last


WORKING_TREE = 1 << 62
SYMLINK_MODE = "120000"  # git's mode for a symbolic link


class GitError(Exception):
    """Git could not read the repository; the message says why (git's own first line)."""


# A repository's own `.git/config` can name programs git runs (gpg.program under log.showSignature,
# a textconv or an external diff, filters, hooks, fsmonitor, a pager, ssh or a remote helper for a
# partial clone's missing objects): reading a repository someone else made must run none of them.
# Command-line settings win over every config file; the system and user files are not read at all
# (the operator's own settings would change what the log prints, too). Each command also says
# --no-textconv / --no-ext-diff / --no-show-signature where it takes them, and none of those used
# here checks out files, applies filters or fetches.
_SAFE_SETTINGS = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.pager=cat",
    "core.sshCommand=false",
    "core.alternateRefsCommand=true",
    "core.attributesFile=/dev/null",
    "log.showSignature=false",
    "gpg.program=false",
    "gpg.openpgp.program=false",
    "gpg.x509.program=false",
    "gpg.ssh.program=false",
    "diff.external=",
    "diff.relative=false",
    "protocol.allow=never",
    "credential.helper=",
    "safe.bareRepository=explicit",
    "submodule.recurse=false",
    "gc.auto=0",
    "maintenance.auto=false",
    "i18n.logOutputEncoding=UTF-8",
)
_SAFE_OPTIONS = [option for setting in _SAFE_SETTINGS for option in ("-c", setting)]


def _git_environment() -> dict[str, str]:
    # None of the caller's GIT_* variables (GIT_DIR, GIT_SSH_COMMAND, GIT_EXTERNAL_DIFF …) either.
    env = {name: value for name, value in os.environ.items() if not name.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_ATTR_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_NO_LAZY_FETCH="1",  # git 2.44 and later: a partial clone's missing object is not fetched
        GIT_ALLOW_PROTOCOL="",  # no transport at all, whatever protocol.<name>.allow the repository sets
        GIT_PAGER="cat",
        PAGER="cat",
    )
    return env


def _git(root, *args, data=None) -> bytes:
    """Git's output for a read-only command in the repository at root, running nothing it configures.

    An argument list, no shell: a file name is never a command."""
    try:
        done = subprocess.run(
            ["git", "--no-pager", *_SAFE_OPTIONS, "-C", str(root), *args],
            input=data,
            capture_output=True,
            env=_git_environment(),
            stdin=None if data is not None else subprocess.DEVNULL,
        )
    except OSError as error:
        raise GitError(f"git could not be run: {error}") from None
    if done.returncode:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {args[0]} failed in {root}: {message[0] if message else done.returncode}")
    return done.stdout


def git_folder(folder: Path) -> tuple[Path, list[str]] | None:
    """(repository root, the folder's path in it) when the folder is inside a git repository with
    commits; None otherwise (or when git is not installed). A repository git will not read as
    safe (another user's, without `safe.directory`) is a GitError, not a folder without history."""
    try:
        root = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
        _git(folder, "rev-parse", "--verify", "--quiet", "HEAD")
    except GitError as error:
        if "dubious ownership" in str(error):
            raise
        return None
    try:
        inside = folder.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:  # core.worktree elsewhere: the folder is not the repository's working tree
        return None
    return root, [] if inside == "." else inside.split("/")


def git_versions(root: Path, prefix: list[str], order) -> tuple[dict[str, list[Version]], dict[str, str]]:
    """Each session's versions in commit order (a version: its chosen file changed), and the title
    keys renames gave up for the ones they took (old key → new key)."""
    spec = "/".join(prefix) or "."
    log = _git(
        root,
        "log",
        "--reverse",
        "-M",
        "--no-textconv",
        "--no-ext-diff",
        "--no-show-signature",
        "--no-notes",
        "--no-decorate",
        "--no-mailmap",
        "--format=%x01%H%x02%cI",
        "--name-status",
        "-z",
        "--",
        spec,
    )
    commits, renamed = [], {}
    for chunk in log.decode("utf-8", "surrogateescape").split("\x01")[1:]:
        header, _, changes = chunk.partition("\0")
        sha, when = header.split("\x02")
        commits.append((sha, datetime.datetime.fromisoformat(when)))
        fields = [f for f in changes.lstrip("\n").split("\0") if f]
        while fields:
            status = fields.pop(0)
            if status[0] in "RC":
                old, new = fields.pop(0), fields.pop(0)
                if status[0] == "R":
                    old_key, new_key = (title_key(split_name(posixpath.basename(p))[1]) for p in (old, new))
                    if old_key != new_key:
                        renamed[old_key] = new_key
            else:
                fields.pop(0)
    versions: dict[str, list[Version]] = {}
    last_blob: dict[str, str] = {}
    wanted = []  # (key, when, sha, name, blob)
    for position, (sha, when) in enumerate(commits):
        listing = _git(root, "ls-tree", "-z", sha, "--", f"{spec}/" if prefix else ".")
        blobs = {}
        for entry in listing.decode("utf-8", "surrogateescape").split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            mode, kind, blob = meta.split()
            if kind == "blob" and mode != SYMLINK_MODE:  # a symbolic link's blob is where it points
                blobs[posixpath.basename(path)] = blob
        sessions, _notes = lay_out(blobs, order)
        for key, session in sessions.items():
            key = final_key(key, renamed)
            blob = blobs[session.name]
            if last_blob.get(key) != blob:
                last_blob[key] = blob
                wanted.append((key, when, sha, session.name, blob, position))
    contents = _read_blobs(root, {item[4] for item in wanted})
    for key, when, sha, name, blob, position in wanted:
        versions.setdefault(key, []).append(Version(when, sha, name, contents[blob], position))
    return versions, renamed


def final_key(key: str, renamed: dict[str, str]) -> str:
    seen = {key}
    while key in renamed and renamed[key] not in seen:
        key = renamed[key]
        seen.add(key)
    return key


def _read_blobs(root: Path, blobs) -> dict[str, bytes]:
    """Many blobs through one `git cat-file --batch`."""
    blobs = sorted(blobs)
    if not blobs:
        return {}
    out = _git(root, "cat-file", "--batch", data="".join(f"{blob}\n" for blob in blobs).encode())
    found, at = {}, 0
    for blob in blobs:
        line_end = out.index(b"\n", at)
        header = out[at:line_end].split()
        if len(header) != 3:  # `<sha> missing`: an object the repository does not hold
            raise GitError(f"git cat-file: {out[at:line_end].decode('utf-8', 'replace')} in {root}")
        size = int(header[2])
        found[blob] = out[line_end + 1 : line_end + 1 + size]
        at = line_end + 1 + size + 1
    return found
