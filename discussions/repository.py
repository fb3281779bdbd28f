"""A season of the group's repository in one import (`manage.py import_repository PATH`).

The folder's sessions and their versions come from discussions.repolayout: every version a commit
made of a session's file, oldest first, then the working tree's when it differs. A paper this run
makes gets its newest version through the importer and its past written at once after it
(writes.replay: each post's history, dates and removals, from the lineage); a paper that exists
gets its new versions through the importer, each commit's together, dated by the commit. All in
one transaction. Figures the files link and the `summary/` slides are attached through
writes.attach, and the bodies pointed at them. docs/repository-history.md tells the whole story.

A paper is the lineage of one file: its path, followed across renames as git follows them
(repolayout's renamed map), and its session number. It remembers that path (Paper.source_path) and
is found by it, never by a URL another file shares (a file that began as a copy of another has the
other's URL in its first versions). A paper imported some other way (no path yet) is found as the
importer finds it, by URL then title, once, and takes the path; its rows take their posts'
lineage keys (writes.replay.adopt).

A post is the lineage of its text across the file's versions (discussions.lineage): each post
carries the import key its lineage began with, so a version that only drops a signature or
renumbers keeps the post, its creation date, its history and its author.

A historical version that cannot be read (a file created empty and filled later, a link the rules
refuse) is skipped with a warning `commit:path:line: message`: it witnesses how the file grew, it is
not an input to hold to every rule. The newest version of each file is held to the rules
(`--skip-bad` governs it, as for a folder outside git).

An imported session with no date of its own is dated from its history: the commit of the first
version of its file that could be read, which is the first one with a question in it (the reader
refuses a file without one), so a file created empty and filled later is dated by the filling.
A session is held after the one numbered before it, so a file filled ahead of its predecessor's
takes that one's date. The paper says so (Paper.date_from_history) until staff set a date.

A paper remembers the digest of the file version it was last imported from (Paper.source_digest),
so a second run replays only what came after it: nothing, when nothing changed (no row, no
history version, no generation moved).
"""

import contextlib
import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from discussions import attachments, importer, limits, lineage, people, repolayout, rules, sources, writes
from discussions.models import Attachment, Paper, unique_slug
from discussions.reader import FormatError
from discussions.writes.replay import adopt, write_past

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")


class Refused(Exception):
    """Nothing was imported; `messages` say why, each as `file:line: message` when there is a line."""

    def __init__(self, message, messages=()):
        super().__init__(message)
        self.messages = list(messages)


@dataclass
class SessionReport:
    number: int | None
    title: str
    versions: int = 0  # versions imported by this run
    created: bool = False
    paper: object = None
    figures: set = field(default_factory=set)  # the folder's images attached to it
    slides: list = field(default_factory=list)  # the summary PDFs attached by this run

    def line(self) -> str:
        what = []
        if self.created:
            what.append(f"created from {self.versions} version(s)")
        elif self.versions:
            what.append(f"updated with {self.versions} version(s)")
        if self.figures:
            what.append(f"{len(self.figures)} figure(s)")
        what += [f"slides {name} attached" for name in self.slides]
        number = f"{self.number}. " if self.number is not None else ""
        return f"{number}{self.title}: {', '.join(what) or 'unchanged'}"


@dataclass
class Report:
    sessions: list[SessionReport] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    full_names: int = 0
    history: bool = False

    def summary(self) -> str:
        imported = sum(1 for s in self.sessions if s.versions)
        versions = sum(s.versions for s in self.sessions)
        source = "git history and working tree" if self.history else "folder"
        parts = [
            f"{len(self.sessions)} session(s) in the {source}",
            f"{imported} imported ({versions} version(s))",
            f"{sum(len(s.slides) for s in self.sessions)} slides attached",
            f"{self.full_names} full name(s) given",
        ]
        if self.refused:
            parts.append(f"{len(self.refused)} file version(s) refused and skipped")
        return "; ".join(parts)


