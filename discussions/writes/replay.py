"""A new paper's past, written at once: the versions of its file before the newest, as history.

import_repository imports a file's newest version through the importer (the paper, its references,
its thread in bulk), then gives this module every version with the lineage of its posts
(discussions.lineage). What the importer would have written replaying the versions one by one is
written here in a few bulk statements instead (a season's 120 versions took fifteen times the
import of its newest files, about 38 queries a version):
- each post's history: a version where it began, one for each version that changed its label,
  text, signer or meeting mark, dated by the commits; its creation date, its last change's date
  and its version number (one more per change of text, as the importer counts) to match;
- each post a later version took out: its row made and deleted, so its history holds what it
  said, and the removal dated by the commit that took it out;
- the paper's creation, dated by the first version.

Only for a paper this import makes: nobody wrote in it in the app yet, so every row is the
file's. A paper that exists already gets its new versions through the importer, one by one.
"""

import copy
from collections import Counter, defaultdict

from discussions import importer, lineage, people
from discussions.models import Answer, Paper, Participant, Question, nfc
from discussions.rendering import render_markdown
from discussions.writes.core import archive_write, create, record


def write_past(paper, versions, followed):
    """versions: (when, questions) for every version of the paper's file, oldest first, the newest
    the one the paper was just imported from; followed: discussions.lineage.follow() of them."""
    with archive_write() as write:
        _write_past(write, paper, versions, followed)


def _write_past(write, paper, versions, followed):
    newest = len(versions) - 1
    posts = [list(lineage.walk(questions)) for _when, questions in versions]
    states = followed.states()
    people = _people({name for names in followed.authors for name in names if name})

    # The rows the importer made from the newest version, by lineage.
    # (A post the importer made no row for has no history here either.)
    rows = {}
    questions = {q.import_key: q for q in Question.objects.filter(paper=paper)}
    for index, post_id in enumerate(followed.ids[newest]):
        question, _parent = followed.threads[newest][index]
        if question == post_id and (row := questions.get(followed.keys[newest][index])) is not None:
            rows[post_id] = row
    answers = Answer.objects.filter(question__paper=paper)
    by_place = {(a.question_id, a.import_key): a for a in answers}
    for index, post_id in enumerate(followed.ids[newest]):
        question, parent = followed.threads[newest][index]
        if question != post_id and question in rows and (parent is None or parent in rows):
            key = _answer_key(rows.get(parent), followed.keys[newest][index])
            if (row := by_place.get((rows[question].pk, key))) is not None:
                rows[post_id] = row

    newest_rows = dict(rows)

    # The posts the newest version no longer has: made (questions first, then answers whose
    # question and parent exist) and deleted at the end, so their history has a row to belong to.
    gone = sorted(
        (post_id for post_id in states if states[post_id][-1][0] < newest), key=lambda n: states[n][-1]
    )
    waiting = list(gone)
    while waiting:
        made, later = [], []
        for post_id in waiting:
            version, index = states[post_id][-1]
            question, parent = followed.threads[version][index]
            if question != post_id and (question not in rows or (parent is not None and parent not in rows)):
                later.append(post_id)
                continue
            post = posts[version][index]
            if question == post_id:
                row = Question(paper=paper, position=0, discussed=post.discussed)
                row.import_key = followed.keys[version][index]
            else:
                row = Answer(question=rows[question], parent=rows.get(parent), position=0)
                row.import_key = _answer_key(rows.get(parent), followed.keys[version][index])
            row.label, row.body = post.label, post.body
            row.author = people.get(followed.authors[version][index])
            row.body_html = render_markdown(post.body)
            made.append((post_id, row))
        if not made:
            break  # cannot happen: a post's question and parent are in every version it is in
        for model in (Question, Answer):
            model.objects.bulk_create([row for _lineage, row in made if isinstance(row, model)])
        rows.update(made)
        waiting = later

    # Every post's history, as the importer would have recorded it version after version.
    firsts, changes = [], []
    created, updated, numbered = defaultdict(list), defaultdict(list), defaultdict(list)
    rendered = {}
    for post_id, seen in states.items():
        row = rows.get(post_id)
        if row is None:
            continue
        previous, number, last_change = None, 1, None
        for version, index in seen:
            post = posts[version][index]
            author = people.get(followed.authors[version][index])
            state = (post.label, post.body, author.pk if author else None, getattr(post, "discussed", False))
            if state == previous:
                continue
            if previous is not None and post.body != previous[1]:
                number += 1
            when = versions[version][0]
            snapshot = copy.copy(row)
            snapshot.label, snapshot.body, snapshot.author_id = state[0], state[1], state[2]
            if isinstance(row, Question):
                snapshot.discussed = state[3]
            if post.body not in rendered:
                rendered[post.body] = render_markdown(post.body)
            snapshot.body_html = rendered[post.body]
            snapshot.version = number
            snapshot.created_at = versions[seen[0][0]][0]
            (firsts if previous is None else changes).append((when, snapshot))
            previous, last_change = state, when
        model = type(row)
        created[(model, versions[seen[0][0]][0])].append(row.pk)
        updated[(model, last_change)].append(row.pk)
        numbered[(model, number)].append(row.pk)

    for model in (Question, Answer):
        # The importer's versions of the newest rows, dated by the newest commit: replaced by these.
        model.history.filter(
            id__in=[row.pk for n, row in newest_rows.items() if isinstance(row, model)]
        ).delete()
    for kind, snapshots in (("+", firsts), ("~", changes)):
        by_date = defaultdict(list)
        for when, snapshot in snapshots:
            by_date[when].append(snapshot)
        for when, same in by_date.items():
            record(same, None, when=when, kind=kind)
    for (model, when), pks in created.items():
        model.objects.filter(pk__in=pks).update(created_at=when)
    for (model, when), pks in updated.items():
        model.objects.filter(pk__in=pks).update(updated_at=when)
    for (model, number), pks in numbered.items():
        if number != 1:
            model.objects.filter(pk__in=pks).update(version=number)

    # The removals, dated by the version that no longer had them.
    removed = defaultdict(lambda: defaultdict(list))  # when → model → pks
    for post_id in gone:
        if post_id in rows:
            removed[versions[states[post_id][-1][0] + 1][0]][type(rows[post_id])].append(rows[post_id].pk)
    for when, by_model in removed.items():
        for model in (Answer, Question):
            if by_model[model]:
                write.delete(model.objects.filter(pk__in=by_model[model]), user=None, when=when)

    first = versions[0][0]
    Paper.objects.filter(pk=paper.pk).update(created_at=first)
    Paper.history.filter(id=paper.pk).update(history_date=first)
    paper.created_at = first


