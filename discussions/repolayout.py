"""A folder of the group's repository as sessions and versions: pure Python, no database.

FORMAT.md's last section says what the folder holds: discussion files (`N. Title[.md]`), a README
with the participants' full names and the session order, `summary/*.pdf` slides, `img/*` figures.
This module lays a folder's listing out into sessions, finds the files a text links, and reads
the versions of each session from the folder's git history (the `git` command, an argument list,
no shell). discussions.repository imports them.
"""

import datetime
import posixpath
import re
import subprocess
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from discussions import reader

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
            found.full_names = reader.parse_participants(line)
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


# --- Versions of the folder: its git history, then its working tree ---------------------------


@dataclass
class Version:
    when: datetime.datetime | None  # the commit's date; None: the working tree, now
    commit: str  # "" for the working tree
    name: str
    data: bytes
    order: int = 0  # the commit's place in the folder's history, oldest first; WORKING_TREE last


WORKING_TREE = 1 << 62


def _git(root, *args, data=None) -> bytes:
    # An argument list, no shell: a file name is never a command.
    done = subprocess.run(["git", "-C", str(root), *args], input=data, capture_output=True, check=True)
    return done.stdout


def git_folder(folder: Path) -> tuple[Path, list[str]] | None:
    """(repository root, the folder's path in it) when the folder is inside a git repository with
    commits; None otherwise (or when git is not installed)."""
    try:
        root = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
        _git(folder, "rev-parse", "--verify", "--quiet", "HEAD")
    except (OSError, subprocess.CalledProcessError):
        return None
    inside = folder.resolve().relative_to(root.resolve()).as_posix()
    return root, [] if inside == "." else inside.split("/")


def git_versions(root: Path, prefix: list[str], order) -> tuple[dict[str, list[Version]], dict[str, str]]:
    """Each session's versions in commit order (a version: its chosen file changed), and the title
    keys renames gave up for the ones they took (old key → new key)."""
    spec = "/".join(prefix) or "."
    log = _git(root, "log", "--reverse", "-M", "--format=%x01%H%x02%cI", "--name-status", "-z", "--", spec)
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
            _mode, kind, blob = meta.split()
            if kind == "blob":
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
        size = int(out[at:line_end].split()[2])
        found[blob] = out[line_end + 1 : line_end + 1 + size]
        at = line_end + 1 + size + 1
    return found
