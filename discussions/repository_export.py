"""A season folder written back in the group's layout (`manage.py export_repository DIR`).

The group keeps its archive on GitHub; the app is where it now writes. The export writes the
season's session files, its README, `summary/` and `img/` with the files themselves, links
relative as the group writes them (`img/3-1.png`, not `/attachments/12/`), ready to commit:

- a session nobody changed in the app is its file as last imported, byte for byte (SourceFile);
- a changed one is that file with only its changed posts rewritten, in the file's own house style
  (discussions.roundtrip: an edited or filled post replaces its lines, a removed one leaves, a new
  answer follows its thread, a new question the last one);
- a session made in the app gets a file named `N. Title.md`, in the style of the season's most
  recently written file, its slides in `summary/`, its figures in `img/`, and a line in the
  README's paper list.

What the export writes becomes the version of the file the archive holds (writes.exported), as an
import of it would leave things: so import_repository over the exported folder changes nothing.
A file in DIR that is neither what was last imported nor what the export writes (someone changed
it since, and it was not imported) is never overwritten: the export refuses, and writes nothing.
"""

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from django.db import transaction

from discussions import attachments, exporter, reader, repolayout, roundtrip, sources, writer, writes
from discussions.models import Answer, Attachment, Paper, Question, SourceFile

README = "README.md"
NAME_TITLE_LENGTH = 80
# The later house style's header (`## 논문`, `- 제목 :`); a file without one is in the older style.
_TITLE_OR_URL = re.compile(r"^- (?:제목|원본) : ")
_LATER_HEADER = re.compile(r"^[ \t]*(?:##[ \t]*논문[ \t]*$|[-*+][ \t]*제목[ \t]*:)", re.MULTILINE)
_ATTACHMENT_PATH = re.compile(r"(?:^|/)attachments/(\d+)/?$")
# What a file name may not hold (a path separator, a control character).
_NOT_IN_NAMES = re.compile(r"[/\\\x00-\x1f\x7f]")


class Refused(Exception):
    """Nothing was written; `messages` say why."""

    def __init__(self, message, messages=()):
        super().__init__(message)
        self.messages = list(messages)


@dataclass
class Report:
    season: str
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    written: int = 0
    unchanged: int = 0

    def summary(self) -> str:
        return f"season {self.season}: {self.written} file(s) written, {self.unchanged} unchanged"


@dataclass
class _File:
    path: str  # inside the season folder
    data: bytes
    last_imported: bytes | None = None  # the version the archive holds, when it holds one
    guarded: bool = False  # a session file: never written over a version nobody imported
    image: bool = False  # a figure: the folder's own copy of the same pixels is left as it is
    sha256: str = ""
    note: str = ""