def _answer_key(parent, key):
    # As the importer keys a reply: its parent's key, `>`, its own (importer.answer_key).
    return importer.answer_key(f"{parent.import_key}>" if parent is not None else "", key)


def _people(names):
    """Everyone who signed a post in any version: those the archive knows, the rest made now."""
    known = people.known(names)
    return {name: known.get(name) or create(Participant(name=name), user=None) for name in sorted(names)}


def adopt(paper, questions, keys):
    """A paper imported before import_repository followed its file (import_discussion, the admin's
    upload): its rows are keyed as the importer keys labels (`label|signature|n`). Each row of a
    post of `questions` (the version the rows were last imported from) takes its lineage's key
    (`keys`, in walk order, discussions.lineage), so the replay finds it by lineage from now on.
    Returns how many rows were re-keyed."""
    with archive_write(paper.pk):
        questions_by_key = {q.import_key: q for q in Question.objects.filter(paper=paper)}
        answers = Answer.objects.filter(question__paper=paper)
        answers_by_key = {(a.question_id, a.import_key): a for a in answers}
        full = {}  # id(post) → (its key by label, its key by lineage), the parents' prefixes in
        moved = []
        for (post, parent, question, plain), key in zip(_by_label(questions), keys, strict=True):
            if question is None:
                full[id(post)] = (plain, key)
                row = questions_by_key.get(plain)
            else:
                plain_prefix, lineage_prefix = (f"{k}>" for k in full[id(parent)]) if parent else ("", "")
                full[id(post)] = (
                    importer.answer_key(plain_prefix, plain),
                    importer.answer_key(lineage_prefix, key),
                )
                row_of_question = questions_by_key.get(full[id(question)][0])
                row = row_of_question and answers_by_key.get((row_of_question.pk, full[id(post)][0]))
            if row is not None and row.import_key != full[id(post)][1]:
                moved.append((row, full[id(post)][1]))
        # Through a key of its own first: two rows may swap keys (`A1` and `A2` renumbered).
        for model in (Question, Answer):
            rows = [(row, key) for row, key in moved if isinstance(row, model)]
            for row, _key in rows:
                row.import_key = f"#adopting {row.pk}"
            model.objects.bulk_update([row for row, _key in rows], ["import_key"])
            for row, key in rows:
                row.import_key = key
            model.objects.bulk_update([row for row, _key in rows], ["import_key"])
    return len(moved)


def _by_label(questions):
    """(post, the answer it replies to or None, its question or None, the key the importer gives
    it by its label: `label|signature|n`, local to its siblings) in walk order."""
    seen = Counter()
    for question in questions:
        base = f"{question.label}|{nfc(question.author or '')}"
        seen[("questions", base)] += 1
        yield question, None, None, f"{base}|{seen[('questions', base)]}"
        stack = [(answer, None) for answer in reversed(question.answers)]
        while stack:
            answer, parent = stack.pop()
            base = f"{answer.label}|{nfc(answer.author or '')}"
            scope = (id(question), id(parent), base)
            seen[scope] += 1
            yield answer, parent, question, f"{base}|{seen[scope]}"
            stack.extend((reply, answer) for reply in reversed(answer.replies))
