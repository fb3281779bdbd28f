"""Save a reading of a discussion file into the database, in one transaction.

The reader (discussions.reader) knows the file format; this module only knows
which rows a reading becomes, and how a re-import updates them without losing
anything a member wrote in the app.
"""

import copy
import datetime
import functools
import hashlib
from collections import Counter, defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

from discussions import limits, reader, rules
from discussions.models import (
    Answer,
    Paper,
    Question,
    TaggedQuestion,
    Topic,
    arxiv_id_of,
    nfc,
    normalise_url,
)
from discussions.people import participants, presenter
from discussions.rendering import rendered_ahead
from discussions.topics import load_rules
from discussions.writes import archive_write
from discussions.writes.imports import (
    _apply,
    _create_references,
    _fill,
    _remove_vanished,
    _renumber,
    _sync_references,
)


@dataclass
class ImportReport:
    filename: str
    paper: Paper
    created: bool
    counts: Counter = field(default_factory=Counter)
    warnings: list[reader.ReadWarning] = field(default_factory=list)

    def summary(self) -> str:
        verb = "created" if self.created else "updated"
        parts = [f"{self.counts[name]} {name}" for name in ("questions", "answers", "open answers")]
        if not self.created:
            # What this import wrote, in posts: the rest of the thread was left as it was.
            parts += [f"{self.counts[name]} {name}" for name in ("changed", "removed", "added")]
        if self.counts["kept from the app"]:
            parts.append(f"{self.counts['kept from the app']} kept as written in the app")
        return f"{self.filename}: {verb} “{self.paper.title}” ({', '.join(parts)})"

    def warning_lines(self) -> list[str]:
        return [f"{self.filename}:{w.line}: {w.message}" for w in self.warnings]


class DryRunRollback(Exception):
    pass


def read_file(path: Path | str) -> reader.Discussion:
    """Read a file; errors and warnings name it as the user gave it. A file above the limits
    (discussions/limits.py) is refused before it is read, as `file: message`."""
    return limits.read_discussion_file(path)


def import_discussions(readings, *, dry_run=False, workers=0, when=None, **overrides) -> list[ImportReport]:
    """Import several readings all or nothing; `readings` are (filename, Discussion) pairs.

    With workers, that many processes render the bodies of the papers ahead of the one being
    saved; a paper's first import, and a re-import's new and changed posts, take their HTML
    from them.

    when: the date of this version of the files (a commit's, import_repository), given to the
    rows and history versions it writes; None is now. Two more overrides serve import_repository:
    prepare(paper, discussion) is called with each paper once it is saved, before its thread is
    written (a repository's figures are attached to it and the bodies pointed at them), and
    paper_for(filename) names the paper a file is, when an earlier version of it made one.
    """
    readings = list(readings)
    batches = [[post.body for post in _walk(discussion.questions)] for _, discussion in readings]
    reports = []
    try:
        with (
            rendered_ahead(batches, workers=workers) as rendered_batches,
            archive_write() as write,
            _indexed_at_the_end(),
        ):
            ensure_topics()
            # Looked up once for the whole import; topics made on the way are added to it.
            topics = {topic.name.casefold(): topic for topic in Topic.objects.all()}
            for (filename, discussion), rendered in zip(readings, rendered_batches, strict=True):
                reports.append(
                    _import_one(write, discussion, filename, topics, rendered, when=when, **overrides)
                )
            if dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    return reports


# The bodies' bigram indexes (migration 0020): GIN, over a computed array of a few hundred bigrams
# a body, the most of what PostgreSQL does in an import.
BIGRAM_INDEXES = ["discussions_question_body_bigrams", "discussions_answer_body_bigrams"]


@contextmanager
def _indexed_at_the_end():
    """Into an archive with no papers on PostgreSQL (its first import, from the command line, the
    admin's upload or import_repository's first commit), the bodies' bigram indexes are dropped
    and built again once every row is in: one build took 11.5 s for 100,000 answers where keeping
    the index up row by row took 15.5 s. In the import's transaction, so a dry run
    or a failed import gets them back as they were. Dropping an index locks its table until the
    import commits; an archive with no papers has nothing to show meanwhile, so only then."""
    # No paper, no questions nor answers, and no page that reads them. Asked on SQLite too, so
    # that an import costs the same queries on both databases.
    if Paper.objects.exists() or connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        # Built again from their own definitions, so a later migration changing them is followed.
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ANY(%s)",
            [BIGRAM_INDEXES],
        )
        definitions = [definition for (definition,) in cursor.fetchall()]
        for name in BIGRAM_INDEXES:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
    yield
    # An index is not built on a table with foreign keys still to check (Django defers them to
    # the commit): checked now, as the commit would.
    connection.check_constraints()
    with connection.cursor() as cursor:
        for definition in definitions:
            cursor.execute(definition)