def export_repository(path, *, season=None, user=None, dry_run=False) -> Report:
    """Write the season folder at `path`; Refused, with nothing written, when a file is in the way.
    dry_run: say what would be written, write nothing (no file, no row)."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise Refused(f"{path}: not a folder")
    season = _season(folder, season)
    report = Report(season)
    plan = _Plan(folder, season, report)
    plan.make()
    refused = [
        f"{folder / item.path}: {problem}" for item in plan.files if (problem := _in_the_way(folder, item))
    ]
    paths = Counter(item.path for item in plan.files if item.guarded)
    refused += [
        f"{folder / path}: {count} sessions are this file" for path, count in paths.items() if count > 1
    ]
    if refused:
        raise Refused(f"{len(refused)} file(s) in the way; nothing was written", refused)
    for item in plan.files:
        target = folder / item.path
        if _same(target, item):
            report.unchanged += 1
            continue
        if not dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(item.data)
        report.written += 1
        report.lines.append(f"{item.path}: {item.note or 'written'}")
    if not dry_run:
        with transaction.atomic():  # the files written are the versions the archive holds, all at once
            for bookkeeping in plan.afterwards:
                bookkeeping(user)
    return report


def _season(folder, season):
    """The season asked for; else the one named as the folder; else the only one there is."""
    known = sorted(set(SourceFile.objects.exclude(season="").values_list("season", flat=True)))
    if season is not None:
        if season not in known:
            raise Refused(f"no season {season!r} was imported (known: {', '.join(known) or 'none'})")
        return season
    name = folder.resolve().name
    named = [s for s in known if s == name or s.endswith(f"/{name}")]
    if len(named) == 1:
        return named[0]
    if len(known) == 1:
        return known[0]
    raise Refused(f"say which season to export with --season (known: {', '.join(known) or 'none'})")


def _in_the_way(folder, item) -> str:
    """Why the file in the folder may not be written over, or ""."""
    target = folder / item.path
    # Never out of the folder: a path from the archive with `..`, or a symbolic link in the
    # folder (`img` → elsewhere on the host) that a write would follow.
    if not _inside(item.path) or not target.resolve().is_relative_to(folder.resolve()):
        return "not inside the folder (a symbolic link, or `..` in its path): nothing is written there"
    if not target.exists():
        return ""
    if not target.is_file():
        return "not a file"
    if not item.guarded or target.read_bytes() in (item.data, item.last_imported):
        return ""
    if item.last_imported is None:
        return "a file of this name is there already, and it is not this session's"
    return "changed since it was last imported: import it first"


def _same(target, item) -> bool:
    if not target.is_file():
        return False
    current = target.read_bytes()
    if current == item.data:
        return True
    if item.image and item.sha256:
        # The group's own copy of a figure: the archive keeps its pixels re-encoded (no EXIF),
        # so the same figure is other bytes there.
        try:
            return attachments.check_image(current, item.path).sha256 == item.sha256
        except attachments.Refused:
            return False
    return False


class _Plan:
    """Every file of the export, made before anything is written, and the bookkeeping after."""

    def __init__(self, folder, season, report):
        self.folder, self.season, self.report = folder, season, report
        self.files: list[_File] = []
        self.afterwards = []
        self.paths: dict[int, str] = {}  # attachment id → its path in the folder
        self.wanted: dict[int, Attachment] = {}  # attachments the files link, to write

    def make(self):
        held = list(
            SourceFile.objects.filter(season=self.season, paper__isnull=False).select_related("paper")
        )
        made_in_app = list(
            Paper.objects.filter(source__isnull=True, proposed_by__isnull=False).order_by(
                "session_date", "session_number", "created_at", "pk"
            )
        )
        papers = [source.paper for source in held] + made_in_app
        if unknown := Paper.objects.filter(source__isnull=True, proposed_by__isnull=True).count():
            self.report.warnings.append(
                f"{unknown} session(s) imported before the archive kept their files are left out "
                "(docs/repository.md)"
            )
        season_attachments = list(Attachment.objects.filter(paper__in=papers).order_by("pk"))
        self.taken = {a.original_name for a in season_attachments if "/" in a.original_name}
        for attachment in season_attachments:
            # The folder's own figures and slides go back where they were.
            if _from_the_folder(attachment):
                self.paths[attachment.pk] = attachment.original_name
                self.wanted[attachment.pk] = attachment
        for source in sorted(held, key=lambda s: (s.paper.session_number or 0, s.path)):
            self._held(source, season_attachments)
        newest = max(held, key=lambda s: (s.dated, s.paper.session_number or 0, s.pk), default=None)
        readme = self._readme_base()
        listed = repolayout.read_readme(readme[0]).order if readme else {}
        numbers = ({source.paper.session_number for source in held} | set(listed.values())) - {None}
        entries = []
        for paper in made_in_app:
            # Its own number, else the one the README lists its title under, else the next.
            number = paper.session_number if paper.session_number not in numbers else None
            number = number or listed.get(repolayout.title_key(paper.title)) or max(numbers, default=0) + 1
            numbers.add(number)
            if entry := self._new(paper, number, newest, season_attachments):
                entries.append(entry)
        if readme:
            self._readme(*readme, entries)
        written = set()
        for _pk, attachment in sorted(self.wanted.items()):
            if self.paths[attachment.pk] not in written:  # one figure two papers link is one file
                written.add(self.paths[attachment.pk])
                self._attachment(attachment)

    # --- A session the archive holds a file of ---

    def _held(self, source, season_attachments):
        paper = source.paper
        spans = [roundtrip.Span.from_json(data) for data in source.spans]
        style = roundtrip.detect_style(source.text, spans)
        lines, _endings = roundtrip.lines_of(source.text)
        rows = _Rows(paper)
        changes, counts = roundtrip.Changes(), {"edited": 0, "added": 0, "removed": 0}
        span_of_row = {}
        by_key = {span.key: span for span in spans}
        shown = set(rows.in_order())  # not removed, nor under a removed post
        for span in spans:
            row = rows.find(span, by_key)
            if row not in shown:
                changes.dropped.add(span.key)
                counts["removed"] += 1
                continue
            span_of_row[row] = span.key
            author = row.author.name if row.author_id else None
            if roundtrip.changed(style, span, lines[span.start - 1], row.body, author):
                changes.edited[span.key] = self._post(row, rows, author)
                counts["edited"] += 1
        ids = dict(span_of_row)
        for row in rows.in_order():
            if row in span_of_row:
                continue
            ids[row] = _row_id(row)
            parent = "" if isinstance(row, Question) else ids[rows.above(row)]
            kind = "Q" if isinstance(row, Question) else "A"
            author = row.author.name if row.author_id else None
            changes.added.append(roundtrip.Added(ids[row], kind, parent, self._post(row, rows, author)))
            counts["added"] += 1
        self._slides(paper, repolayout.split_name(source.path)[1], season_attachments)
        if not (changes.edited or changes.dropped or changes.added):
            self.files.append(_File(source.path, source.text.encode(), source.text.encode(), guarded=True))
            return
        try:
            text, order = roundtrip.splice(source.text, spans, changes, style)
        except ValueError as error:
            raise Refused(f"{source.path}: {error}; nothing was written") from error
        note = ", ".join(f"{count} {what}" for what, count in counts.items() if count)
        self.files.append(
            _File(source.path, text.encode(), source.text.encode(), guarded=True, note=f"changed ({note})")
        )
        by_id = {ids[row]: row for row in ids}
        self.afterwards.append(
            lambda user: self._exported(paper, source.path, text, [by_id[i] for i in order], rows, user)
        )

    # --- A session made in the app ---

    def _new(self, paper, number, newest, season_attachments):
        rows = _Rows(paper)
        ordered = list(rows.in_order())
        if not any(isinstance(row, Question) for row in ordered):
            self.report.warnings.append(f"{paper.title}: no question yet, no file written")
            return None
        # The group's names: `4. Title.md`; a long title is cut (a name holds 255 bytes).
        title = _NOT_IN_NAMES.sub(" ", paper.title).strip()[:NAME_TITLE_LENGTH].strip()
        name = f"{number}. {title}.md"
        slides = self._slides(paper, title, season_attachments, number=number)
        style = _style_of(newest)
        header = self._header(paper, newest, slides)
        posts, ids = [], {}
        for row in ordered:
            ids[row] = _row_id(row)
            kind = "Q" if isinstance(row, Question) else "A"
            parent = "" if kind == "Q" else ids[rows.above(row)]
            author = row.author.name if row.author_id else None
            posts.append((ids[row], kind, parent, self._post(row, rows, author)))
        try:
            text, order = roundtrip.new_file(style, header, posts)
        except ValueError as error:
            raise Refused(f"{name}: {error}; nothing was written") from error
        self.files.append(_File(name, text.encode(), guarded=True, note="a new session"))
        by_id = {ids[row]: row for row in ids}
        self.afterwards.append(
            lambda user: self._exported(paper, name, text, [by_id[i] for i in order], rows, user, number)
        )
        return number, title, name

    def _header(self, paper, newest, slides) -> str:
        """The header in the season's newest style: the later one's `## 논문` bullets and `## 참여자`,
        or the older one's `논문 URL :` line."""
        discussion = exporter.to_discussion(paper)
        discussion.questions = []
        discussion.references = [
            ref for ref in discussion.references if not _ATTACHMENT_PATH.search(urlsplit(ref.url).path)
        ]
        if slides:
            discussion.references.insert(0, reader.Reference(url=quote(slides), label="PDF", kind="summary"))
        text = writer.write(discussion)
        if newest is not None and not _LATER_HEADER.search(newest.text) and paper.url:
            # The older header is the URL line; the title comes from the file's name. The other
            # bullets (slides, date, presenter) stay under it, where the reader takes them too.
            blocks = text.split("\n\n")
            head = [f"논문 URL : [{paper.url}]({paper.url})"]
            if blocks[0] == "## 논문":
                head += [line for line in blocks[1].split("\n") if not _TITLE_OR_URL.match(line)]
                blocks = blocks[2:]
            text = "\n\n".join(["\n".join(head), *blocks])
        if newest is not None and _headings_run_on(newest.text):
            text = _HEADING_AND_BLANK.sub(r"\1\n", text)  # `## 참여자` with its names right under it
        return text

    # --- Posts, their links, the files they link ---

    def _post(self, row, rows, author):
        body = repolayout.rewrite_links(exporter.text(row.body), lambda target: self._link(row, rows, target))
        return roundtrip.Post(row.label, author, body, rows.depth(row))

    def _link(self, row, rows, target):
        """A link to one of the paper's attachments, as the group writes it (`img/3-1.png`)."""
        found = _ATTACHMENT_PATH.search(urlsplit(target).path)
        attachment = rows.attachments.get(int(found[1])) if found else None
        if attachment is None:
            return None
        if attachment.pk not in self.paths:
            self.paths[attachment.pk] = self._name_for(attachment, rows.paper)
        self.wanted[attachment.pk] = attachment
        return quote(self.paths[attachment.pk])

    def _name_for(self, attachment, paper):
        """A figure uploaded in the app: `img/N-k.ext`, as the group names theirs."""
        stem = paper.session_number if paper.session_number is not None else paper.slug
        extension = Path(attachment.file.name).suffix or ".png"
        folder = "img" if attachment.kind == Attachment.Kind.IMAGE else "summary"
        k = 1
        while f"{folder}/{stem}-{k}{extension}" in self.taken:
            k += 1
        self.taken.add(name := f"{folder}/{stem}-{k}{extension}")
        return name

    def _slides(self, paper, title, season_attachments, *, number=None):
        """The session's slides in `summary/`: the folder's own where they came from it, else
        the newest uploaded in the app as `summary/N. Title.pdf`. Returns that path, or ""."""
        slides = [
            a for a in season_attachments if a.paper_id == paper.pk and a.kind == Attachment.Kind.SLIDES
        ]
        from_folder = [a for a in slides if _from_the_folder(a)]
        for attachment in from_folder:
            self.wanted[attachment.pk] = attachment
        if from_folder or not slides:
            return from_folder[0].original_name if from_folder else ""
        number = number if number is not None else paper.session_number
        newest = max(slides, key=lambda a: (a.created_at, a.pk))
        self.paths[newest.pk] = (
            f"summary/{number}. {title}.pdf" if number is not None else f"summary/{title}.pdf"
        )
        self.wanted[newest.pk] = newest
        return self.paths[newest.pk]

    def _attachment(self, attachment):
        with attachment.file.open("rb") as stored:
            data = stored.read()
        image = attachment.kind == Attachment.Kind.IMAGE
        self.files.append(_File(self.paths[attachment.pk], data, image=image, sha256=attachment.sha256))

    # --- The README ---

    def _readme_base(self):
        """(text, name, kept row) of the README to add to: the folder's own, else the one last
        imported, else a new one; None when the folder's own is not UTF-8 (left as it is)."""
        own = None
        if self.folder.is_dir():
            own = next((p for p in self.folder.iterdir() if p.name.casefold() == "readme.md"), None)
        kept = SourceFile.objects.filter(season=self.season, paper__isnull=True, path__iexact=README).first()
        if own is not None and own.is_file():
            try:
                return own.read_bytes().decode("utf-8"), own.name, kept
            except UnicodeDecodeError:
                self.report.warnings.append(f"{own.name}: not UTF-8 text, left as it is")
                return None
        if kept is not None:
            return kept.text, kept.path, kept
        return "", README, None

    def _readme(self, base, name, kept, entries):
        listed = repolayout.read_readme(base).order
        text = roundtrip.readme_with(base, [e for e in entries if repolayout.title_key(e[1]) not in listed])
        if not text:
            return  # no README, and no session to list in one
        self.files.append(_File(name, text.encode(), base.encode(), note="the paper list"))
        if kept is None or kept.text != text:
            self.afterwards.append(lambda user: writes.keep_readme(season=self.season, path=name, text=text))

    # --- After the files are written ---

    def _exported(self, paper, path, text, rows_in_order, rows, user, number=None):
        """The file written is the version the archive holds now: its spans keyed by the rows."""
        reading = reader.read(text)
        positional = sources.keyed_posts(reading)
        keys, adopted = {}, []
        for row, (key, _parent, _post) in zip(rows_in_order, positional, strict=True):
            if not row.import_key and rows.free(row, key):
                rows.take(row, key)
                adopted.append((row, key))
                keys[row] = key
            else:
                keys[row] = row.import_key or _row_id(row)
        posts = []
        for row, (_key, _parent, post) in zip(rows_in_order, positional, strict=True):
            above = rows.above(row)
            posts.append((keys[row], keys[above] if above is not None else "", post))
        spans = roundtrip.find_spans(text, posts)
        for span, row in zip(spans, rows_in_order, strict=True):
            span.body = roundtrip.digest(row.body)  # as the row has it (links to its attachments)
        writes.exported(
            paper,
            season=self.season,
            path=path,
            text=text,
            spans=[span.as_json() for span in spans],
            keys=adopted,
            session_number=number,
            user=user,
        )


