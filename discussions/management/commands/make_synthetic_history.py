"""Build a deterministic git repository shaped like the group's season (`make bench`, issue 23).

The group's `season2/`: 12 session files, 123 commits from August to December 2021, each commit by
one maintainer changing one file (a question added, an answer written, an open slot filled, a
typo fixed), and one restyle of every file from signed posts (`Q1 (정훈).`, `A1 (소연).`) to
unsigned ones (`- Q1.`, `>- A1-1.`) with answers renumbered. This command writes a history of that
shape, with `--files` and `--commits` to make it larger: the same seed, the same repository.

Written with one `git fast-import` (no shell, no hook, no configured program runs), so even ten
times the season's size takes a second or two.
"""

import datetime
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from discussions.management.commands.make_synthetic_archive import SENTENCES, TERMS

NAMES = {"정훈": "이정훈", "소연": "김소연", "민상": "남궁민상", "지성": "김지성", "선민": "구선민"}
KST = datetime.timezone(datetime.timedelta(hours=9))
START = datetime.datetime(2021, 8, 5, 21, 0, tzinfo=KST)
RESTYLE_AT = 0.3  # the restyle comes after this share of the commits, as the group's in August


@dataclass
class Post:
    author: str
    body: str


@dataclass
class Thread:
    question: Post
    answers: list[Post] = field(default_factory=list)


@dataclass
class File:
    number: int
    title: str
    url: str
    threads: list[Thread] = field(default_factory=list)
    signed: bool = True

    @property
    def name(self):
        return f"{self.number}. {self.title}.md"

    def text(self) -> str:
        if self.signed:
            lines = [f"논문 URL : [{self.url}]({self.url})", "", "## 토론", ""]
            for number, thread in enumerate(self.threads, start=1):
                lines += [f"Q{number} ({thread.question.author}). {thread.question.body}", ""]
                for a_number, answer in enumerate(thread.answers, start=1):
                    lines += [f"A{a_number} ({answer.author}). {answer.body}".rstrip(), ""]
            return "\n".join(lines)
        people = sorted(
            {post.author for thread in self.threads for post in (thread.question, *thread.answers)}
        )
        lines = [
            "## 논문",
            f"- 제목 : {self.title}",
            f"- 원본 : [{self.url}]({self.url})",
            "",
            "## 참여자",
            ", ".join(NAMES[name] for name in people),
            "",
            "## 토론",
        ]
        for number, thread in enumerate(self.threads, start=1):
            lines.append(f"- Q{number}. {thread.question.body}")
            for a_number, answer in enumerate(thread.answers, start=1):
                lines.append(f">- A{number}-{a_number}. {answer.body}".rstrip())
            lines.append("")
        return "\n".join(lines)


def history(files: int, commits: int, seed: int) -> list[tuple[datetime.datetime, str, str, str]]:
    """The commits, oldest first: (date, message, file name, the file's new text)."""
    rng = random.Random(seed)
    people = list(NAMES)

    def sentence():
        return rng.choice(SENTENCES).format(t=rng.choice(TERMS), u=rng.choice(TERMS))

    def body(count):
        return " ".join(sentence() for _ in range(count))

    made: list[File] = []
    out = []
    when = START
    restyle_from = int(commits * RESTYLE_AT)
    restyled = False
    for number in range(commits):
        when += datetime.timedelta(hours=rng.randint(2, 30))
        if number >= restyle_from and not restyled:
            restyled = True
            # The restyle: one commit per file made so far, on one evening.
            for file in made:
                file.signed = False
                out.append((when, f"{file.title}: the new house style", file.name, file.text()))
                when += datetime.timedelta(minutes=3)
            continue
        if len(out) >= commits:
            break
        # A new session while fewer than its share of the commits have made one, else an edit.
        if len(made) < files and (not made or rng.random() < files / commits * 2 or number > commits - files):
            n = len(made) + 1
            file = File(n, f"Synthetic Session {n}", f"https://arxiv.org/abs/21{n % 100:02d}.{10000 + n:05d}")
            file.signed = not restyled
            # A session's file begins with its questions, some answered already (notes pasted in).
            file.threads = [
                Thread(
                    Post(rng.choice(people), body(2)),
                    [Post(rng.choice(people), body(rng.randint(1, 3))) for _ in range(rng.randint(0, 3))],
                )
                for _ in range(rng.randint(5, 9))
            ]
            made.append(file)
            out.append((when, f"{file.title}: questions", file.name, file.text()))
            continue
        file = rng.choice(made)
        thread = rng.choice(file.threads)
        draw = rng.random()
        open_answers = [a for t in file.threads for a in t.answers if not a.body]
        if open_answers and draw < 0.2:
            rng.choice(open_answers).body = body(rng.randint(1, 3))
            message = "an open answer filled"
        elif draw < 0.35:
            file.threads.append(Thread(Post(rng.choice(people), body(2))))
            message = "a question added"
        elif draw < 0.45 and any(t.answers for t in file.threads):
            answer = rng.choice([a for t in file.threads for a in t.answers])
            answer.body = (answer.body + " " + sentence()).strip()
            message = "an answer grew"
        elif draw < 0.5:
            thread.answers.append(Post(rng.choice(people), ""))
            message = "an open answer"
        else:
            for _ in range(rng.randint(1, 3)):  # a few answers written after the meeting
                rng.choice(file.threads).answers.append(Post(rng.choice(people), body(rng.randint(1, 4))))
            message = "answers added"
        out.append((when, f"{file.title}: {message}", file.name, file.text()))
    return out[:commits]


def fast_import_stream(commits, folder: str) -> bytes:
    parts = []
    for mark, (when, message, name, text) in enumerate(commits, start=1):
        data, note = text.encode(), message.encode()
        stamp = f"{int(when.timestamp())} +0900"
        parts += [
            b"commit refs/heads/main\n",
            f"mark :{mark}\n".encode(),
            f"committer Maintainer <maintainer@example.org> {stamp}\n".encode(),
            f"data {len(note)}\n".encode() + note + b"\n",
        ]
        if mark > 1:
            parts.append(f"from :{mark - 1}\n".encode())
        path = f"{folder}/{name}".replace('"', "")
        parts += [f'M 100644 inline "{path}"\n'.encode(), f"data {len(data)}\n".encode(), data, b"\n"]
    return b"".join(parts)


def git(root: Path, *args, data=None):
    # No configuration of the user or the machine, and no hook: nothing configurable runs.
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null", "PATH": "/usr/bin:/bin"}
    subprocess.run(
        ["git", "-c", "core.hooksPath=/dev/null", "-C", str(root), *args],
        input=data,
        env=env,
        check=True,
        capture_output=True,
    )


def make(root: Path, *, files: int, commits: int, seed: int, folder: str = "season2") -> Path:
    """A new repository at `root` (which must not exist); returns its season folder."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "fast-import", "--quiet", data=fast_import_stream(history(files, commits, seed), folder))
    git(root, "checkout", "-q", "-f", "main")
    return root / folder


class Command(BaseCommand):
    help = "Write a git repository shaped like the group's season (12 files, 120 commits) for the benchmark."

    def add_arguments(self, parser):
        parser.add_argument("path", help="where to make the repository (must not exist)")
        parser.add_argument("--files", type=int, default=12)
        parser.add_argument("--commits", type=int, default=120)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, path, files, commits, seed, **options):
        if Path(path).exists():
            raise CommandError(f"{path} exists already")
        season = make(Path(path), files=files, commits=commits, seed=seed)
        self.stdout.write(str(season))