def import_discussion(discussion, *, filename, dry_run=False, title="", url="") -> ImportReport:
    return import_discussions([(filename, discussion)], dry_run=dry_run, title=title, url=url)[0]


def _import_one(
    write,
    discussion: reader.Discussion,
    filename,
    topics,
    rendered,
    *,
    when=None,
    prepare=None,
    paper_for=None,
    title="",
    url="",
):
    known = paper_for(filename) if paper_for is not None else None
    if known is not None and known.pk is None:
        paper = known  # import_repository: a paper not saved yet, the one this file's lineage makes
    elif known is not None:
        paper = Paper.objects.select_for_update(no_key=True).filter(pk=known.pk).first()
    else:
        paper = _find_paper(discussion, title=title, url=url)
    created = paper is None or paper.pk is None
    if created:
        # The reader's title follows the title rule already; a bare file name is made to, too.
        paper = paper or Paper(title=discussion.title or rules.clean_title(Path(filename).stem))
        if when is not None:
            paper.created_at = when
    people = participants((post.author for post in _walk(discussion.questions)), discussion.participants)
    found = None if created else copy.copy(paper)
    before = None if created else _paper_fields(paper)
    _set_paper_fields(paper, discussion, filename, title=title, url=url)
    if discussion.presenter:
        paper.presenter = presenter(discussion.presenter, people)
    if _paper_fields(paper) != before:
        paper.source_digest = discussion.digest or paper.source_digest
        paper.save()
        # A paper's history gets a version for a change, not for every import.
        write.changed(paper, found, user=None, when=when)
        if when is not None:
            Paper.objects.filter(pk=paper.pk).update(updated_at=when)
    elif discussion.digest and discussion.digest != paper.source_digest:
        # Not in the history: which version of the file came last is the import's bookkeeping.
        Paper.objects.filter(pk=paper.pk).update(source_digest=discussion.digest)
        paper.source_digest = discussion.digest
    if prepare is not None:
        discussion = prepare(paper, discussion)
    report = ImportReport(filename=filename, paper=paper, created=created, warnings=list(discussion.warnings))

    if created:
        # A new paper has no rows yet: nothing to compare with, so every level goes in bulk.
        _create_references(paper, discussion)
        _create_thread(write, paper, discussion.questions, people, report, topics, rendered, when)
        # Its people are the file's: those listed and those who signed (people holds both).
        Paper.participants.through.objects.bulk_create(
            Paper.participants.through(paper=paper, participant=person) for person in set(people.values())
        )
        return report

    _sync_references(write, paper, discussion, when)
    writers = _sync_questions(write, paper, discussion.questions, people, report, topics, rendered, when)
    listed = {people[name].pk for name in discussion.participants}
    # set() reads the current rows and adds or removes only the difference.
    paper.participants.set(listed | writers)
    return report


def find_paper(discussion):
    """The paper a reading is, as an import would find it (unlocked: to look, not to write)."""
    return _find_paper(discussion, title="", url="", papers=Paper.objects.all())


def _find_paper(discussion, *, title, url, papers=None):
    """The paper this file is, locked, or None.

    A re-import reads every row it may write from the row itself, locked until the import
    commits: the paper first, then its questions, then their answers (_sync_questions), always
    in that order. A member's edit locks one post with its conditional UPDATE, so it either
    commits before the import reads that post, or waits for the import to finish.
    """
    url = url or discussion.url
    if papers is None:
        papers = Paper.objects.select_for_update(no_key=True)
    paper = None
    if arxiv_id_of(url):
        paper = papers.filter(arxiv_id=arxiv_id_of(url)).first()
    if paper is None and normalise_url(url):
        paper = papers.filter(url_key=normalise_url(url)).first()
    if paper is None and (title or discussion.title):
        same_title = papers.filter(title__iexact=title or discussion.title)
        if normalise_url(url):
            # Two papers may share a title ("Attention is all you need" has its imitators); a URL
            # that differs says they are different papers, so only a paper with no URL can match.
            same_title = same_title.filter(url_key="")
        paper = same_title.first()
    return paper


def _set_paper_fields(paper, discussion, filename, *, title, url):
    url = url or discussion.url
    if title:
        paper.title = title
        paper.lock({"title"})
    elif not paper.title_locked and discussion.title_source == "header":
        paper.title = discussion.title
    if url and url != discussion.url:
        paper.url = url
        paper.lock({"url"})
    elif discussion.url and not paper.url_locked:
        paper.url = discussion.url
    paper.description = discussion.description
    paper.source_file = filename[-rules.SOURCE_FILE_LENGTH :]  # the end of a long path names the file
    # A session's date and presenter: the file's when it gives them, else as the app has them.
    if discussion.session_date:
        paper.session_date = datetime.date.fromisoformat(discussion.session_date)
    if discussion.session_number is not None:
        paper.session_number = discussion.session_number
    # import_repository's (lineage): the file's path, and a session date taken from its history.
    if discussion.session_date:
        paper.date_from_history = discussion.date_from_history
    paper.source_path = discussion.source_path or paper.source_path