# A heading and the blank line the canonical writer puts under it (it escapes a description's
# own `## ` lines, so every such line it writes is a heading).
_HEADING_AND_BLANK = re.compile(r"^(##[ \t][^\n]*)\n\n", re.MULTILINE)


def _headings_run_on(text) -> bool:
    """Whether a file puts a section's first line right under its heading, as most do."""
    lines, _endings = roundtrip.lines_of(text)
    under = [lines[n + 1].strip() != "" for n, line in enumerate(lines[:-1]) if line.startswith("## ")]
    return sum(under) * 2 > len(under)


def _inside(path) -> bool:
    parts = path.split("/")
    return bool(path) and not path.startswith("/") and all(part not in ("", ".", "..") for part in parts)


def _from_the_folder(attachment) -> bool:
    """A figure or slides import_repository attached from the folder (its name is its path there)."""
    name = attachment.original_name
    return attachment.uploaded_by_id is None and name.startswith(("img/", "summary/")) and _inside(name)


def _style_of(source):
    if source is None:
        return roundtrip.Style()
    return roundtrip.detect_style(source.text, [roundtrip.Span.from_json(data) for data in source.spans])


def _row_id(row) -> str:
    # A post with no import key (made in the app) is known to the spans by its row.
    return f"#{'q' if isinstance(row, Question) else 'a'}{row.pk}"


