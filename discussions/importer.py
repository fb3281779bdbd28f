"""Save a reading of a discussion file into the database, in one transaction.

The reader (discussions.reader) knows the file format; this module only knows
which rows a reading becomes, and how a re-import updates them without losing
anything a member wrote in the app.
"""

import functools
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from discussions import reader, rules
from discussions.models import (
    Answer,
    Paper,
    Participant,
    ParticipantAlias,
    Question,
    Reference,
    TaggedQuestion,
    Topic,
    archive_write,
    arxiv_id_of,
    nfc,
    normalise_url,
)
from discussions.rendering import render_markdown, rendered_ahead
from discussions.topics import load_rules


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
        if self.counts["kept from the app"]:
            parts.append(f"{self.counts['kept from the app']} kept as written in the app")
        return f"{self.filename}: {verb} “{self.paper.title}” ({', '.join(parts)})"

    def warning_lines(self) -> list[str]:
        return [f"{self.filename}:{w.line}: {w.message}" for w in self.warnings]


class DryRunRollback(Exception):
    pass


def read_file(path: Path | str) -> reader.Discussion:
    """Read a file; errors and warnings name it as the user gave it."""
    return reader.read(Path(path).read_bytes(), filename=str(path))


def import_discussions(readings, *, dry_run=False, workers=0, **overrides) -> list[ImportReport]:
    """Import several readings all or nothing; `readings` are (filename, Discussion) pairs.

    With workers, that many processes render the bodies of the papers ahead of the one being
    saved, and a paper's first import takes its HTML from them. (A re-import saves row by row,
    and each save renders its own body.)
    """
    readings = list(readings)
    batches = [[post.body for post in _walk(discussion.questions)] for _, discussion in readings]
    reports = []
    try:
        with rendered_ahead(batches, workers=workers) as rendered_batches, archive_write():
            ensure_topics()
            # Looked up once for the whole import; topics made on the way are added to it.
            topics = {topic.name.casefold(): topic for topic in Topic.objects.all()}
            for (filename, discussion), rendered in zip(readings, rendered_batches, strict=True):
                reports.append(_import_one(discussion, filename, topics, rendered, **overrides))
            if dry_run:
                raise DryRunRollback
    except DryRunRollback:
        pass
    return reports


def import_discussion(discussion, *, filename, dry_run=False, title="", url="") -> ImportReport:
    return import_discussions([(filename, discussion)], dry_run=dry_run, title=title, url=url)[0]


def _import_one(discussion: reader.Discussion, filename, topics, rendered, *, title="", url=""):
    paper, created = _find_or_create_paper(discussion, filename, title=title, url=url)
    report = ImportReport(filename=filename, paper=paper, created=created, warnings=list(discussion.warnings))
    paper.description = discussion.description
    paper.source_file = filename[-rules.SOURCE_FILE_LENGTH :]  # the end of a long path names the file
    paper.save()

    people = _participants(discussion)
    if created:
        # A new paper has no rows yet: nothing to compare with, so every level goes in bulk.
        _create_references(paper, discussion)
        _create_thread(paper, discussion.questions, people, report, topics, rendered)
        # Its people are the file's: those listed and those who signed (people holds both).
        Paper.participants.through.objects.bulk_create(
            Paper.participants.through(paper=paper, participant=person) for person in set(people.values())
        )
        return report

    _sync_references(paper, discussion)
    _sync_questions(paper, discussion.questions, people, report, topics, rendered)
    listed = [people[name] for name in discussion.participants]
    writers = Participant.objects.filter(pk__in=_author_ids(paper))
    paper.participants.set({*listed, *writers})
    return report


def _find_or_create_paper(discussion, filename, *, title, url):
    url = url or discussion.url
    paper = None
    if arxiv_id_of(url):
        paper = Paper.objects.filter(arxiv_id=arxiv_id_of(url)).first()
    if paper is None and normalise_url(url):
        paper = Paper.objects.filter(url_key=normalise_url(url)).first()
    if paper is None and (title or discussion.title):
        same_title = Paper.objects.filter(title__iexact=title or discussion.title)
        if normalise_url(url):
            # Two papers may share a title ("Attention is all you need" has its imitators); a URL
            # that differs says they are different papers, so only a paper with no URL can match.
            same_title = same_title.filter(url_key="")
        paper = same_title.first()
    created = paper is None
    if created:
        paper = Paper(title=discussion.title or Path(filename).stem)

    if title:
        paper.title, paper.title_locked = title, True
    elif not paper.title_locked and discussion.title_source == "header":
        paper.title = discussion.title
    if url and url != discussion.url:
        paper.url, paper.url_locked = url, True
    elif discussion.url and not paper.url_locked:
        paper.url = discussion.url
    return paper, created