def _paper_fields(paper):
    return (
        paper.session_date,
        paper.presenter_id,
        paper.title,
        paper.title_locked,
        paper.url,
        paper.url_locked,
        paper.description,
        paper.source_file,
        paper.session_number,
        paper.date_from_history,
        paper.source_path,
    )


def _walk(questions):
    # In the file's order, with a stack (a thread may be a thousand replies deep).
    for question in questions:
        yield question
        yield from reader.thread_order(question.answers)


def _keys(posts):
    """A stable key per post: label, signature and how many identical ones came before it."""
    seen = Counter()
    for post in posts:
        # import_repository gives each post the key of its lineage (discussions.lineage): the key
        # it had where it began, so a post relabelled or unsigned since finds its row again.
        if lineage_key := getattr(post, "lineage_key", ""):
            yield lineage_key, post
            continue
        base = f"{post.label}|{nfc(post.author or '')}"
        seen[base] += 1
        yield f"{base}|{seen[base]}", post


def answer_key(prefix, key):
    """A reply's key is its parent's, `>`, its own; deep in a thread that outgrows the column, so
    a key that would is replaced by its digest (the same every import, so it still finds the row)."""
    full = f"{prefix}{key}"
    if len(full) <= rules.IMPORT_KEY_LENGTH:
        return full
    return "#" + hashlib.sha256(full.encode()).hexdigest()


def _sync_questions(write, paper, file_questions, people, report, topics, rendered, when=None):
    """Bring a paper's thread to the file's: write only the rows the file changed, never what a
    member wrote, add the file's new posts and remove those it no longer has (unless members wrote
    them or under them). Every decision is taken on the rows as they are locked now, not on copies
    read earlier. Returns the ids of everyone who signed a post in the thread.
    """
    # The paper is locked already (_import_one); then its questions, then their answers.
    questions = list(Question.objects.select_for_update(no_key=True).filter(paper=paper).order_by("pk"))
    answers = list(
        Answer.objects.select_for_update(of=("self",), no_key=True)
        .filter(question__paper=paper)
        .order_by("pk")
    )
    tagged = defaultdict(dict)  # question id → {topic id: TaggedQuestion id}
    for pk, question_id, topic_id in TaggedQuestion.objects.filter(content_object__paper=paper).values_list(
        "pk", "content_object_id", "tag_id"
    ):
        tagged[question_id][topic_id] = pk

    keyed = {q.import_key: q for q in questions if q.import_key}
    new_questions, from_file, level = [], [], []
    untag, tag = [], []  # TaggedQuestion ids to delete, TaggedQuestion rows to insert
    for position, (key, fq) in enumerate(_keys(file_questions), start=1):
        question = keyed.pop(key, None)
        if question is None:
            question = Question(paper=paper, import_key=key, position=position)
            _fill(question, fq, people, rendered, when)
            new_questions.append(question)
        names = _topics(question, fq)
        if names is not None:
            # Topic rows from `topics`, so a topic made here is known to the files after this one.
            _add_missing_topics(topics, names)
            wanted = {topics[name.casefold()].pk for name in names}
            have = tagged[question.pk] if question.pk else {}
            untag += [pk for topic_id, pk in have.items() if topic_id not in wanted]
            tag += [TaggedQuestion(content_object=question, tag_id=pk) for pk in wanted if pk not in have]
        topic_names = None if names is None else ", ".join(names)
        if question.pk:
            _apply(write, question, fq, people, report, rendered, when, topic_names=topic_names)
        else:
            question.topic_names = topic_names
        report.counts["questions"] += 1
        from_file.append(question)
        level.append((question, None, fq.answers, ""))
    if new_questions:
        _bulk_create(write, new_questions, Question, when)
        report.counts["added"] += len(new_questions)
    if untag:
        TaggedQuestion.objects.filter(pk__in=untag).delete()
    TaggedQuestion.objects.bulk_create(tag)

    groups = [(sorted(questions, key=_thread_order), from_file)]
    matched, new_answers = _sync_answers(write, level, answers, people, report, rendered, groups, when)

    vanished_answers = [a for a in answers if a.import_key and a.pk not in matched]
    gone = _remove_vanished(write, list(keyed.values()), vanished_answers, questions, answers, report, when)
    _renumber(groups, gone)
    posts = [*questions, *new_questions, *answers, *new_answers]
    return {post.author_id for post in posts if post.author_id and post.pk not in gone[type(post)]}


def _thread_order(post):
    return (post.position, post.pk)