class _Rows:
    """A paper's questions and answers, every one (a removed post leaves its span), looked up by
    the keys the spans know them by."""

    def __init__(self, paper):
        self.paper = paper
        self.questions = list(
            Question.objects.filter(paper=paper).select_related("author").order_by("position", "pk")
        )
        self.answers = list(
            Answer.objects.filter(question__paper=paper).select_related("author").order_by("position", "pk")
        )
        self.attachments = {a.pk: a for a in Attachment.objects.filter(paper=paper)}
        self.question_by_key = {q.import_key or _row_id(q): q for q in self.questions}
        self.answer_by_key = {(a.question_id, a.import_key or _row_id(a)): a for a in self.answers}
        self.by_pk = {a.pk: a for a in self.answers}
        self.questions_by_pk = {q.pk: q for q in self.questions}
        self.taken_keys = {("Q", q.paper_id, q.import_key) for q in self.questions if q.import_key}
        self.taken_keys |= {("A", a.question_id, a.import_key) for a in self.answers if a.import_key}
        self.children = {}
        for answer in self.answers:
            self.children.setdefault((answer.question_id, answer.parent_id), []).append(answer)

    def find(self, span, by_key):
        if span.kind == "Q":
            return self.question_by_key.get(span.key)
        top = span
        while top.kind != "Q" and top.parent in by_key:
            top = by_key[top.parent]
        question = self.question_by_key.get(top.key)
        return self.answer_by_key.get((question.pk, span.key)) if question is not None else None

    def above(self, row):
        """What an answer answers (its parent answer, or its question); None for a question."""
        if isinstance(row, Question):
            return None
        return self.by_pk[row.parent_id] if row.parent_id else self.questions_by_pk[row.question_id]

    def depth(self, row) -> int:
        depth = 0
        while isinstance(row, Answer) and row.parent_id:
            row, depth = self.by_pk[row.parent_id], depth + 1
        return depth

    def in_order(self):
        """The shown posts in thread order: a question, then its answers, each reply after what
        it replies to (a stack, no recursion)."""
        for question in self.questions:
            if question.hidden_at is not None:
                continue
            yield question
            stack = list(reversed(self.children.get((question.pk, None), [])))
            while stack:
                answer = stack.pop()
                if answer.hidden_at is not None:
                    continue
                yield answer
                stack += reversed(self.children.get((answer.question_id, answer.pk), []))

    def free(self, row, key) -> bool:
        scope = ("Q", row.paper_id, key) if isinstance(row, Question) else ("A", row.question_id, key)
        return scope not in self.taken_keys

    def take(self, row, key):
        scope = ("Q", row.paper_id, key) if isinstance(row, Question) else ("A", row.question_id, key)
        self.taken_keys.add(scope)