class _DryRun(Exception):
    pass


def import_repository(path, *, dry_run=False, skip_bad=False) -> Report:
    """Import a folder laid out as the group keeps it; Refused when nothing may be imported.

    With dry_run everything is done in one transaction that is rolled back, without attaching
    files (so nothing reaches the storage either)."""
    folder = Path(path)
    if not folder.exists():
        raise Refused(f"{path}: no such folder")
    if not folder.is_dir():
        raise Refused(f"{path}: not a folder (give the folder that holds the discussion files)")
    if (seasons := repolayout.season_folders(folder)) != [folder]:
        names = ", ".join(season.name for season in seasons)
        raise Refused(f"{path}: no discussion files here; they are in its season folders {names} (give one)")
    report = Report()
    try:
        with transaction.atomic() if dry_run else contextlib.nullcontext():
            _import(folder, str(path).rstrip("/") or str(path), report, dry_run=dry_run, skip_bad=skip_bad)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return report


def _import(folder, shown_as, report, *, dry_run, skip_bad):
    readme = _readme(folder)
    files = _files(folder)
    top = {name: (folder / name) for name in files if "/" not in name}
    in_git = repolayout.git_folder(folder)
    report.history = in_git is not None
    if in_git is not None:
        root, prefix = in_git
        versions, renamed = repolayout.git_versions(root, prefix, readme.order)
    else:
        prefix, versions, renamed = [folder.resolve().name], {}, {}
    now_sessions, notes = repolayout.lay_out(list(top), readme.order)
    report.warnings += [f"{shown_as}/{note}" for note in notes]
    numbers, titles = {}, {}
    for key, session in now_sessions.items():
        key = repolayout.final_key(key, renamed)
        data = top[session.name].read_bytes()
        history = versions.setdefault(key, [])
        if not history or history[-1].data != data:
            history.append(repolayout.Version(None, "", session.name, data, order=repolayout.WORKING_TREE))
        numbers[key], titles[key] = session.number, session.title
    for key, history in versions.items():
        if key not in numbers:  # a session the working tree no longer has
            number, title = repolayout.split_name(history[-1].name)
            numbers[key] = number if number is not None else readme.order.get(key)
            titles[key] = title

    readings, refused, skipped = _read(versions, shown_as, prefix, numbers)
    report.refused = refused
    report.warnings += skipped
    if refused and not skip_bad:
        raise Refused(f"{len(refused)} file version(s) refused; nothing was imported", refused)

    sessions = {
        key: repolayout.Session(key, numbers[key], titles[key], versions[key][-1].name) for key in readings
    }
    reports = {key: SessionReport(numbers[key], titles[key]) for key in sorted(readings, key=_order(numbers))}
    report.sessions = list(reports.values())
    images = {name for name in files if name.casefold().endswith(IMAGE_SUFFIXES)}
    pdfs = {name for name in files if name.casefold().endswith(".pdf")}
    checked = _Checked(folder, report)

    # Before the files: a later-style file lists `이정훈` and may come before any file signed `정훈`.
    signers = {
        people.name(post.author)
        for pairs in readings.values()
        for _version, reading in pairs
        for post in repolayout.posts_of(reading)
        if post.author
    }
    report.full_names = len(people.give_full_names(readme.full_names, signers, only_signed=True))

    # As Paper.source_path holds them: the end of a path too long for the column names the file.
    paths = {
        key: ["/".join([*prefix, version.name])[-rules.SOURCE_FILE_LENGTH :] for version, _ in pairs]
        for key, pairs in readings.items()
    }
    papers = _papers(readings, paths)
    history_dates = _history_dates(readings, papers, numbers)
    todo = defaultdict(list)  # (commit order, commit) → [(key, version, reading)]
    pasts = []  # (key, lineage) of the new papers whose past is written after their newest version
    adoptions = []  # (paper, questions, lineage keys) of the papers imported some other way
    for key, pairs in readings.items():
        paper = papers[key]
        reports[key].paper = paper
        digests = [reading.digest for _, reading in pairs]
        if paper is None:
            start = 0
        elif paper.source_digest in digests:
            start = digests.index(paper.source_digest) + 1
            if start == len(pairs) and paper.session_number != numbers[key]:
                start -= 1  # the README's order changed: the newest version again, with the number
        else:
            start = len(pairs) - 1  # imported some other way: the newest version is what it becomes
        adopting = paper is not None and not paper.source_path
        if adopting:
            start = min(start, len(pairs) - 1)  # once: the paper takes its file's path and date
        reports[key].created = paper is None
        if start == len(pairs):
            continue
        if paper is None:
            # Made when its first version is imported: with the path, and the slug of the title it
            # has now (its first version may be a copy of another file, with the other's title).
            reports[key].paper = _new_paper(pairs[-1][1], titles[key], reports.values())
        followed = _follow_posts(pairs)
        if adopting:
            # Its rows are keyed by the labels of the version it was imported from (the newest,
            # when that is not one of these): they take their posts' lineage keys first.
            anchor = digests.index(paper.source_digest) if paper.source_digest in digests else len(pairs) - 1
            adoptions.append((paper, pairs[anchor][1].questions, followed.keys[anchor]))
        dated = history_dates[key]
        for _version, reading in pairs:
            reading.source_path = paths[key][-1]
            if dated and not reading.session_date:
                reading.session_date, reading.date_from_history = dated.isoformat(), True
        if paper is None and len(pairs) > 1:
            # A new paper: its newest version through the importer, its past written at once
            # after it (writes.replay), not version after version.
            pasts.append((key, followed))
            _signed_as_before(pairs[-1][1], followed)
            start = len(pairs) - 1
        for version, reading in pairs[start:]:
            todo[version.order, version.commit].append((key, version, reading))

    session_of = {}  # a file's name, or a reading's id, → its session's key

    def paper_for(filename):
        return reports[session_of[filename]].paper

    def prepare(paper, discussion):
        session = reports[session_of[id(discussion)]]
        return _point_at_files(paper, discussion, prefix, images, pdfs, checked, session)

    # One import per commit, in the commits' order, dated by it; all in one transaction: a commit
    # of the database per version was a quarter of a season's replay on SQLite (its fsync), and a
    # run stopped halfway leaves nothing half done, so the next run replays it all again.
    with transaction.atomic() if todo else contextlib.nullcontext():
        for paper, questions, keys in adoptions:
            adopt(paper, questions, keys)
        _replay(
            todo, shown_as, readings, reports, report, paper_for, None if dry_run else prepare, session_of
        )
        for key, followed in pasts:
            paper = reports[key].paper
            versions = []
            for version, reading in readings[key]:
                if not dry_run and reading is not readings[key][-1][1]:
                    session_of[id(reading)] = key
                    reading = prepare(paper, reading)  # its figures' links, as the newest's
                versions.append((version.when or timezone.now(), reading.questions))
            write_past(paper, versions, followed)
            reports[key].versions = len(versions)

    if not dry_run:
        _keep_sources(folder, prefix, readings, reports)

    for name in sorted(pdfs):
        if not name.startswith("summary/"):
            continue
        key = repolayout.summary_session(name.removeprefix("summary/"), sessions)
        if key is None:
            report.warnings.append(f"{shown_as}/{name}: no session of this name or number (not attached)")
            continue
        paper = reports[key].paper
        pdf = checked.pdf(name)
        if paper is None or pdf is None:
            continue
        if dry_run:
            if not paper.pk or not _attached(paper, pdf, Attachment.Kind.SLIDES):
                reports[key].slides.append(name)
            continue
        if not _attached(paper, pdf, Attachment.Kind.SLIDES):
            writes.attach(paper, pdf, kind=Attachment.Kind.SLIDES, user=None)
            reports[key].slides.append(name)

    # After the files: their signers are known then, so `이정훈` finds `정훈`.
    report.full_names += len(people.give_full_names(readme.full_names))