def _participants(discussion) -> dict[str, Participant]:
    """Signers and listed names → participants; a listed full name finds the one signer it ends with."""
    signers = {nfc(post.author) for post in _walk(discussion.questions) if post.author}
    listed = {nfc(name) for name in discussion.participants}
    known = _known(signers | listed)
    people = {name: known.get(name) or Participant.objects.create(name=name) for name in sorted(signers)}

    for name in discussion.participants:
        name_nfc = nfc(name)
        if name_nfc not in people:
            people[name_nfc] = known.get(name_nfc) or _by_signature(name_nfc, signers, people)
        people[name] = people[name_nfc]
    return people


def _known(names) -> dict[str, Participant]:
    """Who these names are: the participant who signs with one, is listed under it, or was merged
    from it; in two queries however many names there are."""
    aliases = ParticipantAlias.objects.filter(name__in=names).select_related("participant")
    found = {alias.name: alias.participant for alias in aliases}
    people = list(Participant.objects.filter(Q(name__in=names) | Q(full_name__in=names)))
    found |= {person.full_name: person for person in people if person.full_name}
    found |= {person.name: person for person in people}  # a signature wins over another's full name
    return found


def _by_signature(full_name, signers, people):
    """`남궁민상` is the one participant whose signature ends it (`민상`), else a participant of its own."""
    suffixes = {full_name[i:] for i in range(1, len(full_name))}
    candidates = {s for s in signers if s in suffixes}
    candidates |= set(Participant.objects.filter(name__in=suffixes).values_list("name", flat=True))
    if len(candidates) != 1:
        return Participant.objects.create(name=full_name)
    (signature,) = candidates
    person = people.get(signature) or Participant.objects.get(name=signature)
    if not person.full_name:
        person.full_name = full_name
        person.save(update_fields=["full_name"])
    return person


def _walk(questions):
    # In the file's order, with a stack (a thread may be a thousand replies deep).
    for question in questions:
        yield question
        yield from reader.thread_order(question.answers)


def _author_ids(paper):
    question_authors = paper.questions.values_list("author", flat=True)
    answer_authors = Answer.objects.filter(question__paper=paper).values_list("author", flat=True)
    return {pk for pk in [*question_authors, *answer_authors] if pk}


def _references(discussion):
    """(position, url, label, kind, origin) of the file's references, each (origin, url) once; a kind
    the file does not give is inferred from the URL."""
    wanted = [(ref.url, ref.label, ref.kind, Reference.Origin.LISTED) for ref in discussion.references]
    wanted += [(link, "", "", Reference.Origin.CITED) for link in discussion.cited_links()]
    seen = set()
    for position, (link, label, kind, origin) in enumerate(wanted):
        if (origin, link) not in seen:
            seen.add((origin, link))
            yield position, link, label, kind or Reference.infer_kind(link), origin


def _create_references(paper, discussion):
    Reference.objects.bulk_create(
        Reference(paper=paper, url=link, label=label, origin=origin, position=position, kind=kind)
        for position, link, label, kind, origin in _references(discussion)
    )


def _sync_references(paper, discussion):
    existing = {(ref.origin, ref.url): ref for ref in paper.references.all()}
    for position, link, label, kind, origin in _references(discussion):
        ref = existing.get((origin, link))
        if ref is None:
            # The kind is set once; an admin's correction survives re-imports.
            ref = Reference(paper=paper, url=link, origin=origin, kind=kind)
        ref.label, ref.position = label, position
        ref.save()


def _keys(posts):
    """A stable key per post: label, signature and how many identical ones came before it."""
    seen = Counter()
    for post in posts:
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


def _sync_questions(paper, file_questions, people, report, topics, rendered):
    existing = {q.import_key: q for q in paper.questions.all()}
    if not existing:
        return _create_thread(paper, file_questions, people, report, topics, rendered)
    kept_order = sorted(existing.values(), key=lambda q: q.position)
    from_file = []
    for position, (key, fq) in enumerate(_keys(file_questions), start=1):
        question = existing.pop(key, None) or Question(paper=paper, import_key=key, position=position)
        _apply(question, fq, people, report)
        names = _topics(question, fq)
        question.save()
        if names is not None:
            # Topic rows from `topics`, so a topic made here is known to the files after this one.
            _add_missing_topics(topics, names)
            question.tags.set([topics[name.casefold()] for name in names])
        report.counts["questions"] += 1
        _sync_answers(question, None, fq.answers, people, report, prefix="")
        from_file.append(question)

    _remove_vanished(existing.values(), Question)
    _renumber(kept_order, from_file)


