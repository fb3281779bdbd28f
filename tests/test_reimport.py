"""Importing a paper's file again, over an archive members have written in.

A re-import writes only what the file changed and nothing a member wrote, judged on the rows as
they are when it writes: these tests pin each kind of change on the rows, the report and the
history, and race members' edits against a re-import on real PostgreSQL connections.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from discussions import reader, writes
from discussions.importer import import_discussion, topic_rules
from discussions.models import Answer, Paper, Participant, Question, Reference, Topic
from tests.conftest import SEED, generated_discussion
from tests.test_concurrency import in_threads

BEFORE = """\
## 논문

- 제목 : Re-import
- 원본 : [https://arxiv.org/abs/2101.00001](https://arxiv.org/abs/2101.00001)

## 참여자

가, 나, 다, 바

## 논문 Background

1) Old : [https://example.org/old](https://example.org/old)
2) Kept : [https://example.org/kept](https://example.org/kept)

## 토론

Q1 (가). 그대로인 질문

A1 (나). 그대로인 답

↳ A1 (다). 그대로인 답글

A1 (다).

Q2 (나). 편향에 대한 질문

A2 (가). 파일이 고칠 답

A2 (다). 파일이 지울 답, 앱 답글이 달림

A2 (나). 파일이 지울 답

↳ A2 (가). 같이 지워질 답글

Q3 (다). 회원이 고칠 질문

Q4 (가). 파일이 지울 질문

A4 (나). 같이 지워질 답

Q5 (나). 서명이 지워질 질문

Q6 (가).
<!-- tags: few-shot -->
태그가 바뀔 질문
"""

# Edited (Q2, A2 (가), Q3), added (A2 (라), Q7), removed (Q4, A2 (나), A2 (다)), reordered (Q2
# before Q1, A1 (다) before A1 (나)), unsigned (Q5), other topics (Q2 by the rules, Q6 by its
# tags), a reference relabelled and moved, one added, one cited, one gone, a participant gone.
AFTER = """\
## 논문

- 제목 : Re-import
- 원본 : [https://arxiv.org/abs/2101.00001](https://arxiv.org/abs/2101.00001)

## 참여자

가, 나, 다, 라

## 논문 Background

1) Kept, relabelled : [https://example.org/kept](https://example.org/kept)
2) New : [https://example.org/new](https://example.org/new)

## 토론

Q2 (나). 효율에 대한 질문으로 고침

A2 (가). 파일이 고친 답, https://example.org/cited 참고

A2 (라). 새 답

Q1 (가). 그대로인 질문

A1 (다).

A1 (나). 그대로인 답

↳ A1 (다). 그대로인 답글

Q3 (다). 파일도 고친 질문

Q5. 서명이 지워질 질문

Q6 (가).
<!-- tags: scaling, Brand new -->
태그가 바뀔 질문

Q7 (다). 새 질문, 편향은?
"""


def reimport(text, filename="p.md"):
    return import_discussion(reader.read(text, filename), filename=filename)


def post(model, label, author, body_start=""):
    rows = (
        model.objects.filter(label=label, author__name=author)
        if author
        else model.objects.filter(label=label)
    )
    return rows.get(body__startswith=body_start)


def history(row):
    return type(row).history.filter(id=row.pk).count()


@pytest.fixture
def written_in(db):
    """The BEFORE paper after members wrote in it: a filled open answer, an edited question, an
    app answer, an app reply under a file answer the AFTER file removes, an app question."""
    paper = reimport(BEFORE).paper
    member = Participant.objects.create(name="마")
    q1, q3 = post(Question, "Q1", "가"), post(Question, "Q3", "다")
    slot = Answer.objects.get(question=q1, author__name="다", parent=None)
    writes.fill(slot, "앱에서 채운 답", expected_version=1, user=None)
    writes.save_text(q3, "앱에서 고친 질문", expected_version=1, user=None)
    app_answer = writes.answer(q1, author=member, body="앱에서 단 답", user=None)[0]
    doomed = post(Answer, "A2", "다")
    app_reply = writes.answer(
        doomed.question, author=member, body="앱에서 단 답글", user=None, parent=doomed
    )[0]
    asked = Question.objects.create(
        paper=paper, label="Q8", author=member, body="앱에서 한 질문", position=7, written_in_app=True
    )
    Reference.objects.filter(url="https://example.org/kept").update(kind="code")  # an admin's correction
    return {
        "paper": paper,
        "slot": slot,
        "q3": q3,
        "app_answer": app_answer,
        "app_reply": app_reply,
        "doomed": doomed,
        "asked": asked,
    }


def test_a_changed_file_changes_what_it_changed_and_keeps_what_members_wrote(written_in):
    unchanged = {
        "q1": post(Question, "Q1", "가"),
        "a1": post(Answer, "A1", "나"),
        "reply": post(Answer, "A1", "다", "그대로인 답글"),
        "slot": written_in["slot"],
        "q3": written_in["q3"],
        "app answer": written_in["app_answer"],
        "app reply": written_in["app_reply"],
        "doomed": written_in["doomed"],
        "asked": written_in["asked"],
    }
    changed = {
        "q2": post(Question, "Q2", "나"),
        "a2": post(Answer, "A2", "가", "파일이"),
        "q6": post(Question, "Q6", "가"),
    }
    gone = [post(Question, "Q4", "가"), post(Question, "Q5", "나")]
    gone += [post(Answer, "A4", "나"), post(Answer, "A2", "나"), post(Answer, "A2", "가", "같이")]
    before = {name: (history(row), row.version) for name, row in {**unchanged, **changed}.items()}
    kept_reference = Reference.objects.get(url="https://example.org/kept")

    report = reimport(AFTER)

    # The file's edits, one UPDATE and one history version each; a new text moves the version on.
    q2, a2, q6 = (type(row).objects.get(pk=row.pk) for row in changed.values())
    assert q2.body == "효율에 대한 질문으로 고침" and "효율" in q2.body_html
    assert a2.body.startswith("파일이 고친 답") and "https://example.org/cited" in a2.body_html
    assert (q2.version, a2.version, q6.version) == (2, 2, 1)  # Q6: its topics only
    for name in changed:
        assert history(changed[name]) == before[name][0] + 1, name
    assert q2.history.first().body == q2.body

    # Members' writing is kept as it was, version and all; the rows the file left alone, too.
    for name, row in unchanged.items():
        now = type(row).objects.get(pk=row.pk)
        assert (history(now), now.version, now.body) == (before[name][0], before[name][1], row.body), name
    slot, q3 = Answer.objects.get(pk=written_in["slot"].pk), Question.objects.get(pk=written_in["q3"].pk)
    assert (slot.body, slot.version, slot.written_in_app) == ("앱에서 채운 답", 2, True)
    assert (q3.body, q3.version, q3.written_in_app) == ("앱에서 고친 질문", 2, True)

    # Removed: what no member wrote or wrote under; the answer with a member's reply stays.
    for row in gone:
        assert not type(row).objects.filter(pk=row.pk).exists(), row
    assert Answer.objects.get(pk=written_in["app_reply"].pk).parent_id == written_in["doomed"].pk

    # Added, and the thread in the file's order with the app's posts after the post they followed.
    paper = written_in["paper"]
    assert [(q.label, q.author.name if q.author else None) for q in paper.questions.all()] == [
        ("Q2", "나"),
        ("Q1", "가"),
        ("Q3", "다"),
        ("Q5", None),
        ("Q6", "가"),
        ("Q8", "마"),
        ("Q7", "다"),
    ]
    assert [a.body for a in q2.answers.filter(parent=None)] == [
        a2.body,
        "파일이 지울 답, 앱 답글이 달림",
        "새 답",
    ]
    q1 = unchanged["q1"]
    assert [a.body for a in q1.answers.filter(parent=None)] == [
        "앱에서 채운 답",
        "앱에서 단 답",
        "그대로인 답",
    ]
    assert Question.history.filter(id=post(Question, "Q7", "다").pk).count() == 1  # made, once

    # Topics: the rules' guess follows the new text (the rules' topic keeps its description),
    # the file's tags replace the old ones.
    assert list(q2.tags.names()) == ["efficiency"] and q2.topic_names == "efficiency"
    efficiency = next(rule for rule in topic_rules().topics if rule.name == "efficiency")
    assert Topic.objects.get(name="efficiency").description == efficiency.description
    assert sorted(q6.tags.names()) == ["Brand new", "scaling"] and q6.topic_names == "Brand new, scaling"
    q7 = post(Question, "Q7", "다")
    assert list(q7.tags.names()) == ["bias"] and q7.topic_names == "bias"

    # References: the file's, in its order; a changed one updated in place (its kind kept).
    refs = list(paper.references.values_list("url", "label", "origin", "kind"))
    assert refs == [
        ("https://example.org/kept", "Kept, relabelled", "listed", "code"),
        ("https://example.org/new", "New", "listed", "blog"),
        ("https://example.org/cited", "", "cited", "blog"),
    ]
    assert paper.references.get(url="https://example.org/kept").pk == kept_reference.pk
    # People: the file's and everyone who wrote; 바, listed before and no longer, goes.
    assert set(paper.participants.values_list("name", flat=True)) == {"가", "나", "다", "라", "마"}

    counts = {name: report.counts[name] for name in ("questions", "answers", "open answers")}
    assert counts == {"questions": 6, "answers": 5, "open answers": 0}
    assert (report.counts["changed"], report.counts["removed"], report.counts["added"]) == (3, 5, 3)
    assert report.counts["kept from the app"] == 2  # the filled answer and the edited question
    assert (
        "(6 questions, 5 answers, 0 open answers, 3 changed, 5 removed, 3 added, 2 kept as"
        in report.summary()
    )
    assert [w.line for w in report.warnings] == [AFTER.splitlines().index("Q3 (다). 파일도 고친 질문") + 1]


def test_the_same_file_again_writes_nothing(written_in):
    rows = [*Question.objects.all(), *Answer.objects.all()]
    before = [(history(row), row.version, row.position, row.updated_at) for row in rows]
    papers = Paper.history.count()

    report = reimport(BEFORE)

    rows = [type(row).objects.get(pk=row.pk) for row in rows]
    assert [(history(row), row.version, row.position, row.updated_at) for row in rows] == before
    assert Paper.history.count() == papers
    assert (report.counts["changed"], report.counts["removed"], report.counts["added"]) == (0, 0, 0)
    assert "0 changed, 0 removed, 0 added" in report.summary()


def test_reimporting_the_seed_unchanged_costs_a_fixed_number_of_queries(seeded, django_assert_num_queries):
    discussion = reader.read(SEED.read_bytes(), str(SEED))
    # SAVEPOINT, the generation, whether the archive has papers yet (importer._indexed_at_the_end),
    # the rules' topics, all topics, the paper found by its arXiv id and locked, the people
    # (aliases, participants), the references, the questions then the answers locked, their
    # topics, the paper's people, RELEASE SAVEPOINT. Nothing is written.
    with django_assert_num_queries(14):
        import_discussion(
            discussion, filename="gpt3-discussion.md", title="Language Models are Few-Shot Learners"
        )


def test_reimporting_an_unchanged_paper_costs_the_same_queries_however_long_its_thread(db):
    def queries(questions):
        discussion = generated_discussion(questions=questions, title=f"{questions} questions")
        import_discussion(discussion, filename="g.md")
        with CaptureQueriesContext(connection) as ctx:
            report = import_discussion(discussion, filename="g.md")
        assert report.counts["changed"] == 0
        return len(ctx.captured_queries)

    assert queries(2) == queries(10)


# --- Members writing while the same paper is re-imported, on real PostgreSQL connections -----------

ROUNDS = 8


def thread_file(round_, version):
    """A paper of 6 questions × 3 answers (the last of each open): `version` changes every text,
    and the second version fills the open answers."""
    lines = [f"## 논문\n\n- 제목 : Race {round_}\n\n## 토론\n"]
    for q in range(1, 7):
        lines.append(f"Q{q} (가). 질문 {q}, 판 {version}\n")
        for a, who in enumerate(["나", "다", "라"]):
            body = "" if a == 2 and version == 1 else f"답 {q}-{a}, 판 {version}"
            lines.append(f"A{q} ({who}). {body}\n")
    return "\n".join(lines)


def saved(write, row, text, **version):
    try:
        write(row, text, user=None, **version)
    except writes.Conflict:
        return False
    return True


def edit_everything(paper):
    """A member saving each post from the version she just read, as the edit form does."""
    results = []
    for model, rows in (
        (Question, Question.objects.filter(paper=paper)),
        (Answer, Answer.objects.filter(question__paper=paper).exclude(body="")),
    ):
        for pk in reversed(list(rows.values_list("pk", flat=True))):
            row = model.objects.get(pk=pk)
            text = f"회원이 고친 {model.__name__} {pk}"
            results.append(
                (
                    row,
                    text,
                    saved(writes.save_text, row, text, expected_version=row.version),
                )
            )
    return results


def fill_everything(paper):
    results = []
    for pk in Answer.objects.filter(question__paper=paper, body="").values_list("pk", flat=True):
        row = Answer.objects.get(pk=pk)
        text = f"회원이 채운 답 {pk}"
        results.append((row, text, saved(writes.fill, row, text, expected_version=1)))
    return results


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL's row locks and concurrent connections"
)
@pytest.mark.parametrize(
    "member", [edit_everything, fill_everything], ids=["edit-vs-reimport", "fill-vs-reimport"]
)
def test_no_saved_member_write_is_lost_to_a_reimport_running_at_once(transactional_db, member):
    won = 0
    for round_ in range(ROUNDS):
        filename = f"race-{round_}.md"
        paper = reimport(thread_file(round_, 1), filename).paper

        def member_job(paper=paper):
            return [(row, text, ok, row.version) for row, text, ok in member(paper)]

        def import_job(round_=round_, filename=filename):
            return reimport(thread_file(round_, 2), filename)

        results, report = in_threads(member_job, import_job)
        assert report.counts["questions"] == 6
        for row, text, ok, version in results:
            now = type(row).objects.get(pk=row.pk)
            if ok:
                won += 1
                # Saved means saved: the text, and the version and flag that protect it.
                assert (now.body, now.written_in_app) == (text, True), (round_, row.label)
                assert now.version == version
            else:
                # The member was told she lost (the conflict page): the file's new text won.
                assert "판 2" in now.body and not now.written_in_app, (round_, row.label)
        assert Answer.objects.filter(question__paper=paper).count() == 18
    assert won, "no member write was saved: the test raced nothing"


def test_a_reference_added_in_the_app_survives_a_file_that_does_not_list_it(seeded):
    listed = list(seeded.references.listed())
    rows = [(ref, ref.label, ref.url, ref.kind, False) for ref in listed]
    rows.append((None, "발표자가 더한 글", "https://example.org/added-in-the-app", "blog", False))
    writes.save_references(seeded, expected_version=seeded.version, user=None, rows=rows)
    call_command("seed", stdout=StringIO())
    assert seeded.references.filter(url="https://example.org/added-in-the-app").exists()
    assert seeded.references.listed().count() == len(listed) + 1


SIGNED = """\
## 논문

- 제목 : Signatures
- 원본 : https://example.org/signatures

## 토론

Q1 (가). 질문

A1 (나). 답
"""


def test_a_file_that_signs_a_post_with_another_name_gives_it_that_author(db):
    reimport(SIGNED)
    report = reimport(SIGNED.replace("A1 (나)", "A1 (다)"))
    (answer,) = Answer.objects.all()
    assert (answer.author.name, answer.body) == ("다", "답")
    assert Question.objects.get().author.name == "가"
    # Another signature is another post to the file (its key): the old one goes, the new one comes.
    assert (report.counts["removed"], report.counts["added"]) == (1, 1)


def test_the_files_signature_wins_over_an_author_changed_in_the_admin(db):
    reimport(SIGNED)
    answer = Answer.objects.get()
    answer.author = Participant.objects.create(name="관리자가 고른 사람")
    writes.admin_save(answer, user=None, created=False, changed_fields=["author"])
    versions = history(answer)
    report = reimport(SIGNED)
    answer = Answer.objects.get(pk=answer.pk)
    assert answer.author.name == "나"
    assert history(answer) == versions + 1
    assert report.counts["changed"] == 1


def test_a_replayed_version_of_a_file_dates_its_rows_and_history_by_its_commit(db):
    import datetime

    from django.utils import timezone

    from discussions.importer import import_discussions

    reimport(SIGNED)
    when = timezone.make_aware(datetime.datetime(2024, 3, 1, 12, 0))
    changed = SIGNED.replace("A1 (나). 답", "A1 (나). 고친 답").replace("Signatures", "Signatures, again")
    import_discussions([("p.md", reader.read(changed, "p.md"))], when=when)
    answer = Answer.objects.get()
    assert (answer.body, answer.updated_at) == ("고친 답", when)
    assert answer.history.latest("history_id").history_date == when
    paper = Paper.objects.get()
    assert (paper.title, paper.updated_at) == ("Signatures, again", when)
    assert paper.history.latest("history_id").history_date == when
    # A post the version adds was written then, too.
    added = changed + "\nA1 (다). 그때 더한 답\n"
    import_discussions([("p.md", reader.read(added, "p.md"))], when=when)
    assert Answer.objects.get(body="그때 더한 답").created_at == when


def test_a_title_changed_in_the_app_survives_the_next_import(make_paper):
    from tests.conftest import generated_discussion

    url = "https://example.org/paper"
    paper = make_paper(questions=2, url=url)
    writes.update_session(paper, expected_version=paper.version, user=None, title="The presenter's title")
    import_discussion(generated_discussion(questions=2, url=url), filename="generated.md")
    assert Paper.objects.get().title == "The presenter's title"


def test_a_url_changed_in_the_app_survives_the_next_import(make_paper):
    from tests.conftest import generated_discussion

    arxiv = "https://arxiv.org/abs/2101.00001"
    paper = make_paper(questions=2, url=arxiv)
    own = "https://openreview.net/forum?id=abc"
    writes.update_session(paper, expected_version=paper.version, user=None, url=own)
    # Still found by its arXiv id, which a paper keeps when its URL changes.
    import_discussion(generated_discussion(questions=2, url=arxiv), filename="generated.md")
    assert Paper.objects.get().url == own


def test_the_imported_paper_carries_the_digest_of_the_file_just_read(db):
    reimport(SIGNED)
    changed = reader.read(
        SIGNED.replace("A1 (나). 답", "A1 (나). 고친 답"), "p.md"
    )  # the paper's own fields stay
    report = import_discussion(changed, filename="p.md")
    assert report.paper.source_digest == Paper.objects.get().source_digest == changed.digest


def test_import_keys_stay_as_earlier_imports_stored_them(db):
    """A re-import finds its rows by these keys: keys spelled another way would find none of an
    archive imported before, and replace every post."""
    reimport(SIGNED.replace("A1 (나). 답", "A1 (나). 답\n\n↳ A1 (가). 답글"))
    assert Question.objects.get().import_key == "Q1|가|1"
    keys = set(Answer.objects.values_list("import_key", flat=True))
    assert keys == {"A1|나|1", "A1|나|1>A1|가|1"}


def test_a_file_that_marks_a_question_discussed_marks_it_with_one_version(db):
    reimport(SIGNED)
    q = Question.objects.get()
    versions = history(q)
    report = reimport(SIGNED.replace("Q1 (가). 질문", "Q1 (가).\n<!-- discussed -->\n질문"))
    q = Question.objects.get(pk=q.pk)
    assert q.discussed and history(q) == versions + 1
    assert q.history.latest("history_id").discussed
    assert report.counts["changed"] == 1


def test_a_key_as_long_as_the_column_is_kept_and_a_longer_one_becomes_its_digest():
    from discussions import rules
    from discussions.importer import answer_key

    fits = "A1|가|1>" + "x" * (rules.IMPORT_KEY_LENGTH - len("A1|가|1>"))
    assert answer_key("", fits) == fits
    longer = answer_key("", fits + "x")
    assert longer.startswith("#") and len(longer) <= rules.IMPORT_KEY_LENGTH
    assert answer_key("", fits + "x") == longer  # the same every import


def test_a_reply_chain_deeper_than_the_key_column_imports_and_reimports_unchanged(db):
    author = "아주긴서명" * 8  # 40 characters a level: a dozen levels outgrow the column

    def chain(depth):
        reply = None
        for level in reversed(range(depth)):
            reply = reader.Answer(
                label="A1", author=author, body=f"깊이 {level}", replies=[reply] if reply else []
            )
        return reply

    def discussion():
        question = reader.Question(label="Q1", author="가", body="질문", answers=[chain(20)])
        return reader.Discussion(title="Deep", title_source="header", questions=[question])

    import_discussion(discussion(), filename="deep.md")
    keys = list(Answer.objects.order_by("pk").values_list("import_key", flat=True))
    assert len(keys) == 20 and keys[-1].startswith("#")
    report = import_discussion(discussion(), filename="deep.md")
    assert (report.counts["changed"], report.counts["removed"], report.counts["added"]) == (0, 0, 0)