def _keep_sources(folder, prefix, readings, reports):
    """For export_repository (discussions.sources): the newest version of each file this run
    imported, as the paper's rows now have it, and the README with them. A run that imports
    nothing keeps nothing, so that it only reads (an export prefers the folder's own README)."""
    season = "/".join(prefix) or folder.resolve().name
    if not any(report.versions for report in reports.values()):
        return
    for key, pairs in readings.items():
        version, reading = pairs[-1]
        if reports[key].versions and reports[key].paper is not None:
            sources.keep(
                reports[key].paper,
                season=season,
                path=version.name,
                data=version.data,
                discussion=reading,
                when=version.when,
            )
    sources.keep_readme(folder, season)


def _replay(todo, shown_as, readings, reports, report, paper_for, prepare, session_of):
    for _position, batch in sorted(todo.items()):
        named = []
        for key, version, reading in batch:
            filename = f"{shown_as}/{version.name}"
            session_of[filename] = session_of[id(reading)] = key
            named.append((filename, reading))
        done = importer.import_discussions(named, when=batch[0][1].when, paper_for=paper_for, prepare=prepare)
        for (key, _version, reading), imported in zip(batch, done, strict=True):
            reports[key].paper = imported.paper
            reports[key].versions += 1
            if readings[key][-1][1] is reading:  # the newest version's warnings, not every one's
                report.warnings += imported.warning_lines()