def _create_thread(paper, file_questions, people, report, topics, rendered):
    """A paper's first import: every row is new, so they go in a few bulk inserts per level
    (questions, answers, replies, replies to replies …), history rows and topics included."""
    questions, topics_of = [], {}
    for position, (key, fq) in enumerate(_keys(file_questions), start=1):
        question = Question(paper=paper, import_key=key, position=position)
        _apply(question, fq, people, report)
        names = _topics(question, fq)
        question.body_html = _html(question.body, rendered)
        questions.append((question, fq))
        topics_of[key] = names
    bulk_create_with_history([q for q, _ in questions], Question)
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
                _apply(answer, fa, people, report)
                answer.body_html = _html(answer.body, rendered)
                report.counts["open answers" if answer.is_open else "answers"] += 1
                made.append((answer, fa))
        bulk_create_with_history([answer for answer, _ in made], Answer)
        level = [(a.question, a, fa.replies, f"{a.import_key}>") for a, fa in made if fa.replies]


def _html(body, rendered):
    """The body's HTML: rendered beforehand when it was, else now."""
    html = rendered.get(body)
    return render_markdown(body) if html is None else html


def _add_missing_topics(topics, names):
    """Make the topics not in `topics` (by case-folded name) yet; the rules' topics exist already."""
    for name in names:
        if name.casefold() not in topics:
            topics[name.casefold()] = Topic.objects.create(name=name)


def _topics(question, parsed):
    """The topics to set on a question, or None to leave them: the file's, else the rules' guess.

    Topics a member or admin chose by hand are never replaced. Setting topic_names before the
    save keeps the import to one history version per question.
    """
    if question.tags_by_hand:
        return None
    texts = [post.body for post in _walk([parsed]) if post is not parsed]
    names = parsed.tags or topic_rules().topics_for(parsed.body, texts)
    names = sorted(set(names), key=str.casefold)
    if question.pk and names == sorted(question.tags.names(), key=str.casefold):
        return None
    question.topic_names = ", ".join(names)
    return names


@functools.cache
def topic_rules():
    return load_rules(settings.TOPIC_RULES)


def ensure_topics():
    """Topics named in the rules exist, with their descriptions, before any question is tagged."""
    for rule in topic_rules().topics:
        Topic.objects.get_or_create(name=rule.name, defaults={"description": rule.description})


def _sync_answers(question, parent, file_answers, people, report, prefix):
    siblings = question.answers.filter(parent=parent) if question.pk else Answer.objects.none()
    existing = {a.import_key: a for a in siblings}
    kept_order = sorted(existing.values(), key=lambda a: a.position)
    from_file = []
    for position, (key, fa) in enumerate(_keys(file_answers), start=1):
        key = answer_key(prefix, key)
        answer = existing.pop(key, None) or Answer(
            question=question, parent=parent, import_key=key, position=position
        )
        _apply(answer, fa, people, report)
        answer.save()
        report.counts["open answers" if answer.is_open else "answers"] += 1
        _sync_answers(question, answer, fa.replies, people, report, prefix=f"{key}>")
        from_file.append(answer)

    _remove_vanished(existing.values(), Answer)
    _renumber(kept_order, from_file)


def _apply(post, parsed, people, report):
    post.label = parsed.label
    post.author = people[nfc(parsed.author)] if parsed.author else None
    if not post.written_in_app:
        post.body = parsed.body
    elif post.body != parsed.body:
        report.counts["kept from the app"] += 1
        if parsed.body:
            report.warnings.append(
                reader.ReadWarning(
                    parsed.line,
                    f"{post.signature} was written in the app; the app's text is kept, not the file's",
                )
            )


def _remove_vanished(posts, model):
    """Posts the file no longer has go, unless a member wrote them (or under them) in the app."""
    for post in posts:
        if not post.import_key or _has_app_writing(post, model):
            continue
        post.delete()


def _has_app_writing(post, model):
    if post.written_in_app:
        return True
    made_or_changed_in_app = Q(written_in_app=True) | Q(import_key="")
    if model is Question:
        return post.answers.filter(made_or_changed_in_app).exists()
    return post.replies.filter(made_or_changed_in_app).exists() or any(
        _has_app_writing(reply, Answer) for reply in post.replies.all()
    )


def _renumber(previous_order, from_file):
    """Thread order: the file's order, with each app-made post kept right after the post it followed."""
    order = list(from_file)
    placed = {p.pk for p in order}
    after = None
    for post in previous_order:
        if post.pk in placed:
            after = post
            continue
        if post.pk is None:
            continue  # deleted by _remove_vanished
        index = order.index(after) + 1 if after in order else len(order)
        order.insert(index, post)
        placed.add(post.pk)
        after = post
    for position, post in enumerate(order, start=1):
        if post.position != position:
            # Order is not content: an update, not a save, so the history gets no empty version.
            type(post).objects.filter(pk=post.pk).update(position=position)
            post.position = position
