"""A file version's changes, applied to a paper's rows by the importer (discussions.importer).

The importer reads and matches; the rows it writes go through here and `writes.core`, as every
other write does: a changed post is one UPDATE conditional on the version read under the lock and
one history version (Write.changed), a vanished post is deleted with its "-" version
(Write.delete), and the pages to render afresh are worked out from those rows. Every row written
here is locked already: the importer locks the paper, then its questions, then their answers
(importer._find_paper, _sync_questions), before it decides anything.
"""

from collections import defaultdict

from django.utils import timezone

from discussions import reader
from discussions.models import Answer, Question, Reference, nfc
from discussions.rendering import render_body


def _rendered(body, rendered):
    """The body's HTML and places: from the workers when they rendered it (rendered_ahead), else now."""
    found = rendered.get(body)
    return render_body(body) if found is None else found


def _fill(post, parsed, people, rendered, when=None):
    """A new row's fields, from the file."""
    if when is not None:
        post.created_at = when
    post.label = parsed.label
    post.author = people[nfc(parsed.author)] if parsed.author else None
    post.body = parsed.body
    post.body_html, post.places = _rendered(parsed.body, rendered)
    if isinstance(parsed, reader.Question):
        post.discussed = parsed.discussed


def _apply(write, post, parsed, people, report, rendered, when=None, *, topic_names=None):
    """Write what the file changed on a locked row, and nothing a member wrote in the app.

    A row the file does not change is not written at all. A changed row gets one UPDATE of the
    changed fields, conditional on the version read under the lock (and, for its text, on no
    member having written it), and one history version (Write.update). A new text moves the
    version on, so a member whose form started from the old text gets the conflict page instead of
    overwriting it.
    """
    changes = {}
    if post.label != parsed.label:
        changes["label"] = parsed.label
    # A signature the file gives wins; an unsigned post in the file keeps the author the app
    # gave it (staff signing the group's unsigned posts, a member's confirmed "this one is mine").
    if parsed.author and post.author_id != people[nfc(parsed.author)].pk:
        changes["author"] = people[nfc(parsed.author)]
    if post.body != parsed.body:
        if post.written_in_app:
            report.counts["kept from the app"] += 1
            if parsed.body:
                report.warnings.append(
                    reader.ReadWarning(
                        parsed.line,
                        f"{post.signature} was written in the app; the app's text is kept, not the file's",
                    )
                )
        else:
            changes["body"] = parsed.body
            changes["body_html"], changes["places"] = _rendered(parsed.body, rendered)
    if topic_names is not None and topic_names != post.topic_names:
        changes["topic_names"] = topic_names
    # Marked in the meeting: a file says so, and an older file without the mark does not undo it.
    if isinstance(parsed, reader.Question) and parsed.discussed and not post.discussed:
        changes["discussed"] = True
    if not changes:
        return
    changes["updated_at"] = when or timezone.now()
    new_text = "body" in changes
    where = {"written_in_app": False} if new_text else {}
    # Imported: no user. The lock makes a refusal impossible; the condition states what must hold.
    if write.update(post, user=None, when=when, bump=new_text, where=where, **changes):
        report.counts["changed"] += 1


def _remove_vanished(write, questions_gone, answers_gone, questions, answers, report, when=None):
    """Delete the posts the file no longer has, unless a member wrote them or under them.
    Returns the ids deleted, by model."""
    kept_questions, kept_answers = _has_app_writing(questions, answers)
    gone = {
        Answer: {a.pk for a in answers_gone if a.pk not in kept_answers},
        Question: {q.pk for q in questions_gone if q.pk not in kept_questions},
    }
    for model, pks in gone.items():
        if pks:
            write.delete(model.objects.filter(pk__in=pks), user=None, when=when)
    report.counts["removed"] += len(gone[Question]) + len(gone[Answer])
    return gone


def _has_app_writing(questions, answers):
    """The ids of the questions and of the answers a member wrote or wrote under: made or changed
    in the app themselves, or with a reply at any depth that was. One walk up from each such
    answer, which stops at the first post already marked: no recursion, each post marked once."""
    by_pk = {a.pk: a for a in answers}
    question_ids = {q.pk for q in questions if q.written_in_app or not q.import_key}
    answer_ids = set()
    for answer in answers:
        if answer.import_key and not answer.written_in_app:
            continue
        question_ids.add(answer.question_id)
        while answer is not None and answer.pk not in answer_ids:
            answer_ids.add(answer.pk)
            answer = by_pk.get(answer.parent_id)
    return question_ids, answer_ids


def _renumber(groups, gone):
    """Thread order: the file's order, with each post the file does not have (made in the app, or
    kept for what members wrote under it) right after the post it followed, or last when it
    followed none. Writes only the rows whose position changes; order is not content, so the
    history gets no version for it."""
    moved = defaultdict(list)
    for previous_order, from_file in groups:
        order = list(from_file)
        placed = {post.pk for post in order}
        after = None
        for post in previous_order:
            if post.pk in gone[type(post)]:
                continue
            if post.pk not in placed:
                order.insert(order.index(after) + 1 if after is not None else len(order), post)
                placed.add(post.pk)
            after = post
        if [post.pk for post in order] == [p.pk for p in previous_order if p.pk not in gone[type(p)]]:
            continue  # the same order: its numbers (gaps and all) still say it
        for position, post in enumerate(order, start=1):
            if post.position != position:
                post.position = position
                moved[type(post)].append(post)
    for model, posts in moved.items():
        model.objects.bulk_update(posts, ["position"])


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
    # No history versions: a reference with one was added or changed in the app (_sync_references).
    Reference.objects.bulk_create(
        Reference(paper=paper, url=link, label=label, origin=origin, position=position, kind=kind)
        for position, link, label, kind, origin in _references(discussion)
    )


def _sync_references(write, paper, discussion, when=None):
    """The paper's references become the file's, writing only those the file added, changed or
    removed. The kind is set once: an admin's correction survives re-imports. A reference added or
    changed in the app or the admin (it has a history there; imports write none for a reference they
    add or change) is never removed."""
    existing = {(ref.origin, ref.url): ref for ref in paper.references.all()}
    new, changed = [], []
    for position, link, label, kind, origin in _references(discussion):
        ref = existing.pop((origin, link), None)
        if ref is None:
            new.append(
                Reference(paper=paper, url=link, label=label, origin=origin, position=position, kind=kind)
            )
        elif (ref.label, ref.position) != (label, position):
            ref.label, ref.position = label, position
            changed.append(ref)
    if existing:
        gone = {ref.pk for ref in existing.values()}
        gone -= set(Reference.history.filter(id__in=gone).values_list("id", flat=True))
        if gone:
            write.delete(Reference.objects.filter(pk__in=gone), user=None, when=when)
    Reference.objects.bulk_update(changed, ["label", "position"])
    Reference.objects.bulk_create(new)