def _papers(readings, paths):
    """Each session's paper, or None: by the paths its file had (one query for every session),
    else, for a paper imported some other way (no path yet), as the importer finds it."""
    every = {path for key_paths in paths.values() for path in key_paths}
    by_path = {paper.source_path: paper for paper in Paper.objects.filter(source_path__in=every)}
    found, taken = {}, set()
    for key in readings:
        paper = next((by_path[path] for path in reversed(paths[key]) if path in by_path), None)
        found[key] = paper
        if paper is not None:
            taken.add(paper.pk)
    for key, pairs in readings.items():
        if found[key] is None:
            paper = importer.find_paper(pairs[-1][1])
            # Another file's paper is not this one, whatever URL or title they share.
            if paper is not None and not paper.source_path and paper.pk not in taken:
                found[key] = paper
                taken.add(paper.pk)
    return found


def _new_paper(newest, title, sessions):
    title = newest.title or title
    slug = unique_slug(Paper, title)
    if any(session.paper is not None and session.paper.slug == slug for session in sessions):
        slug = ""  # another new paper of this run has it: Paper.save() makes one once that one is in
    return Paper(title=title, slug=slug)


def _follow_posts(pairs):
    """Every post of every version carries its lineage's import key (discussions.lineage)."""
    followed = lineage.follow([reading.questions for _version, reading in pairs])
    for (_version, reading), keys in zip(pairs, followed.keys, strict=True):
        for post, key in zip(lineage.walk(reading.questions), keys, strict=True):
            post.lineage_key = key
    return followed


def _signed_as_before(newest, followed):
    """An unsigned post of the newest version is signed by whoever an earlier version said wrote it
    (the importer keeps a row's author the same way when it replays version after version)."""
    for post, author in zip(lineage.walk(newest.questions), followed.authors[-1], strict=True):
        if not post.author and author:
            post.author = author