def _create_thread(write, paper, file_questions, people, report, topics, rendered, when=None):
    """A paper's first import: every row is new, so they go in a few bulk inserts per level
    (questions, answers, replies, replies to replies …), history rows and topics included."""
    questions, topics_of = [], {}
    for position, (key, fq) in enumerate(_keys(file_questions), start=1):
        question = Question(paper=paper, import_key=key, position=position)
        _fill(question, fq, people, rendered, when)
        names = _topics(question, fq)
        question.topic_names = ", ".join(names)
        questions.append((question, fq))
        topics_of[key] = names
    _bulk_create(write, [q for q, _ in questions], Question, when)
    report.counts["questions"] += len(questions)

    _add_missing_topics(topics, {name for names in topics_of.values() for name in names})
    TaggedQuestion.objects.bulk_create(
        TaggedQuestion(content_object=question, tag=topics[name.casefold()])
        for question, _ in questions
        for name in topics_of[question.import_key]
    )

    level = [(question, None, fq.answers, "") for question, fq in questions]
    while level:
        made = []
        for question, parent, file_answers, prefix in level:
            for position, (key, fa) in enumerate(_keys(file_answers), start=1):
                key = answer_key(prefix, key)
                answer = Answer(question=question, parent=parent, import_key=key, position=position)
                _fill(answer, fa, people, rendered, when)
                report.counts["open answers" if answer.is_open else "answers"] += 1
                made.append((answer, fa))
        _bulk_create(write, [answer for answer, _ in made], Answer, when)
        level = [(a.question, a, fa.replies, f"{a.import_key}>") for a, fa in made if fa.replies]


def _bulk_create(write, posts, model, when):
    """New posts and their first history versions, dated `when` (None: now)."""
    model.objects.bulk_create(posts)
    write.created(posts, user=None, when=when)
    if when is not None and posts:
        # updated_at is auto_now, which an insert sets to now whatever the row says.
        model.objects.filter(pk__in=[post.pk for post in posts]).update(updated_at=when)
        for post in posts:
            post.updated_at = when


def _add_missing_topics(topics, names):
    """Make the topics not in `topics` (by case-folded name) yet; the rules' topics exist already."""
    for name in names:
        if name.casefold() not in topics:
            topics[name.casefold()] = Topic.objects.create(name=name)


def _topics(question, parsed):
    """The topics a question gets from the file, or None to leave them: the file's tags, else the
    rules' guess. Topics a member or admin chose by hand are never replaced."""
    if question.tags_by_hand:
        return None
    texts = [post.body for post in _walk([parsed]) if post is not parsed]
    names = parsed.tags or topic_rules().topics_for(parsed.body, texts)
    return sorted(set(names), key=str.casefold)


@functools.cache
def topic_rules():
    return load_rules(settings.TOPIC_RULES)


def ensure_topics():
    """Topics named in the rules exist, with their descriptions, before any question is tagged
    (in one query when they do, as on every import but the first)."""
    existing = set(
        Topic.objects.filter(name__in=[rule.name for rule in topic_rules().topics]).values_list(
            "name", flat=True
        )
    )
    for rule in topic_rules().topics:
        if rule.name not in existing:
            Topic.objects.get_or_create(name=rule.name, defaults={"description": rule.description})


def _sync_answers(write, level, answers, people, report, rendered, groups, when=None):
    """The answers under `level`'s posts, one depth at a time (no recursion, however deep a thread
    goes): update those the file still has, create its new ones in one insert per depth. Adds each
    set of siblings (in their old order, and in the file's) to `groups`; returns the ids of the
    answers found in the file, and the new answers."""
    matched, made = set(), []
    children = defaultdict(list)
    for answer in answers:
        children[(answer.question_id, answer.parent_id)].append(answer)
    while level:
        new, next_level = [], []
        for question, parent, file_answers, prefix in level:
            siblings = children.get((question.pk, parent.pk if parent else None), [])
            keyed = {a.import_key: a for a in siblings if a.import_key}
            from_file = []
            for position, (key, fa) in enumerate(_keys(file_answers), start=1):
                key = answer_key(prefix, key)
                answer = keyed.pop(key, None)
                if answer is None:
                    answer = Answer(question=question, parent=parent, import_key=key, position=position)
                    _fill(answer, fa, people, rendered, when)
                    new.append(answer)
                else:
                    matched.add(answer.pk)
                    _apply(write, answer, fa, people, report, rendered, when)
                report.counts["open answers" if answer.is_open else "answers"] += 1
                from_file.append(answer)
                next_level.append((question, answer, fa.replies, f"{key}>"))
            if siblings or from_file:
                groups.append((sorted(siblings, key=_thread_order), from_file))
        if new:
            _bulk_create(write, new, Answer, when)
            report.counts["added"] += len(new)
            made += new
        level = next_level
    return matched, made