def _history_dates(readings, papers, numbers):
    """Each session's date from its history (the module's text says which commit), or None: when
    its file or someone gave it one, or its first readable version is not committed yet.

    A session is held after the one numbered before it: a file filled ahead of its predecessor's
    takes that one's date, so sessions dated from history read in the order of their numbers."""
    dates, own = {}, {}
    for key, pairs in readings.items():
        paper, newest, first = papers[key], pairs[-1][1], pairs[0][0]
        if newest.session_date:
            own[key] = datetime.date.fromisoformat(newest.session_date)
        elif paper is not None and paper.session_date is not None and not paper.date_from_history:
            own[key] = paper.session_date
        elif first.when is not None:
            dates[key] = first.when.date()
    latest = None
    for key in sorted(
        (key for key in readings if numbers.get(key) is not None), key=lambda key: numbers[key]
    ):
        if key in dates and latest is not None and dates[key] < latest:
            dates[key] = latest
        latest = max(filter(None, [latest, own.get(key), dates.get(key)]), default=None)
    return {key: dates.get(key) for key in readings}


def _order(numbers):
    return lambda key: (numbers[key] is None, numbers[key] or 0, key)


def _readme(folder):
    for path in folder.iterdir():
        if path.name.casefold() == "readme.md" and repolayout.is_regular_file(path):
            return repolayout.read_readme(path.read_bytes().decode("utf-8", "replace"))
    return repolayout.Readme()


def _files(folder):
    """Every file in the folder, by its path inside it (`img/3-1.png`); hidden ones and symbolic
    links left out (repolayout.folder_files)."""
    return repolayout.folder_files(folder)


def _read(versions, shown_as, prefix, numbers):
    """Each session's readable versions as (version, reading), the newest versions' refusals as
    messages, and warnings for the historical versions skipped."""
    readings, refused, skipped = {}, [], []
    for key, history in versions.items():
        for version in history:
            if not repolayout.is_text(version.data):
                continue  # not a text file: no discussion file (a PDF or image at the top level)
            where = f"{shown_as}/{version.name}"
            if version.commit:
                where = f"{version.commit[:7]}:{'/'.join([*prefix, version.name])}"
            try:
                reading = limits.read_discussion(version.data, where)
            except FormatError as error:
                if version is history[-1]:
                    refused.append(str(error))
                else:
                    skipped.append(f"{error} (an older version, skipped)")
                continue
            reading.session_number = numbers.get(key)
            readings.setdefault(key, []).append((version, reading))
    return readings, refused, skipped


def _attached(paper, checked, kind):
    return Attachment.objects.filter(paper=paper, kind=kind, sha256=checked.sha256).exists()


class _Checked:
    """The folder's figures and PDFs, each read and checked once; a refusal is warned of once."""

    def __init__(self, folder, report):
        self.folder, self.report, self.done = folder, report, {}

    def _get(self, name, check):
        if name not in self.done:
            try:
                self.done[name] = check((self.folder / name).read_bytes(), name)
            except attachments.Refused as error:
                self.report.warnings.append(f"{self.folder}/{name}: {error} (left as it is)")
                self.done[name] = None
        return self.done[name]

    def image(self, name):
        return self._get(name, attachments.check_image)

    def pdf(self, name):
        return self._get(name, attachments.check_pdf)


def _point_at_files(paper, discussion, prefix, images, pdfs, checked, session):
    """The reading with the folder's figures attached to the paper and its posts pointing at them,
    and a `- 요약 :` link into `summary/` pointing at the attached slides."""

    def figure(target):
        name = repolayout.file_in_folder(target, prefix, images)
        image = checked.image(name) if name else None
        if image is None:
            return None
        attachment, _created = writes.attach(paper, image, kind=Attachment.Kind.IMAGE, user=None)
        session.figures.add(name)
        return attachment.get_absolute_url()

    for post in repolayout.posts_of(discussion):
        post.body = repolayout.rewrite_links(post.body, figure)
    for reference in discussion.references:
        name = repolayout.file_in_folder(reference.url, prefix, pdfs)
        pdf = checked.pdf(name) if name else None
        if pdf is not None:
            attachment, created = writes.attach(paper, pdf, kind=Attachment.Kind.SLIDES, user=None)
            if created:
                session.slides.append(name)
            reference.url = attachment.get_absolute_url()
    return discussion
